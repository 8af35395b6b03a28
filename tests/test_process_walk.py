"""A walk of a whole edition, from the import of its nominations to the committee's approval (审定) and the
publication, through the services (and the pages where publication happens), in the order the stages
allow; at each step the out-of-order attempts are refused with their reason and leave the stored data
exactly as it was."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import re
from decimal import Decimal
from fractions import Fraction

import pytest
from sqlalchemy import func, select

from helpers import csrf_token, login
from tests.meetings.factories import by_handle, make_shares
from judging import audit
from judging.accounts import Role, actor_of, add_user
from judging.accounts.passwords import hash_password
from judging.accounts.permissions import Refused
from judging.awards import service as awards
from judging.awards.models import Publication
from judging.db.base import Base
from judging.demo.content import CITIES, notice_edition_spec
from judging.demo.scores import sheet_form
from judging.editions.models import Category, CategoryKey, Round, RoundKind
from judging.editions.service import create_edition, open_round
from judging.editions.specs import RoundSpec
from judging.errors import JudgingError
from judging.formal_review import service as formal_review
from judging.formal_review.models import Outcome
from judging.meetings import service as meetings
from judging.nominations import service as intake
from judging.nominations.models import Nomination, NominationIdentity
from judging.nominations.storage import AttachmentStore
from judging.notices import service as notices
from judging.panels.importer import import_experts, link_account
from judging.panels.models import Assignment, Expert
from judging.panels.service import PlanSettings, commit_plan, preview_plan
from judging.results import service as results
from judging.scoring.bulk import submit_sheets
from judging.scoring.service import accept_undertaking, has_accepted_undertaking
from judging.stages.models import StageKind
from judging.stages.service import close_stage, open_stage, reopen_stage, skip_stage

YEAR = 2030
OFFICE = audit.Actor(None, "walk-office")
PASSWORD = "walk-Judge-Pass-2030"
HEADER = ["类别", "城市", "项目名称", "简介", "正文", "完成人", "工作单位", "所属行业", "专利号", "联系电话", "电子邮箱", "附件"]
N_NOMINATIONS, N_EXPERTS, TOP_N, FINALISTS = 8, 6, 3, 5
# Agree votes of the five members on the final run's top 5, in rank order: the fourth fails 2/3.
AGREE = (5, 4, 4, 2, 4)
SCORED_AT = dt.datetime(YEAR, 10, 25, 10, 0, tzinfo=dt.UTC)


FIRST = ["王建国", "李秀英", "张志强", "刘海峰", "陈晓东", "杨立新", "黄国平", "赵红梅", "吴卫东"]
SECOND = ["周杰", "徐静", "孙磊", "马芳", "朱勇", "胡娟", "郭涛", "何超", "高雪"]
PLANTS = ["重型机械", "机床", "电机", "齿轮", "轴承", "液压件", "阀门", "泵业", "锻压"]


def _row(index: int, *, title: str | None = None) -> list[str]:
    method = ["快速", "精准", "安全", "高效"][index % 4]
    city = CITIES[index % len(CITIES)]
    return ["十大先进操作法", city, title or f"{PLANTS[index]}设备{method}检修法",
            f"该检修方法使停机时间缩短{10 + index}%，已在全厂推广。", "", f"{FIRST[index]}、{SECOND[index]}",
            f"{city}{PLANTS[index]}有限公司", "装备制造", "", "13900000000", "", ""]


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *rows])
    return out.getvalue().encode("utf-8")


def _snapshot(session) -> dict:
    """Every table's row count and the stages' states: what a refused action must leave as it was."""
    counts = {table.name: session.scalar(select(func.count()).select_from(table))
              for table in Base.metadata.sorted_tables}
    stages = session.execute(select(Base.metadata.tables["stages"].c.kind, Base.metadata.tables["stages"].c.status)
                             .order_by("id")).all()
    return {"counts": counts, "stages": [tuple(r) for r in stages]}


def _refused(session, attempt, match: str, *, error=JudgingError) -> None:
    """The attempt is refused with the reason; after the caller's rollback nothing has changed."""
    before = _snapshot(session)
    with pytest.raises(error, match=match):
        attempt()
    session.rollback()
    assert _snapshot(session) == before


