"""Every route of the app × every role × every stage, from the declarations; a route missing fails the suite.

The roles that may ever use each route are written here by hand (``ACCESS``) and must be what the declared
permissions give; the generated matrix (``judging.web.access``, docs/access.md) says, per stage, what each
role gets. The app is driven through every route for every role with every category forced into each stage:
where the matrix allows, a page answers 2xx/3xx and a change posted with an empty form is done or refused for
what the form lacks or the object's state (400, 409, 422); where it refuses, the answer is 404 (401 when not
logged in), or 403 naming the stage or approval needed; where it depends on the object, anything but a 5xx.
Object-level checks (a judge reaching another judge's objects) follow.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from litestar.routes import HTTPRoute
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from helpers import login
from judging.demo import DEMO_PASSWORDS
from judging.accounts.models import User
from judging.cities import service as cities
from judging.editions.service import current_edition
from judging.nominations import service as intake
from judging.nominations.storage import AttachmentStore
from judging.stages.service import schedule_stage
from judging.editions.models import Category, Round, RoundKind
from judging.i18n import translations
from judging.jobs import Job, JobStatus, start_job
from judging.meetings import service as meetings
from judging.meetings.models import Meeting
from judging.nominations.models import BlindCode, NominationFlag, NominationImport
from judging.notices.models import Notice, Objection
from judging.panels import conflicts
from judging.panels.models import Assignment, AssignmentPlan, Expert
from judging.panels.pool_models import ExpertDraw
from judging.results.models import ResultRun, Unblinding
from judging.scoring.models import ScoreSheet
from judging.stages.models import STAGE_LABELS, Stage, StageKind, StageStatus
from judging.web.access import PUBLIC_ROUTES, ROLES, markdown, routes as declared_routes, unguarded
from nominations.test_app_intake import attach
from nominations.test_import_service import pdf_bytes
from tests.meetings.factories import demo_meeting, make_shares, roll_call
from tests.cities.factories import steel_form
from tests.results.factories import AUDITOR, ORGANIZER

O, J, A, D, N = "organizer", "judge", "auditor", "admin", "nominator"
PUBLIC = "public"
ACCOUNTS = {O: ("organizer", DEMO_PASSWORDS["organizer"]), A: ("auditor", DEMO_PASSWORDS["auditor"]),
            D: ("admin", DEMO_PASSWORDS["admin"]), J: ("judge01", DEMO_PASSWORDS["judge"]),
            N: ("nanjing", DEMO_PASSWORDS["nominator"])}

# (method, path) -> roles that may use it. PUBLIC: anyone, logged in or not.
ACCESS: dict[tuple[str, str], set[str] | str] = {
    ("GET", "/healthz"): PUBLIC, ("GET", "/"): PUBLIC, ("GET", "/lang/{code:str}"): PUBLIC,
    ("GET", "/favicon.ico"): PUBLIC,
    ("GET", "/login"): PUBLIC, ("POST", "/login"): PUBLIC, ("POST", "/logout"): PUBLIC,
    ("GET", "/public/winners"): PUBLIC, ("GET", "/static/{file_path:path}"): PUBLIC,
    ("GET", "/organizer"): {O},
    ("GET", "/organizer/rounds"): {O, A},
    ("GET", "/organizer/rounds/{round_id:int}"): {O, A},
    ("GET", "/organizer/rounds/{round_id:int}/behind.csv"): {O, A},
    ("POST", "/organizer/rounds/{round_id:int}/status"): {O},
    ("GET", "/organizer/rounds/{round_id:int}/judges/{expert_id:int}"): {O, A},
    ("POST", "/organizer/rounds/{round_id:int}/judges/{expert_id:int}/extension"): {O},
    ("POST", "/organizer/sheets/{sheet_id:int}/reopen"): {O},
    ("POST", "/organizer/undertaking"): {O},
    ("GET", "/organizer/rubrics/{category_id:int}"): {O},
    ("POST", "/organizer/rubrics/{category_id:int}"): {O},
    ("GET", "/judge"): {J},
    ("POST", "/judge/undertaking"): {J},
    ("GET", "/judge/sheets/{handle:str}"): {J},
    ("POST", "/judge/sheets/{handle:str}/draft"): {J},
    ("POST", "/judge/sheets/{handle:str}/confirm"): {J},
    ("POST", "/judge/sheets/{handle:str}/submit"): {J},
    ("POST", "/judge/sheets/{handle:str}/conflict"): {J},
    ("GET", "/judge/attachments/{handle:str}/{name:str}"): {J},
    ("GET", "/auditor"): {A},
    ("GET", "/auditor/verify"): {A},
    ("GET", "/auditor/log.xlsx"): {A},
    ("GET", "/auditor/nominations"): {A},
    ("GET", "/auditor/nominations/{nomination_id:int}"): {A},
    ("GET", "/admin"): {D},
    # people (judging.notifications): accounts, links, my account, the outbox, reminders
    ("GET", "/accounts"): {O, D}, ("POST", "/accounts"): {O, D},
    ("GET", "/accounts/{user_id:int}"): {O, D}, ("POST", "/accounts/{user_id:int}"): {O, D},
    ("POST", "/accounts/{user_id:int}/active"): {O, D}, ("POST", "/accounts/{user_id:int}/link"): {O, D},
    ("GET", "/invitation/{token:str}"): PUBLIC, ("POST", "/invitation/{token:str}"): PUBLIC,
    ("GET", "/forgot-password"): PUBLIC, ("POST", "/forgot-password"): PUBLIC,
    ("GET", "/account"): {O, J, A, D, N}, ("POST", "/account/password"): {O, J, A, D, N},
    ("GET", "/account/notifications"): {O, J, A, D, N},
    ("GET", "/organizer/outbox"): {O}, ("POST", "/organizer/outbox/deliver"): {O},
    ("GET", "/organizer/rounds/{round_id:int}/reminders"): {O},
    ("POST", "/organizer/rounds/{round_id:int}/reminders"): {O},
    ("GET", "/jobs/{job_id:int}"): {O, A, J, D, N},  # further limited to the job's owner (tests/test_jobs.py)
    ("GET", "/organizer/panels"): {O, A},
    ("GET", "/organizer/panels/experts"): {O, A},
    ("POST", "/organizer/panels/experts/import"): {O},
    ("GET", "/organizer/panels/experts/template.xlsx"): {O},
    ("GET", "/organizer/panels/experts/{expert_id:int}"): {O, A},
    ("POST", "/organizer/panels/experts/{expert_id:int}"): {O},
    ("POST", "/organizer/panels/experts/{expert_id:int}/active"): {O},
    ("GET", "/organizer/panels/conflicts"): {O, A},
    ("POST", "/organizer/panels/conflicts"): {O},
    ("POST", "/organizer/panels/conflicts/{conflict_id:int}/delete"): {O},
    ("POST", "/organizer/panels/groups"): {O},
    ("POST", "/organizer/panels/groups/{group_id:int}/delete"): {O},
    ("GET", "/organizer/panels/rounds/{round_id:int}"): {O, A},
    ("POST", "/organizer/panels/rounds/{round_id:int}/refill"): {O},
    ("POST", "/organizer/panels/rounds/{round_id:int}/experts/{expert_id:int}/drop"): {O},
    ("GET", "/organizer/panels/rounds/{round_id:int}/categories/{category_id:int}"): {O, A},
    ("POST", "/organizer/panels/rounds/{round_id:int}/categories/{category_id:int}/preview"): {O},
    ("GET", "/organizer/panels/rounds/{round_id:int}/categories/{category_id:int}/why"): {O, A},
    ("GET", "/organizer/panels/plans/{plan_id:int}"): {O, A},
    ("POST", "/organizer/panels/plans/{plan_id:int}/commit"): {O},
    ("GET", "/organizer/panels/assignments/{assignment_id:int}/swap"): {O},
    ("POST", "/organizer/panels/assignments/{assignment_id:int}/swap"): {O},
    ("GET", "/organizer/nominations"): {O},
    ("GET", "/organizer/nominations/import"): {O},
    ("POST", "/organizer/nominations/import"): {O},
    ("GET", "/organizer/nominations/template.xlsx"): {O},
    ("GET", "/organizer/nominations/imports/{import_id:int}"): {O},
    ("POST", "/organizer/nominations/confirm-clean"): {O},
    ("GET", "/organizer/nominations/{nomination_id:int}"): {O},
    ("POST", "/organizer/nominations/{nomination_id:int}"): {O},
    ("POST", "/organizer/nominations/{nomination_id:int}/confirm"): {O},
    ("POST", "/organizer/nominations/{nomination_id:int}/withdraw"): {O},
    ("POST", "/organizer/nominations/{nomination_id:int}/flags/{flag_id:int}/resolve"): {O},
    ("GET", "/organizer/quotas"): {O, A},
    ("POST", "/organizer/quotas"): {O},
    ("GET", "/organizer/quotas/export.csv"): {O, A},
    ("GET", "/results"): {O, A},
    ("POST", "/results/runs"): {O},
    ("GET", "/results/runs/{run_id:int}"): {O, A},
    ("POST", "/results/runs/{run_id:int}/approve"): {O},
    ("POST", "/results/runs/{run_id:int}/advance"): {O},
    ("POST", "/results/runs/{run_id:int}/unblind"): {O},
    ("POST", "/results/runs/{run_id:int}/recompute"): {O, A},  # reads and records a verdict only
    ("GET", "/results/runs/{run_id:int}/checks/{check_id:int}"): {O, A},
    ("GET", "/results/runs/{run_id:int}/reports"): {O, A},
    ("POST", "/results/runs/{run_id:int}/reports"): {O, A},
    ("GET", "/results/reports/{report_id:int}"): {O, A},
    ("GET", "/results/runs/{run_id:int}/export/{what:str}"): {O, A},
    ("GET", "/results/compare"): {O, A},
    ("GET", "/results/awards"): {O, A},
    ("GET", "/results/awards/{category_id:int}/publish"): {O},
    ("POST", "/results/awards/{category_id:int}/publish"): {O},
    ("POST", "/results/methods/{nomination_id:int}/name"): {O},
    ("GET", "/api/results/runs"): {O, A},
    ("GET", "/api/results/runs/{run_id:int}"): {O, A},
    ("GET", "/api/results/progress"): {O, A},
    ("GET", "/meetings"): {O, A},
    ("POST", "/meetings"): {O},
    ("GET", "/meetings/{meeting_id:int}"): {O, A},
    ("POST", "/meetings/{meeting_id:int}/shortlist"): {O},
    ("POST", "/meetings/{meeting_id:int}/attendance"): {O},
    ("POST", "/meetings/{meeting_id:int}/substitutes"): {O},
    ("POST", "/meetings/{meeting_id:int}/recusals"): {O},
    ("POST", "/meetings/{meeting_id:int}/open"): {O},
    ("POST", "/meetings/{meeting_id:int}/close"): {O},
    ("POST", "/meetings/{meeting_id:int}/paper"): {O},
    ("POST", "/meetings/{meeting_id:int}/share"): {A},
    ("POST", "/meetings/{meeting_id:int}/tally"): {O},
    ("POST", "/meetings/{meeting_id:int}/cancel"): {O},
    ("GET", "/meetings/{meeting_id:int}/tally.pdf"): {O, A},
    ("GET", "/judge/meetings"): {J},
    ("GET", "/judge/meetings/{meeting_id:int}"): {J},  # further limited to the meeting's members (tests/meetings)
    ("POST", "/judge/meetings/{meeting_id:int}/ballot"): {J},
    ("POST", "/judge/meetings/{meeting_id:int}/receipt"): {J},
    ("POST", "/judge/meetings/{meeting_id:int}/share"): {J},
    ("GET", "/organizer/stages"): {O, A},
    ("GET", "/organizer/editions/{edition_id:int}/stages"): {O, A},
    ("POST", "/organizer/stages/{category_id:int}/{kind:str}/open"): {O},
    ("POST", "/organizer/stages/{category_id:int}/{kind:str}/close"): {O},
    ("POST", "/organizer/stages/{category_id:int}/{kind:str}/skip"): {O},
    ("POST", "/organizer/stages/{category_id:int}/{kind:str}/schedule"): {O},
    ("POST", "/organizer/stages/{category_id:int}/{kind:str}/reopen"): {O},
    ("GET", "/organizer/formal-review"): {O, A},
    ("GET", "/organizer/formal-review/returned.csv"): {O, A},
    ("GET", "/organizer/formal-review/categories/{category_id:int}"): {O, A},
    ("POST", "/organizer/formal-review/categories/{category_id:int}"): {O},
    ("GET", "/organizer/formal-review/nominations/{nomination_id:int}"): {O, A},
    ("POST", "/organizer/formal-review/nominations/{nomination_id:int}"): {O},
    ("GET", "/organizer/formal-review/nominations/{nomination_id:int}/attachments/{attachment_id:int}"): {O, A},
    ("GET", "/organizer/formal-review/nominations/{nomination_id:int}/attachments/{attachment_id:int}/{which:str}"):
        {O, A},
    ("POST", "/organizer/formal-review/nominations/{nomination_id:int}/attachments/{attachment_id:int}/replace"): {O},
    ("GET", "/organizer/nominations/short-names"): {O},
    ("POST", "/organizer/nominations/short-names"): {O},
    ("POST", "/organizer/nominations/short-names/{entry_id:int}/remove"): {O},
    ("POST", "/organizer/nominations/{nomination_id:int}/place-exception"): {O},
    ("GET", "/organizer/notices"): {O, A},
    ("POST", "/organizer/notices/categories/{category_id:int}/publish"): {O},
    ("POST", "/organizer/notices/objections/{objection_id:int}/review"): {O},
    ("POST", "/organizer/notices/objections/{objection_id:int}/decide"): {O},
    ("POST", "/organizer/notices/objections/{objection_id:int}/reissue"): {O},
    ("POST", "/organizer/notices/objections/{objection_id:int}/correct"): {O},
    ("POST", "/organizer/notices/categories/{category_id:int}/approve"): {O},
    ("POST", "/organizer/notices/{notice_id:int}/pdf"): {O},
    ("GET", "/public/notices"): PUBLIC, ("GET", "/public/notices/{notice_id:int}"): PUBLIC,
    ("POST", "/public/notices/{notice_id:int}/objections"): PUBLIC,
    ("GET", "/public/notices/{notice_id:int}/notice.pdf"): PUBLIC,
    ("GET", "/public/notices/{notice_id:int}/notice.xlsx"): PUBLIC,
    ("GET", "/integrity/runs/{run_id:int}"): {A},
    ("POST", "/integrity/runs/{run_id:int}/report"): {A},
    ("GET", "/integrity/reports/{report_id:int}"): {A},
    ("GET", "/integrity/experts/{expert_id:int}/record"): {O, A},
    ("POST", "/integrity/experts/{expert_id:int}/notes"): {O},
    ("GET", "/integrity/draws"): {O, A},
    ("GET", "/integrity/draws/rounds/{round_id:int}/categories/{category_id:int}"): {O, A},
    ("POST", "/integrity/draws/rounds/{round_id:int}/categories/{category_id:int}"): {O},
    ("POST", "/integrity/draws/{draw_id:int}/redraw"): {O},
    ("POST", "/integrity/draws/{draw_id:int}/confirm"): {A},
    # the cities' online nominations (judging.cities): a city account's own pages, the office's follow-up
    ("GET", "/city"): {N}, ("GET", "/city/new"): {N}, ("POST", "/city/entries"): {N},
    ("GET", "/city/entries/{entry_id:int}"): {N}, ("POST", "/city/entries/{entry_id:int}"): {N},
    ("POST", "/city/entries/{entry_id:int}/submit"): {N}, ("POST", "/city/entries/{entry_id:int}/resubmit"): {N},
    ("POST", "/city/entries/{entry_id:int}/withdraw"): {N},
    ("GET", "/organizer/cities"): {O, A}, ("GET", "/organizer/cities/entries/{entry_id:int}"): {O, A},
    ("GET", "/organizer/cities/assessment"): {O, A}, ("GET", "/organizer/cities/assessment.pdf"): {O, A},
    ("GET", "/organizer/cities/assessment.xlsx"): {O, A},
}
# The OpenAPI schema and its viewers describe routes, never data; they stay public.
SCHEMA = re.compile(r"^/schema")


def app_routes(app) -> set[tuple[str, str]]:
    return {(method, route.path) for route in app.routes if isinstance(route, HTTPRoute)
            for method in route.methods - {"HEAD", "OPTIONS"} if not SCHEMA.match(route.path)}


def test_every_route_is_in_the_access_table(client):
    routes = app_routes(client.app)
    assert sorted(routes - ACCESS.keys()) == [], "add these routes to ACCESS"
    assert sorted(ACCESS.keys() - routes) == [], "these routes no longer exist"


def test_every_route_is_guarded_by_a_permission_or_declared_public(client):
    assert unguarded(client.app) == [], "guard these routes with judging.web.guards.requires(...)"
    assert {key for key, allowed in ACCESS.items() if allowed == PUBLIC} == set(PUBLIC_ROUTES)


def test_the_declared_permissions_give_each_route_the_roles_of_the_table(client):
    wrong = []
    for route in declared_routes(client.app):
        expected = ACCESS[(route.method, route.path)]
        if expected == PUBLIC:
            continue
        ever = {role.value for role in ROLES if role is not None
                and any(route.answer(role, stage) is not False for stage in StageKind)}
        if ever != expected:
            wrong.append(f"{route.method} {route.path}: declared {sorted(ever)}, table {sorted(expected)}")
    assert wrong == []


def test_the_access_matrix_in_the_docs_is_up_to_date(client):
    written = (Path(__file__).resolve().parent.parent / "docs" / "access.md").read_text(encoding="utf-8")
    assert written == markdown(client.app), "run: python -m judging.web.access"


def _made_for_the_table(session, db_url: str) -> dict[str, int]:
    """One of each object the demo lacks, made the way the app makes it."""
    run_id = session.scalar(select(ResultRun.id).order_by(ResultRun.id))
    expert = session.scalar(select(Expert).where(Expert.email == "judge09@example.cn"))
    nomination_id = session.scalar(select(Assignment.nomination_id).where(Assignment.expert_id != expert.id)
                                   .order_by(Assignment.id.desc()).limit(1))
    conflict = conflicts.add_conflict(session, expert_id=expert.id, nomination_id=nomination_id, reason="同一单位",
                                      by=ORGANIZER)
    group = conflicts.save_group(session, name="测试集团", employers=["甲公司", "乙公司"], by=ORGANIZER)
    # A meeting in its vote (judge01 chairs it), its key made from both shares.
    made = demo_meeting(session, top_m=2)
    meeting = made["meeting"]
    roll_call(session, meeting, len(meeting.members))
    make_shares(session, meeting)
    meetings.open_voting(session, meeting=meeting, by=ORGANIZER)
    session.commit()
    factory = sessionmaker(bind=session.get_bind())
    check = start_job(factory, kind="results.recompute", by=ORGANIZER, database_url=db_url,
                      params={"run_id": run_id})
    report = start_job(factory, kind="results.report", by=ORGANIZER, database_url=db_url,
                       params={"run_id": run_id, "kind": "ranking", "audience": "committee"})
    # the integrity report of the demo's unblinded (2025) run, and a draw waiting for its supervisor
    unblinded = session.execute(select(Unblinding.run_id, Unblinding.round_id, Unblinding.category_id)
                                .order_by(Unblinding.id).limit(1)).one()
    draw = ExpertDraw(round_id=unblinded.round_id, category_id=unblinded.category_id, seed="0" * 32,
                      spec={"机械工程": 1}, candidates={"机械工程": []}, drawn={"机械工程": []})
    session.add(draw)
    session.commit()  # the job's writes must not wait on this session (SQLite)
    integrity = start_job(factory, kind="integrity.report", by=AUDITOR, database_url=db_url,
                          params={"run_id": unblinded.run_id})
    return {"unblinded_run_id": unblinded.run_id, "integrity_report_id": session.get(Job, integrity).result["report_id"],
            "draw_id": draw.id, "run_id": run_id, "conflict_id": conflict.id, "group_id": group.id,
            "paper_meeting_id": meeting.id, "check_id": session.get(Job, check).result["check_id"],
            "report_id": session.get(Job, report).result["report_id"]}


def _city_entry(session_factory, settings) -> int:
    """An entry 南京 submitted online (the office sees sent entries only), through the city's services: 推荐 of
    the demo's 成果 reopened without a deadline and its quota raised for it."""
    force_stage(session_factory, StageKind.NOMINATION)
    with session_factory() as session:
        edition = current_edition(session)
        category = edition.categories[0]
        schedule_stage(session, category_id=category.id, kind=StageKind.NOMINATION, start=None, end=None, by=ORGANIZER)
        intake.set_quotas(session, edition=edition, units=[(u.name, u.kind, u.employees)
                                                           for u in intake.quota_units(session, edition=edition)],
                          total=edition.settings[intake.TARGET_KEY], category_totals={category.id: 10_000},
                          by=ORGANIZER)
        user = session.scalar(select(User).where(User.username == ACCOUNTS[N][0]))
        store = AttachmentStore(settings.var_dir)
        entry, _ = cities.save_draft(session, edition=edition, user=user, values=steel_form(), store=store,
                                     written=[], category_id=category.id, uploads=[("申报书.pdf", pdf_bytes())])
        cities.submit(session, edition=edition, user=user, entry_id=entry.id, store=store, written=[])
        session.commit()
        return entry.id


