"""The previous edition (2025), small, walked through every stage in the order they allow, through the
services, with its dates in 2025: the cities' table imported (some rows with attachments) and confirmed, the
online round scored, run approved and unblinded, a panel meeting for 十大科技成果, the public notice of
every category (an objection about a completer upheld, the candidate corrected and noticed again), the
committee's approval (审定) and the publication on the public winners page. Its year is below the main
edition's, so `current_edition()` stays the 2026 one."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import zipfile
from collections import defaultdict
from decimal import Decimal

from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from judging import audit, settings
from judging.accounts.models import Role, User
from judging.awards import service as awards
from judging.demo.content import (
    CITIES,
    INDUSTRIES,
    SHANGHAI,
    body,
    demo_codes,
    employer,
    notice_edition_spec,
    person,
    review_opinion,
    title,
)
from judging.demo.scores import sheet_form
from judging.editions.models import Category, CategoryKey, Edition, Round
from judging.editions.service import close_round, create_edition, open_round
from judging.meetings import service as meetings
from judging.nominations import importer
from judging.nominations.codes import ensure_blind_codes
from judging.nominations.models import Nomination
from judging.nominations.service import confirm, set_quotas
from judging.nominations.storage import AttachmentStore
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
DEMO_OBJECTION = {"name": "孙立华", "employer": "常州市轨道交通机车车辆有限公司", "phone": "13705198876",
                  "grounds": "公示的第2名项目中，关键技术由我单位与申报单位合作完成，"
                             "申报材料未列我单位人员为完成人，请予以核查。"}


def _at(month: int, day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(NOTICE_YEAR, month, day, hour, minute, tzinfo=SHANGHAI)


# When each stage opened and closed (local time, all in 2025), and the acts within them.
STAGE_TIMES = {StageKind.NOMINATION: (_at(9, 1), _at(9, 30, 17)),
               StageKind.ONLINE_REVIEW: (_at(10, 20), _at(11, 25, 17)),
               StageKind.PANEL_MEETING: (_at(11, 26), _at(11, 28, 17)),
               StageKind.PUBLIC_NOTICE: (_at(12, 1), _at(12, 22, 9)),
               StageKind.APPROVAL: (_at(12, 23), _at(12, 26, 17))}
MEETING_OPENS = _at(11, 28, 9)
NOTICE_DAYS = 7
OBJECTION_AT, REVIEW_AT, FINDING_AT, CORRECTED_AT = _at(12, 3, 10), _at(12, 4), _at(12, 5, 15), _at(12, 8)
APPROVED_AT, PUBLISHED_AT = _at(12, 26, 10), _at(12, 26, 16)
# The objection was upheld: the objector's colleague is added as the candidate's second completer.
DEMO_FINDING = "经核查，常州市轨道交通机车车辆有限公司孙立华参与了关键技术攻关，异议成立，补列为第二完成人后重新公示。"
DEMO_ADDED_COMPLETER = "孙立华"
HEADER = ["类别", "城市", "项目名称", "简介", "正文", "完成人", "工作单位", "所属行业", "专利号", "联系电话", "电子邮箱",
          "附件"]


def notice_edition(session: Session, *, seed: int, experts: list[Expert], actor: audit.Actor) -> Edition:
    """The 2025 edition, approved and published (its own random stream: the 2026 demo is unchanged)."""
    rng = random.Random(seed * 7 + NOTICE_YEAR)
    edition = create_edition(session, spec=notice_edition_spec(NOTICE_YEAR, NOTICE_TOP_N), by=actor)
    set_quotas(session, edition=edition, total=NOTICE_NOMINATIONS * len(edition.categories), by=actor,
               units=[(city, "city", 100) for city in CITIES])
    (round_,) = edition.rounds
    for category in edition.categories:
        _open(session, category, StageKind.NOMINATION, actor)
    nominations = _intake(session, rng, edition=edition, round_=round_, actor=actor)
    for category in edition.categories:
        _close(session, category, StageKind.NOMINATION, actor)
        skip_stage(session, category_id=category.id, kind=StageKind.FORMAL_REVIEW,
                   reason="2025年度形式审查由各市总工会线下完成", by=actor)
        _open(session, category, StageKind.ONLINE_REVIEW, actor)
    open_round(session, round_=round_, by=actor)
    _score(session, rng, round_=round_, nominations=nominations, judges=experts[50:50 + NOTICE_JUDGES],
           edition=edition, actor=actor)
    close_round(session, round_=round_, by=actor)
    for category in edition.categories:
        _to_the_notice(session, category=category, round_=round_, seed=seed, experts=experts, actor=actor)
    for category in edition.categories:
        _to_publication(session, category=category, actor=actor)
    return edition


def _open(session: Session, category: Category, kind: StageKind, actor: audit.Actor) -> None:
    open_stage(session, category_id=category.id, kind=kind, by=actor, now=STAGE_TIMES[kind][0])


def _close(session: Session, category: Category, kind: StageKind, actor: audit.Actor) -> None:
    close_stage(session, category_id=category.id, kind=kind, by=actor, now=STAGE_TIMES[kind][1])


def _intake(session: Session, rng: random.Random, *, edition: Edition, round_: Round,
            actor: audit.Actor) -> list[Nomination]:
    """The cities' table (every other first-placed row with its application form as a scanned page), imported
    through the importer during recommendation; the organizer confirms every row."""
    rows, files = [], {}
    for position, category in enumerate(edition.categories):
        for index in range(NOTICE_NOMINATIONS):
            row, attachment = _row(rng, category=category, position=position, index=index)
            rows.append(row)
            if attachment:
                files[attachment] = _scan(rng)
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *rows])
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as bundle:
        for name, data in files.items():
            bundle.writestr(name, data)
    record = importer.import_nominations(session, edition=edition, table_data=out.getvalue().encode("utf-8"),
                                         filename="2025年度推荐汇总表.csv", archive_data=archive.getvalue(),
                                         archive_name="推荐附件.zip", by=actor,
                                         store=AttachmentStore(settings.current().var_dir))
    if record.status != "imported":
        raise RuntimeError(f"the demo's 2025 table did not import: {record.errors[:3]}")
    nominations = list(session.scalars(select(Nomination).where(Nomination.edition_id == edition.id)
                                       .order_by(Nomination.id)))
    draw = demo_codes(rng)
    for nomination in nominations:
        ensure_blind_codes(session, round_id=round_.id, nomination_ids=[nomination.id], by=actor, draw=draw)
        confirm(session, edition=edition, nomination_id=nomination.id, by=actor, acknowledge=True)
    return nominations


def _row(rng: random.Random, *, category: Category, position: int, index: int) -> tuple[list[str], str | None]:
    city, industry = rng.choice(CITIES), rng.choice(INDUSTRIES)
    employer_name = employer(rng, city, industry)
    inventors = [person(rng) for _ in range(1 if category.key is CategoryKey.CHIEF_EMPLOYEE else rng.randint(2, 4))]
    name = title(rng, category.key, inventors[0])
    summary, text = body(rng, name, industry)
    phone = f"1{rng.choice('3578')}{rng.randint(10**8, 10**9 - 1)}"
    attachment = f"{NOTICE_YEAR}-{position}{index:02d}-申报表.png" if index % 2 == 0 else None
    return [category.name, city, name, summary, text, "、".join(inventors), employer_name, industry, "", phone,
            f"contact{NOTICE_YEAR}{position}{index:02d}@example.cn", attachment or ""], attachment


def _scan(rng: random.Random) -> bytes:
    """A small grey 'scanned page' with a few ruled lines (PNG): an attachment the importer cleans and stores."""
    image = Image.new("L", (120, 160), 235)
    for y in range(20, 150, 12):
        image.paste(90, (10, y, 10 + rng.randint(40, 100), y + 2))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _score(session: Session, rng: random.Random, *, round_: Round, nominations: list[Nomination],
           judges: list[Expert], edition: Edition, actor: audit.Actor) -> None:
    """A rotating window of the eight 2025 judges per item (every pair of items shares judges: a connected
    design). The assignments are written as the 2025 office recorded them: the solver would draw from the
    whole current pool, not the eight experts who judged that year. Each judge accepts the undertaking, then
    submits their sheets."""
    users = {judge.id: session.get(User, judge.user_id) for judge in judges}
    accepted = round_.opens_at + dt.timedelta(days=1)
    for judge in judges:
        accept_undertaking(session, judge=users[judge.id], edition=edition, now=accepted)
    categories = {category.id: category for category in edition.categories}
    sheets: dict[int, list[tuple[int, dict[str, str]]]] = defaultdict(list)
    per_category: dict[int, int] = defaultdict(int)
    for nomination in nominations:
        category = categories[nomination.category_id]
        index = per_category[category.id]
        per_category[category.id] += 1
        level = rng.uniform(4.5, 8.5)
        for offset in range(NOTICE_JUDGES_EACH):
            judge = judges[(index + offset) % NOTICE_JUDGES]
            assignment = Assignment(round_id=round_.id, nomination_id=nomination.id, expert_id=judge.id,
                                    created_at=round_.opens_at)
            session.add(assignment)
            session.flush()
            values = {criterion.id: Decimal(str(min(10.0, max(0.0, round((level + rng.gauss(0, 0.6)) * 2) / 2))))
                      for criterion in category.rubric.criteria}
            sheets[judge.id].append((assignment.id, sheet_form(
                values, comment=review_opinion(category.rubric.criteria, values, nomination.title),
                familiarity="familiar")))
    audit.append(session, actor=actor, action="round.demo_assignments_loaded", object_type="round",
                 object_id=round_.id, data={"assignments": sum(len(v) for v in sheets.values()), "source": "demo"})
    submitted_at = _at(11, 18, 16)
    for judge in judges:
        submit_sheets(session, judge=users[judge.id], entries=sheets[judge.id], now=submitted_at)


def _to_the_notice(session: Session, *, category: Category, round_: Round, seed: int, experts: list[Expert],
                   actor: audit.Actor) -> None:
    run = results.create_run(session, round_id=round_.id, category_id=category.id, method="additive",
                             reps=100, seed=seed, by=actor)
    results.approve_run(session, run=run, by=actor)
    results.unblind(session, run=run, reason="网络评审结果已批准，进入公示程序", by=actor)
    _close(session, category, StageKind.ONLINE_REVIEW, actor)
    if category.key is CategoryKey.ACHIEVEMENT:
        _open(session, category, StageKind.PANEL_MEETING, actor)
        _meeting(session, category=category, run=run, members=experts[40:40 + NOTICE_MEETING_MEMBERS], actor=actor)
        _close(session, category, StageKind.PANEL_MEETING, actor)
    else:
        skip_stage(session, category_id=category.id, kind=StageKind.PANEL_MEETING,
                   reason="2025年度以网络评审结果直接公示", by=actor)
    _open(session, category, StageKind.PUBLIC_NOTICE, actor)
    if category.key is CategoryKey.OPERATING_METHOD:
        first = awards.candidate_ids(session, category)[0]
        awards.name_method(session, nomination_id=first, by=actor)
    notice = notices.publish_notice(session, category=category, by=actor, days=NOTICE_DAYS,
                                    now=STAGE_TIMES[StageKind.PUBLIC_NOTICE][0])
    if category.key is CategoryKey.ACHIEVEMENT:
        objection = notices.file_objection(session, notice_id=notice.id, now=OBJECTION_AT,
                                           nomination_id=notice.entries[1].nomination_id, **DEMO_OBJECTION)
        notices.start_review(session, objection_id=objection.id, by=actor, now=REVIEW_AT)
        notices.decide_objection(session, objection_id=objection.id, upheld=True, finding=DEMO_FINDING, by=actor,
                                 now=FINDING_AT)
        entry = notice.entries[1]
        notices.correct_and_reissue(session, objection_id=objection.id, by=actor, days=NOTICE_DAYS,
                                    completers=[entry.completers[0], DEMO_ADDED_COMPLETER, *entry.completers[1:]],
                                    employer=entry.employer, city=entry.city, now=CORRECTED_AT)


def _to_publication(session: Session, *, category: Category, actor: audit.Actor) -> None:
    """The notice period over with no open objection: 审定 recorded, then the approved list published."""
    _close(session, category, StageKind.PUBLIC_NOTICE, actor)
    _open(session, category, StageKind.APPROVAL, actor)
    notices.record_approval(session, category=category, approved_on=APPROVED_AT.date(),
                            reference="苏工〔2025〕112号", by=actor, now=APPROVED_AT)
    _close(session, category, StageKind.APPROVAL, actor)
    awards.publish(session, category=category, by=actor, now=PUBLISHED_AT)


def _meeting(session: Session, *, category: Category, run, members: list[Expert], actor: audit.Actor) -> None:
    """The panel meeting three days before the notice: eight of nine members present, ballots cast on
    their devices, tallied. Goes through the meetings service, so the ballots stay secret as in use."""
    opens = MEETING_OPENS
    meeting = meetings.create_meeting(
        session, category_id=category.id, run_id=run.id, top_m=len(NOTICE_MEETING_AGREE),
        member_expert_ids=[e.id for e in members], chair_expert_id=members[0].id, opens_at=opens,
        closes_at=opens + dt.timedelta(hours=3), by=actor)
    seats = list(meeting.members)
    for index, seat in enumerate(seats):
        meetings.record_attendance(session, meeting=meeting, member_id=seat.id, present=index < len(seats) - 1,
                                   by=actor)
    users = {e.id: e.user_id for e in members}
    auditor = session.scalar(select(User).where(User.role == Role.AUDITOR).order_by(User.id).limit(1))
    codes = {"chair": meetings.make_key_share(session, meeting=meeting, user=session.get(User, users[members[0].id])),
             "auditor": meetings.make_key_share(session, meeting=meeting, user=auditor)}
    meetings.open_voting(session, meeting=meeting, by=actor, now=opens)
    shortlist = sorted(meeting.shortlist, key=lambda row: row.rank)
    recused = meetings.recusals(session, meeting)
    for index, seat in enumerate(seats[:-1]):
        choices = {row.handle: "agree" if index < agree else "disagree"
                   for row, agree in zip(shortlist, NOTICE_MEETING_AGREE) if (seat.id, row.nomination_id) not in recused}
        meetings.cast_ballot(session, meeting=meeting, user=session.get(User, users[seat.expert_id]), choices=choices,
                             now=opens + dt.timedelta(minutes=30 + index))
    meetings.close_voting(session, meeting=meeting, by=actor, now=opens + dt.timedelta(hours=1))
    meetings.tally(session, meeting=meeting, by=actor, chair_share=codes["chair"], auditor_share=codes["auditor"],
                   now=opens + dt.timedelta(hours=1, minutes=5))
