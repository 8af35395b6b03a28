"""Irreversible actions ask first and say what follows; the answer to the confirmed POST is a redirect (a refresh
repeats nothing); a button the stage refuses is disabled with the reason; auditor-only reports stay hidden from
organizers; auditors read assignments, conflicts, experts, round progress and each sheet's history."""

from __future__ import annotations

import re

from sqlalchemy import func, select, update

from helpers import csrf_token, login
from judging.demo import DEMO_PASSWORDS
from judging.audit.models import AuditEvent
from judging.awards.models import Publication
from judging.documents.models import Document
from judging.editions.models import CategoryKey
from judging.jobs import start_job
from judging.panels.models import Expert
from judging.results import service
from judging.results.models import RunApproval
from judging.scoring.models import ScoreSheet, SheetStatus
from judging.stages.models import Stage, StageKind, StageStatus
from results.factories import ORGANIZER, demo_ids


def _run(session_factory) -> tuple[int, int]:
    with session_factory() as session:
        round_id, category_id = demo_ids(session, CategoryKey.OPERATING_METHOD)
        run = service.create_run(session, round_id=round_id, category_id=category_id, method="mean", reps=30,
                                 by=ORGANIZER)
        session.commit()
        return run.id, category_id


def _approvals(session_factory, run_id: int) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(RunApproval).where(RunApproval.run_id == run_id))


def test_approving_a_run_asks_first_then_redirects(client, demo, session_factory):
    run_id, _ = _run(session_factory)
    login(client, "organizer", DEMO_PASSWORDS["organizer"])
    token = csrf_token(client, f"/results/runs/{run_id}")
    first = client.post(f"/results/runs/{run_id}/approve", data={"_csrf_token": token}, follow_redirects=False)
    assert first.status_code == 200 and 'id="confirm-step"' in first.text
    assert "评分随即冻结" in first.text and f'action="/results/runs/{run_id}/approve"' in first.text
    assert _approvals(session_factory, run_id) == 0  # nothing happened on the first click
    confirmed = client.post(f"/results/runs/{run_id}/approve", data={"_csrf_token": token, "confirmed": "1"},
                            follow_redirects=False)
    assert confirmed.status_code in (302, 303) and confirmed.headers["location"] == f"/results/runs/{run_id}"
    assert _approvals(session_factory, run_id) == 1
    assert client.get(confirmed.headers["location"]).status_code == 200  # the page after: a GET, safe to refresh


def test_the_confirmation_carries_the_form_and_cancel_goes_back(client, demo, session_factory):
    run_id, _ = _run(session_factory)
    login(client, "organizer", DEMO_PASSWORDS["organizer"])
    token = csrf_token(client, f"/results/runs/{run_id}")
    page = client.post(f"/results/runs/{run_id}/advance", data={"_csrf_token": token, "top_m": "12"})
    assert page.status_code == 200 and "前 12 名" in page.text
    assert re.search(r'name="top_m" value="12"', page.text) and 'name="confirmed" value="1"' in page.text
    assert f'href="/results/runs/{run_id}" id="confirm-cancel"' in page.text


def test_outside_its_stage_the_action_is_refused_with_the_stage_and_its_button_is_disabled(client, demo,
                                                                                         session_factory):
    run_id, category_id = _run(session_factory)
    with session_factory() as session:
        # The category has moved on to 公示 (the demo has a row, with dates, for every stage).
        for kind, status in ((StageKind.ONLINE_REVIEW, StageStatus.CLOSED), (StageKind.PANEL_MEETING, StageStatus.SKIPPED),
                             (StageKind.PUBLIC_NOTICE, StageStatus.OPEN)):
            session.execute(update(Stage).where(Stage.category_id == category_id, Stage.kind == kind)
                            .values(status=status))
        session.commit()
    login(client, "organizer", DEMO_PASSWORDS["organizer"])
    page = client.get(f"/results/runs/{run_id}")
    assert 'data-permission="results.approve"' in page.text and "评审结果计算只能在网络评审 / 会议评审开启期间进行。" in page.text
    assert f'action="/results/runs/{run_id}/approve"' not in page.text
    token = csrf_token(client, f"/results/runs/{run_id}")
    refused = client.post(f"/results/runs/{run_id}/approve", data={"_csrf_token": token, "confirmed": "1"},
                          headers={"accept": "text/html"})
    assert refused.status_code == 403 and "网络评审" in refused.text
    assert _approvals(session_factory, run_id) == 0