@pytest.fixture
def ids(demo, session_factory, db_url, settings) -> dict[str, int]:
    """Real ids: the demo's, the judge's own where a judge may reach them, and objects made for the table."""
    with session_factory() as session:
        preliminary = session.scalar(select(Round).where(Round.kind == RoundKind.PRELIMINARY).order_by(Round.id)
                                      .limit(1))  # the 2026 demo edition's, made first
        judge01 = session.scalar(select(Expert).where(Expert.email == "judge01@example.cn"))
        assignment = session.scalar(select(Assignment).where(Assignment.expert_id == judge01.id,
                                                             Assignment.round_id == preliminary.id).limit(1))
        sheet = session.scalar(select(ScoreSheet.id).limit(1))
        category = session.scalar(select(Category).order_by(Category.id).limit(1))
        flag = session.scalar(select(NominationFlag).order_by(NominationFlag.id).limit(1))
        found = {"round_id": preliminary.id, "expert_id": judge01.id, "assignment_id": assignment.id,
                 "handle": assignment.handle,
                 "nomination_id": assignment.nomination_id, "category_id": category.id, "sheet_id": sheet,
                 "edition_id": category.edition_id, "flag_id": flag.id, "flagged_nomination_id": flag.nomination_id,
                 "meeting_id": session.scalar(select(Meeting.id).order_by(Meeting.id)),
                 "import_id": session.scalar(select(NominationImport.id).order_by(NominationImport.id)),
                 "plan_id": session.scalar(select(AssignmentPlan.id).order_by(AssignmentPlan.id)),
                 "objection_id": session.scalar(select(Objection.id).order_by(Objection.id)),
                 "notice_id": session.scalar(select(Notice.id).order_by(Notice.id)),
                 # an account both the admin and the organizer manage (an expert's)
                 "user_id": session.scalar(select(User.id).where(User.username == "judge02")),
                 **_made_for_the_table(session, db_url)}
        # Each account's own job: the job page shows a job to its owner only.
        for role, (username, _password) in ACCOUNTS.items():
            user = session.scalar(select(User).where(User.username == username))
            job = Job(kind="results.recompute", params={}, created_by_id=user.id, status=JobStatus.SUCCEEDED,
                      progress=1.0, result={})
            session.add(job)
            session.flush()
            found[f"job_id.{role}"] = job.id
        session.commit()
        code = session.scalar(select(BlindCode.code).where(BlindCode.nomination_id == assignment.nomination_id,
                                                           BlindCode.round_id == preliminary.id))
    found["entry_id"] = _city_entry(session_factory, settings)  # last: it reopens 推荐, which the others must not see
    attached = attach(session_factory, settings.var_dir, found["nomination_id"], {"申报书.pdf": pdf_bytes()})
    found["attachment_name"] = attached[-1].blinded_name(code)
    found["attachment_id"] = attached[-1].id
    assert all(found.values()), found
    return found