def _edition(session):
    spec = notice_edition_spec(YEAR, TOP_N)
    spec = dataclasses.replace(spec, rounds=spec.rounds + (RoundSpec(
        RoundKind.FINAL, "会议评审（终评）", dt.datetime(YEAR, 11, 21, 9, tzinfo=dt.UTC),
        dt.datetime(YEAR, 12, 20, 18, tzinfo=dt.UTC)),))
    edition = create_edition(session, spec=spec, by=OFFICE)
    intake.set_quotas(session, edition=edition, total=100, by=OFFICE,
                      units=[(city, "city", 100) for city in CITIES])
    category = next(c for c in edition.categories if c.key is CategoryKey.OPERATING_METHOD)
    rounds = {r.kind: r for r in edition.rounds}
    for round_ in rounds.values():
        open_round(session, round_=round_, by=OFFICE)
    return edition, category, rounds


def _judges(session) -> tuple[list[Expert], dict[int, object]]:
    out = io.StringIO()
    csv.writer(out).writerows([["姓名", "工作单位", "城市", "手机", "邮箱", "专业领域", "最大评审量"]] + [
        [f"评审专家{i}", f"专家单位{i}研究院", "南京", f"1380000000{i}", f"expert{i}@example.cn", "机械工程", "30"]
        for i in range(N_EXPERTS)])
    report = import_experts(session, data=out.getvalue().encode(), filename="专家.csv", by=OFFICE)
    assert report.stored and report.created == N_EXPERTS
    experts = list(session.scalars(select(Expert).order_by(Expert.id)))
    hashed = hash_password(PASSWORD)
    users = {}
    for i, expert in enumerate(experts):
        user = add_user(session, username=f"walkjudge{i}", password=PASSWORD, role=Role.JUDGE, by=OFFICE,
                        password_hash=hashed)
        link_account(session, expert=expert, user_id=user.id, by=OFFICE)
        users[expert.id] = user
    return experts, users


def _score(session, *, edition, round_, category, users, quality: dict[int, float], at: dt.datetime) -> None:
    """Every assigned judge accepts the undertaking (once), then submits a sheet for each of their items."""
    rows = session.execute(select(Assignment.id, Assignment.nomination_id, Assignment.expert_id)
                           .where(Assignment.round_id == round_.id).order_by(Assignment.id)).all()
    by_expert: dict[int, list] = {}
    for assignment_id, nomination_id, expert_id in rows:
        values = {c.id: Decimal(str(quality[nomination_id])) for c in category.rubric.criteria}
        by_expert.setdefault(expert_id, []).append(
            (assignment_id, sheet_form(values, comment=f"第{nomination_id}项意见", familiarity="familiar")))
    for expert_id, entries in by_expert.items():
        judge = users[expert_id]
        if not has_accepted_undertaking(session, judge=judge, edition=edition):
            accept_undertaking(session, judge=judge, edition=edition, now=at - dt.timedelta(days=1))
        submit_sheets(session, judge=judge, entries=entries, now=at)