def test_an_auditor_only_report_is_neither_listed_nor_served_to_the_organizer(client, demo, session_factory, db_url):
    run_id, _ = _run(session_factory)
    from sqlalchemy.orm import sessionmaker

    with session_factory() as session:
        factory = sessionmaker(bind=session.get_bind())
    for audience in ("auditor", "committee"):
        start_job(factory, kind="results.report", by=ORGANIZER, database_url=db_url,
                  params={"run_id": run_id, "kind": "ranking", "audience": audience})
    with session_factory() as session:
        reports = {d.details["audience"]: d.id for d in session.scalars(select(Document))
                   if d.subject_type == "result_run" and d.subject_id == run_id}
    assert set(reports) == {"auditor", "committee"}
    login(client, "organizer", DEMO_PASSWORDS["organizer"])
    listing = client.get(f"/results/runs/{run_id}/reports").text
    assert f"/results/reports/{reports['committee']}" in listing
    assert f"/results/reports/{reports['auditor']}" not in listing
    assert client.get(f"/results/reports/{reports['auditor']}").status_code == 404
    assert client.get(f"/results/reports/{reports['committee']}").status_code == 200
    login(client, "auditor", DEMO_PASSWORDS["auditor"])
    assert f"/results/reports/{reports['auditor']}" in client.get(f"/results/runs/{run_id}/reports").text
    assert client.get(f"/results/reports/{reports['auditor']}").status_code == 200


def test_the_auditor_reads_assignments_conflicts_experts_progress_and_sheet_history_without_forms(
        client, demo, session_factory):
    with session_factory() as session:
        round_id, _ = demo_ids(session, CategoryKey.OPERATING_METHOD)
        judge01 = session.scalar(select(Expert).where(Expert.email == "judge01@example.cn"))
        submitted = session.scalar(select(func.count()).select_from(ScoreSheet)
                                   .where(ScoreSheet.status == SheetStatus.SUBMITTED))
    assert submitted > 0
    login(client, "auditor", DEMO_PASSWORDS["auditor"])
    for path in ("/organizer/panels/", "/organizer/panels/experts", f"/organizer/panels/experts/{judge01.id}",
                 "/organizer/panels/conflicts", "/organizer/rounds", f"/organizer/rounds/{round_id}"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert 'method="post" action="/organizer/' not in page.text, path  # read-only: no form to change things
    judge_page = client.get(f"/organizer/rounds/{round_id}/judges/{judge01.id}")
    assert judge_page.status_code == 200 and 'class="sheet-history"' in judge_page.text
    assert "score_sheet.submitted" in judge_page.text and "/reopen" not in judge_page.text
    token = csrf_token(client, "/organizer/panels/conflicts")
    assert client.post("/organizer/panels/conflicts", data={"_csrf_token": token}).status_code == 404


def test_publishing_before_the_committee_approves_is_refused_with_the_reason_and_audited(client, demo,
                                                                                       session_factory):
    with session_factory() as session:
        _, category_id = demo_ids(session, CategoryKey.SUGGESTION)
        before = session.scalar(select(func.count()).select_from(AuditEvent)
                                .where(AuditEvent.action == "permission.refused"))
    login(client, "organizer", DEMO_PASSWORDS["organizer"])
    token = csrf_token(client, "/results/awards")
    refused = client.post(f"/results/awards/{category_id}/publish", data={"_csrf_token": token, "confirmed": "1"},
                          headers={"accept": "text/html"}, follow_redirects=False)
    assert refused.status_code == 403 and "需经评审委员会审定" in refused.text and "网络评审" in refused.text
    with session_factory() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "permission.refused")
                                 .order_by(AuditEvent.seq)).all()
        assert len(events) == before + 1 and events[-1].object_id == "awards.publish"
        assert session.scalar(select(func.count()).select_from(Publication)
                              .where(Publication.year == 2026, Publication.category_key == "suggestion")) == 0