# Routes whose objects are not the ones named alike elsewhere in the table.
PATH_IDS = {
    "/organizer/nominations/{nomination_id:int}/flags/{flag_id:int}/resolve":
        {"nomination_id": "flagged_nomination_id"},
    # judge01 chairs the meeting made for the table, not the demo's (2025) one.
    "/judge/meetings/{meeting_id:int}": {"meeting_id": "paper_meeting_id"},
    "/judge/meetings/{meeting_id:int}/ballot": {"meeting_id": "paper_meeting_id"},
    "/judge/meetings/{meeting_id:int}/receipt": {"meeting_id": "paper_meeting_id"},
    "/judge/meetings/{meeting_id:int}/share": {"meeting_id": "paper_meeting_id"},
    # the integrity report is of an unblinded run, and is its own kind of document
    "/integrity/runs/{run_id:int}": {"run_id": "unblinded_run_id"},
    "/integrity/reports/{report_id:int}": {"report_id": "integrity_report_id"},
}
OTHER_PARTS = {"code": "en", "what": "scores.csv", "file_path": "app.css", "kind": "panel_meeting", "which": "judges"}


def concrete(path: str, ids: dict[str, int], role: str | None = None) -> str:
    own = {**ids, "job_id": ids.get(f"job_id.{role}", 999999)}
    own.update({name: ids[other] for name, other in PATH_IDS.get(path, {}).items()})

    def value(match):
        name = match.group(1)
        if name == "name":  # an attachment of the judge's assignment
            return ids.get("attachment_name", "999999.pdf")
        return str(own[name]) if name in own else OTHER_PARTS.get(name, "999999")
    url = re.sub(r"\{(\w+):(\w+)\}", value, path)
    if path.endswith("/why"):  # explains one pair, named in the query
        url += f"?nomination_id={ids['nomination_id']}&expert_id={ids['expert_id']}"
    if path == "/results/compare":  # two runs, named in the query
        url += f"?a={ids['run_id']}&b={ids['run_id']}"
    return url