def test_an_edition_walks_from_import_to_publication_and_every_step_out_of_order_is_refused(
        session_factory, client, tmp_path):
    db = session_factory()
    edition, category, rounds = _edition(db)
    preliminary, final = rounds[RoundKind.PRELIMINARY], rounds[RoundKind.FINAL]
    store = AttachmentStore(tmp_path)
    db.commit()

    # 推荐: the cities' table is imported and its redaction confirmed.
    open_stage(db, category_id=category.id, kind=StageKind.NOMINATION, by=OFFICE)
    record = formal_review.import_with_corrections(db, edition=edition, by=OFFICE, table_data=_csv(
        [_row(i) for i in range(N_NOMINATIONS)]), filename="推荐汇总表.csv", store=store)
    assert record.status == "imported", record.errors
    ids = list(db.scalars(select(Nomination.id).where(Nomination.category_id == category.id).order_by(Nomination.id)))
    for nomination_id in ids:
        intake.confirm(db, edition=edition, nomination_id=nomination_id, by=OFFICE, acknowledge=True)
    db.commit()
    _refused(db, lambda: formal_review.decide(db, edition=edition, nomination_id=ids[0], outcome=Outcome.PASSED,
                                              by=OFFICE), "Formal review is not open")

    # 形式审查: it cannot close while a nomination waits for its decision.
    close_stage(db, category_id=category.id, kind=StageKind.NOMINATION, by=OFFICE)
    open_stage(db, category_id=category.id, kind=StageKind.FORMAL_REVIEW, by=OFFICE)
    formal_review.set_checklist(db, edition=edition, category_id=category.id, by=OFFICE,
                                items=[{"kind": "manual", "label": "推荐表加盖公章"}])
    db.commit()
    _refused(db, lambda: close_stage(db, category_id=category.id, kind=StageKind.FORMAL_REVIEW, by=OFFICE),
             "8 nominations wait for a formal-review decision")
    for nomination_id in ids:
        formal_review.decide(db, edition=edition, nomination_id=nomination_id, outcome=Outcome.PASSED, by=OFFICE,
                             ticked=[0])
    close_stage(db, category_id=category.id, kind=StageKind.FORMAL_REVIEW, by=OFFICE)
    db.commit()

    # A nomination that arrives after formal review closed is refused, not accepted silently ...
    late = formal_review.import_with_corrections(db, edition=edition, by=OFFICE, table_data=_csv(
        [_row(N_NOMINATIONS, title="迟到的液压支架检修法")]), filename="补报.csv", store=store)
    db.commit()
    assert late.status == "rejected" and "no longer takes nominations" in late.errors[0]["problem"]
    assert db.scalar(select(func.count()).select_from(Nomination)) == N_NOMINATIONS
    # ... until formal review is reopened (with a reason); then it waits for its decision and blocks the close.
    reopen_stage(db, category_id=category.id, kind=StageKind.FORMAL_REVIEW, reason="南通市总工会补报一项",
                 by=OFFICE)
    late = formal_review.import_with_corrections(db, edition=edition, by=OFFICE, table_data=_csv(
        [_row(N_NOMINATIONS, title="迟到的液压支架检修法")]), filename="补报.csv", store=store)
    assert late.status == "imported"
    late_id = db.scalar(select(Nomination.id).where(Nomination.title == "迟到的液压支架检修法"))
    db.commit()
    _refused(db, lambda: close_stage(db, category_id=category.id, kind=StageKind.FORMAL_REVIEW, by=OFFICE),
             "1 nominations wait for a formal-review decision")
    formal_review.decide(db, edition=edition, nomination_id=late_id, outcome=Outcome.REJECTED, by=OFFICE,
                         reasons="超过推荐截止时间")
    close_stage(db, category_id=category.id, kind=StageKind.FORMAL_REVIEW, by=OFFICE)
    db.commit()

    # 网络评审: the final round cannot be assigned before anything advanced to it.
    open_stage(db, category_id=category.id, kind=StageKind.ONLINE_REVIEW, by=OFFICE)
    experts, users = _judges(db)
    db.commit()
    _refused(db, lambda: preview_plan(db, round_id=final.id, category_id=category.id, by=OFFICE,
                                      settings=PlanSettings(k=3, max_load=10, seed=3)),
             "No nomination of this category has advanced to the final round")
    plan = preview_plan(db, round_id=preliminary.id, category_id=category.id, by=OFFICE,
                        settings=PlanSettings(k=3, max_load=10, seed=3))
    assert commit_plan(db, plan_id=plan.id, by=OFFICE) == N_NOMINATIONS * 3
    quality = {nomination_id: 9.5 - 0.5 * position for position, nomination_id in enumerate(ids)}
    _score(db, edition=edition, round_=preliminary, category=category, users=users, quality=quality, at=SCORED_AT)
    first = results.create_run(db, round_id=preliminary.id, category_id=category.id, method="mean", reps=20,
                               by=OFFICE)
    results.approve_run(db, run=first, by=OFFICE)
    db.commit()
    # Publishing the preliminary run's winners is refused: the category is in 网络评审, not past 审定.
    _refused(db, lambda: awards.publish(db, category=category, by=OFFICE),
             r"needs the committee's approval \(Final approval\); this category is in Online review", error=Refused)
    _refused(db, lambda: open_stage(db, category_id=category.id, kind=StageKind.PANEL_MEETING, by=OFFICE),
             "cannot open before Online review is closed")
    results.advance(db, run=first, top_m=FINALISTS, by=OFFICE)
    plan = preview_plan(db, round_id=final.id, category_id=category.id, by=OFFICE,
                        settings=PlanSettings(k=3, max_load=10, seed=4))
    assert commit_plan(db, plan_id=plan.id, by=OFFICE) == FINALISTS * 3
    finalists = set(db.scalars(select(Assignment.nomination_id).where(Assignment.round_id == final.id)))
    assert finalists == set(ids[:FINALISTS])  # exactly those advanced
    db.commit()
    _refused(db, lambda: close_stage(db, category_id=category.id, kind=StageKind.ONLINE_REVIEW, by=OFFICE),
             "no result run of 会议评审（终评） has been approved")
    _score(db, edition=edition, round_=final, category=category, users=users, quality=quality,
           at=SCORED_AT + dt.timedelta(days=31))
    second = results.create_run(db, round_id=final.id, category_id=category.id, method="mean", reps=20, by=OFFICE)
    results.approve_run(db, run=second, by=OFFICE)
    results.unblind(db, run=second, reason="进入会议评审与公示", by=OFFICE)
    close_stage(db, category_id=category.id, kind=StageKind.ONLINE_REVIEW, by=OFFICE)
    db.commit()

    # 会议评审: the five finalists go to a secret ballot; the fourth fails, the others pass.
    open_stage(db, category_id=category.id, kind=StageKind.PANEL_MEETING, by=OFFICE)
    opens = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    members = experts[:5]
    meeting = meetings.create_meeting(db, category_id=category.id, run_id=second.id, top_m=FINALISTS,
                                      member_expert_ids=[e.id for e in members], chair_expert_id=members[0].id,
                                      opens_at=opens, closes_at=opens + dt.timedelta(hours=4), by=OFFICE)
    for seat in meeting.members:
        meetings.record_attendance(db, meeting=meeting, member_id=seat.id, present=True, by=OFFICE)
    codes = make_shares(db, meeting)  # the chair's and an auditor's shares of the meeting key
    meetings.open_voting(db, meeting=meeting, by=OFFICE, now=opens)
    shortlist = [row.nomination_id for row in sorted(meeting.shortlist, key=lambda row: row.rank)]
    recused = meetings.recusals(db, meeting)
    for index, seat in enumerate(meeting.members):
        meetings.cast_ballot(db, meeting=meeting, user=users[seat.expert_id], now=opens + dt.timedelta(minutes=5),
                             choices=by_handle(meeting, {nid: "agree" if index < agree else "disagree"
                                                         for nid, agree in zip(shortlist, AGREE)
                                                         if (seat.id, nid) not in recused}))
    db.commit()
    _refused(db, lambda: close_stage(db, category_id=category.id, kind=StageKind.PANEL_MEETING, by=OFFICE),
             "voting is not closed")
    meetings.close_voting(db, meeting=meeting, by=OFFICE, now=opens + dt.timedelta(hours=1))
    meetings.tally(db, meeting=meeting, by=OFFICE, now=opens + dt.timedelta(hours=1), **codes)
    close_stage(db, category_id=category.id, kind=StageKind.PANEL_MEETING, by=OFFICE)
    db.commit()
    passed = meetings.passed_nominations(db, category.id)
    failed, reserve = shortlist[3], shortlist[4]
    assert passed == [shortlist[i] for i in (0, 1, 2, 4)] and failed not in passed
    never_shortlisted = ids[FINALISTS]

    # 公示: a list of three; an upheld objection about a completer is corrected and the same item re-noticed;
    # another removes a candidate, and only the next who passed the ballot may stand in.
    open_stage(db, category_id=category.id, kind=StageKind.PUBLIC_NOTICE, by=OFFICE)
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=12)
    notice = notices.publish_notice(db, category=category, by=OFFICE, days=3, now=start)
    assert [e.nomination_id for e in notice.entries] == passed[:TOP_N]
    db.commit()
    objector = {"name": "孙立华", "employer": "某机械厂", "phone": "13705198876"}

    def upheld(notice, nomination_id, at, grounds):
        objection = notices.file_objection(db, notice_id=notice.id, nomination_id=nomination_id, grounds=grounds,
                                           now=at, **objector)
        notices.start_review(db, objection_id=objection.id, by=OFFICE, now=at)
        return notices.decide_objection(db, objection_id=objection.id, upheld=True, finding="经核查属实。", by=OFFICE,
                                        now=at)

    about_completers = upheld(notice, passed[1], start + dt.timedelta(hours=2), "第二完成人应为孙立华，本人参与了全部研制工作，有合同为证。")
    db.commit()
    for refused_id in (failed, never_shortlisted, passed[0]):
        _refused(db, lambda: notices.reissue_notice(db, objection_id=about_completers.id, replacement_id=refused_id,
                                                    by=OFFICE, now=start + dt.timedelta(hours=3)), "next in line")
    _refused(db, lambda: notices.correct_and_reissue(
        db, objection_id=about_completers.id, completers=[" "], employer="x", city="南京", by=OFFICE,
        now=start + dt.timedelta(hours=3)), "at least one completer")
    before = db.get(NominationIdentity, passed[1]).inventors
    second_version = notices.correct_and_reissue(
        db, objection_id=about_completers.id, completers=[before[0], "孙立华"], by=OFFICE, days=3,
        employer=db.get(NominationIdentity, passed[1]).employer, city=db.get(NominationIdentity, passed[1]).city,
        now=start + dt.timedelta(days=1))
    db.commit()
    assert [e.nomination_id for e in second_version.entries] == passed[:TOP_N]
    assert second_version.entries[1].completers == [before[0], "孙立华"] and second_version.version == 2
    event = db.scalars(select(audit.AuditEvent).where(audit.AuditEvent.action == "nomination.corrected")).one()
    assert json.loads(event.body)["data"]["before"]["completers"] == before
    assert json.loads(event.body)["data"]["after"]["completers"] == [before[0], "孙立华"]

    removal = upheld(second_version, passed[2], start + dt.timedelta(days=1, hours=2), "该成果已获二〇二四年度省科技进步奖，属重复申报，有获奖证书为证。")
    db.commit()
    assert notices.substitutes(db, category=category) == [reserve]
    _refused(db, lambda: notices.reissue_notice(db, objection_id=removal.id, replacement_id=failed, by=OFFICE,
                                                now=start + dt.timedelta(days=2)), "next in line")
    third = notices.reissue_notice(db, objection_id=removal.id, replacement_id=reserve, by=OFFICE, days=3,
                                   now=start + dt.timedelta(days=2))
    assert [e.nomination_id for e in third.entries] == [passed[0], passed[1], reserve]
    db.commit()
    other = results.create_run(db, round_id=final.id, category_id=category.id, method="trimmed", reps=20, by=OFFICE)
    db.commit()
    _refused(db, lambda: results.approve_run(db, run=other, by=OFFICE),
             "already approved|on public notice|result runs is only possible while")
    _refused(db, lambda: notices.record_approval(db, category=category, approved_on=dt.date.today(), reference="x",
                                                 by=OFFICE), "Final approval is not open")

    # 审定, then publication: refused until the approval is recorded, then confirmed on its page.
    close_stage(db, category_id=category.id, kind=StageKind.PUBLIC_NOTICE, by=OFFICE)
    open_stage(db, category_id=category.id, kind=StageKind.APPROVAL, by=OFFICE)
    db.commit()
    _refused(db, lambda: awards.publish(db, category=category, by=OFFICE),
             r"this category is in Final approval", error=Refused)
    today = notices.local_date(notices.utcnow())
    notices.record_approval(db, category=category, approved_on=today, reference="苏工〔2030〕8号", by=OFFICE)
    close_stage(db, category_id=category.id, kind=StageKind.APPROVAL, by=OFFICE)
    db.commit()
    medals = awards.may_day_list(db, edition=edition)
    assert [(m.place, m.nomination_id) for m in medals] == [(1, passed[0]), (2, passed[1]), (3, reserve)]
    assert medals[1].first_inventor == before[0]
    assert db.scalar(select(func.count()).select_from(Publication)) == 0
    db.close()

    organizer_password = "walk-Office-Pass-2030"
    with session_factory() as s:
        add_user(s, username="walkoffice", password=organizer_password, role=Role.ORGANIZER, by=OFFICE)
        s.commit()
    login(client, "walkoffice", organizer_password)
    page = client.get(f"/results/awards/{category.id}/publish")
    assert page.status_code == 200 and "苏工〔2030〕8号" in page.text and "孙立华" not in page.text.split("<tbody>")[0]
    digest = re.search(r'name="digest" value="([0-9a-f]+)"', page.text).group(1)
    token = csrf_token(client, f"/results/awards/{category.id}/publish")
    done = client.post(f"/results/awards/{category.id}/publish", data={"_csrf_token": token, "digest": digest},
                       follow_redirects=False)
    assert done.status_code in (302, 303)
    with session_factory() as s:
        published = s.scalars(select(Publication).order_by(Publication.place)).all()
        assert [p.nomination_id for p in published] == [passed[0], passed[1], reserve]
    public = client.get("/public/winners").text
    assert all(p.title in public for p in published)
