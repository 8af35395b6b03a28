"""The previous edition (2025), small, walked through the stages through the services and now at the
public notice (公示): two categories have their list on notice (one objection received and not yet
handled), two have the stage open with nothing published yet. Its year is below the main edition's,
so `current_edition()` stays the 2026 one."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal

from sqlalchemy.orm import Session

from judging import audit
from judging.accounts.models import User
from judging.awards import service as awards
from judging.demo.content import (
    CITIES, INDUSTRIES, SHANGHAI, body, demo_codes, employer, notice_edition_spec, person, title,
)
from judging.demo.scores import sheet_form
from judging.editions.models import Category, CategoryKey, Edition, Round
from judging.editions.service import close_round, create_edition, open_round
from judging.meetings import service as meetings
from judging.nominations.codes import ensure_blind_codes
from judging.nominations.models import Nomination, NominationIdentity, NominationStatus
from judging.notices import service as notices
from judging.panels.models import Assignment, Expert
from judging.results import service as results
from judging.scoring.bulk import submit_sheets
from judging.scoring.service import accept_undertaking
from judging.stages.models import StageKind
from judging.stages.service import close_stage, open_stage, skip_stage

NOTICE_YEAR = 2025
NOTICE_NOMINATIONS = 6    # per category
NOTICE_TOP_N = 3
NOTICE_JUDGES = 8         # judge51 … judge58 of the pool also judged 2025
NOTICE_JUDGES_EACH = 5
NOTICE_MEETING_MEMBERS = 9  # judge41 … judge49 sat on the 2025 panel meeting of 十大科技成果
# Agree votes of the eight members present, shortlist in online rank order: the first three pass 2/3.
NOTICE_MEETING_AGREE = (8, 7, 6, 5, 2)
NOTICE_PUBLISHED = (CategoryKey.ACHIEVEMENT, CategoryKey.OPERATING_METHOD)
DEMO_OBJECTION = {"name": "孙立华", "employer": "常州市轨道交通机车车辆有限公司", "phone": "13705198876",
                  "grounds": "公示的第2名项目中，关键技术由我单位与申报单位合作完成，"
                             "申报材料未列我单位人员为完成人，请予以核查。"}


def notice_edition(session: Session, *, seed: int, experts: list[Expert], actor: audit.Actor) -> Edition:
    """The 2025 edition at the public notice stage (its own random stream: the 2026 demo is unchanged)."""
    rng = random.Random(seed * 7 + NOTICE_YEAR)
    edition = create_edition(session, spec=notice_edition_spec(NOTICE_YEAR, NOTICE_TOP_N), by=actor)
    (round_,) = edition.rounds
    open_round(session, round_=round_, by=actor)
    judges = experts[50:50 + NOTICE_JUDGES]
    users = {judge.id: session.get(User, judge.user_id) for judge in judges}
    for judge in judges:
        accept_undertaking(session, judge=users[judge.id], edition=edition, now=round_.opens_at + dt.timedelta(days=1))
    sheets: dict[int, list[tuple[int, dict[str, str]]]] = defaultdict(list)
    draw = demo_codes(rng)
    for position, category in enumerate(edition.categories):
        for index in range(NOTICE_NOMINATIONS):
            nomination = _nomination(session, rng, edition=edition, category=category, position=position, index=index)
            ensure_blind_codes(session, round_id=round_.id, nomination_ids=[nomination.id], by=actor, draw=draw)
            level = rng.uniform(4.5, 8.5)
            # A rotating window of the judges: every pair of nominations shares judges (a connected design).
            for offset in range(NOTICE_JUDGES_EACH):
                judge = judges[(index + offset) % NOTICE_JUDGES]
                assignment = Assignment(round_id=round_.id, nomination_id=nomination.id, expert_id=judge.id)
                session.add(assignment)
                session.flush()
                values = {criterion.id: Decimal(str(min(10.0, max(0.0, round((level + rng.gauss(0, 0.6)) * 2) / 2))))
                          for criterion in category.rubric.criteria}
                sheets[judge.id].append((assignment.id, sheet_form(values, comment="", familiarity="familiar")))
    submitted_at = dt.datetime(NOTICE_YEAR, 11, 18, 16, 0, tzinfo=SHANGHAI)
    for judge in judges:
        submit_sheets(session, judge=users[judge.id], entries=sheets[judge.id], now=submitted_at)
    close_round(session, round_=round_, by=actor)
    for category in edition.categories:
        _to_the_notice(session, category=category, round_=round_, seed=seed, experts=experts, actor=actor)
    return edition


def _nomination(session: Session, rng: random.Random, *, edition: Edition, category: Category, position: int,
                index: int) -> Nomination:
    city, industry = rng.choice(CITIES), rng.choice(INDUSTRIES)
    employer_name = employer(rng, city, industry)
    inventors = [person(rng) for _ in range(1 if category.key is CategoryKey.CHIEF_EMPLOYEE else rng.randint(2, 4))]
    name = title(rng, category.key, inventors[0])
    summary, text = body(rng, name, industry)
    nomination = Nomination(edition_id=edition.id, category_id=category.id, title=name, summary=summary,
                            body=text, status=NominationStatus.CONFIRMED)
    nomination.identity = NominationIdentity(
        inventors=inventors, employer=employer_name, city=city, industry=industry, patents=[],
        contact_phone=f"1{rng.choice('3578')}{rng.randint(10**8, 10**9 - 1)}",
        contact_email=f"contact{NOTICE_YEAR}{position}{index:02d}@example.cn")
    session.add(nomination)
    session.flush()
    return nomination


def _to_the_notice(session: Session, *, category: Category, round_: Round, seed: int, experts: list[Expert],
                   actor: audit.Actor) -> None:
    open_stage(session, category_id=category.id, kind=StageKind.NOMINATION, by=actor)
    close_stage(session, category_id=category.id, kind=StageKind.NOMINATION, by=actor)
    skip_stage(session, category_id=category.id, kind=StageKind.FORMAL_REVIEW,
               reason="2025年度形式审查由各市总工会线下完成", by=actor)
    open_stage(session, category_id=category.id, kind=StageKind.ONLINE_REVIEW, by=actor)
    run = results.create_run(session, round_id=round_.id, category_id=category.id, method="additive",
                             reps=100, seed=seed, by=actor)
    results.approve_run(session, run=run, by=actor)
    results.unblind(session, run=run, reason="网络评审结果已批准，进入公示程序", by=actor)
    close_stage(session, category_id=category.id, kind=StageKind.ONLINE_REVIEW, by=actor)
    if category.key is CategoryKey.ACHIEVEMENT:
        open_stage(session, category_id=category.id, kind=StageKind.PANEL_MEETING, by=actor)
        _meeting(session, category=category, run=run, members=experts[40:40 + NOTICE_MEETING_MEMBERS], actor=actor)
        close_stage(session, category_id=category.id, kind=StageKind.PANEL_MEETING, by=actor)
    else:
        skip_stage(session, category_id=category.id, kind=StageKind.PANEL_MEETING,
                   reason="2025年度以网络评审结果直接公示", by=actor)
    open_stage(session, category_id=category.id, kind=StageKind.PUBLIC_NOTICE, by=actor)
    if category.key is CategoryKey.OPERATING_METHOD:
        first = awards.candidate_ids(session, category)[0]
        awards.name_method(session, nomination_id=first, by=actor)
    if category.key in NOTICE_PUBLISHED:
        notice = notices.publish_notice(session, category=category, by=actor)
        if category.key is CategoryKey.ACHIEVEMENT:
            notices.file_objection(session, notice_id=notice.id, nomination_id=notice.entries[1].nomination_id,
                                   **DEMO_OBJECTION)


def _meeting(session: Session, *, category: Category, run, members: list[Expert], actor: audit.Actor) -> None:
    """The panel meeting two days before the notice: eight of nine members present, ballots cast on
    their devices, tallied. Goes through the meetings service, so the ballots stay secret as in use."""
    opens = (dt.datetime.now(dt.UTC) - dt.timedelta(days=2)).replace(hour=1, minute=0, second=0, microsecond=0)
    meeting = meetings.create_meeting(
        session, category_id=category.id, run_id=run.id, top_m=len(NOTICE_MEETING_AGREE),
        member_expert_ids=[e.id for e in members], chair_expert_id=members[0].id, opens_at=opens,
        closes_at=opens + dt.timedelta(hours=3), by=actor)
    seats = list(meeting.members)
    for index, seat in enumerate(seats):
        meetings.record_attendance(session, meeting=meeting, member_id=seat.id, present=index < len(seats) - 1,
                                   by=actor)
    meetings.open_voting(session, meeting=meeting, by=actor, now=opens)
    shortlist = sorted(meeting.shortlist, key=lambda row: row.rank)
    recused = meetings.recusals(session, meeting)
    users = {e.id: e.user_id for e in members}
    for index, seat in enumerate(seats[:-1]):
        choices = {row.nomination_id: "agree" if index < agree else "disagree"
                   for row, agree in zip(shortlist, NOTICE_MEETING_AGREE) if (seat.id, row.nomination_id) not in recused}
        meetings.cast_ballot(session, meeting=meeting, user=session.get(User, users[seat.expert_id]), choices=choices,
                             now=opens + dt.timedelta(minutes=30 + index))
    meetings.close_voting(session, meeting=meeting, by=actor, now=opens + dt.timedelta(hours=1))
    meetings.tally(session, meeting=meeting, by=actor, now=opens + dt.timedelta(hours=1, minutes=5))