def _call(client, method: str, url: str):
    if method == "GET":
        return client.get(url, follow_redirects=False)
    if "csrftoken" not in client.cookies:
        client.get("/healthz")
    # The double-submit token: the form field must match the cookie Litestar set.
    return client.post(url, data={"_csrf_token": client.cookies["csrftoken"]}, follow_redirects=False)


def force_stage(session_factory, kind: StageKind) -> None:
    """Every category in ``kind``: the stages before it closed, it open, the later ones not started."""
    order = list(StageKind)
    with session_factory() as session:
        for category in session.scalars(select(Category)):
            rows = {row.kind: row for row in session.scalars(select(Stage).where(Stage.category_id == category.id))}
            for stage in order:
                row = rows.get(stage) or Stage(edition_id=category.edition_id, category_id=category.id, kind=stage,
                                               note="")
                row.status = (StageStatus.CLOSED if order.index(stage) < order.index(kind)
                              else StageStatus.OPEN if stage is kind else StageStatus.PENDING)
                session.add(row)
        session.commit()


STAGE_NAMES_ZH = [translations("zh_CN").gettext(label) for label in STAGE_LABELS.values()] + ["审定"]


def _agrees(method: str, role: str | None, answer: bool | None, response) -> bool:
    status = response.status_code
    if status >= 500:
        return False
    if answer is None:
        return status != 401 or role is None
    if answer:
        return status < 400 or (method == "POST" and status in (400, 409, 422))
    if role is None:
        return status == 401
    if status == 403:  # seen but not now: the reason names the stage or the approval it needs
        return any(name in response.text for name in STAGE_NAMES_ZH)
    return status == 404


@pytest.mark.parametrize("stage", list(StageKind))
@pytest.mark.parametrize("role", [None, O, J, A, D, N])
def test_each_role_in_each_stage_gets_what_the_matrix_says(client, ids, session_factory, role, stage):
    force_stage(session_factory, stage)
    if role:
        assert login(client, *ACCOUNTS[role]).status_code in (302, 303)
    the_role = next(r for r in ROLES if (r.value if r else None) == role)
    wrong = []
    for route in declared_routes(client.app):
        if (route.method, route.path) in PUBLIC_ROUTES:
            continue
        url = concrete(route.path, ids, role)
        answer = route.answer(the_role, stage)
        response = _call(client, route.method, url)
        if not _agrees(route.method, role, answer, response):
            wrong.append(f"{role} in {stage.value}: {route.method} {url} -> {response.status_code} (matrix: {answer})")
    assert wrong == []


def test_a_judge_cannot_reach_another_judges_assignment(client, demo, session_factory):
    with session_factory() as session:
        judge02 = session.scalar(select(Expert).where(Expert.email == "judge02@example.cn"))
        judge01 = session.scalar(select(Expert).where(Expert.email == "judge01@example.cn"))
        theirs = session.scalar(select(Assignment.handle).where(
            Assignment.expert_id == judge02.id,
            Assignment.nomination_id.not_in(select(Assignment.nomination_id).where(
                Assignment.expert_id == judge01.id))).limit(1))
    login(client, *ACCOUNTS[J])
    for method, path in [("GET", "/judge/sheets/{id}"), ("POST", "/judge/sheets/{id}/draft"),
                         ("POST", "/judge/sheets/{id}/confirm"), ("POST", "/judge/sheets/{id}/submit"),
                         ("POST", "/judge/sheets/{id}/conflict"), ("GET", "/judge/attachments/{id}/x.pdf")]:
        response = _call(client, method, path.replace("{id}", str(theirs)))
        assert response.status_code == 404, (method, path, response.status_code)


def test_state_changes_without_a_csrf_token_are_refused(client, ids):
    login(client, *ACCOUNTS[J])
    response = client.post(concrete("/judge/sheets/{handle:str}/draft", ids), data={"version": "1"})
    assert response.status_code == 403
