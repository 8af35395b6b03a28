"""A category ready for its panel meeting: an approved online run, the stages walked to 会议评审, and
experts with judge accounts to sit on the panel."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

from judging import audit
from judging.accounts import add_user
from judging.accounts.passwords import hash_password
from judging.accounts.models import Role
from judging.meetings import service
from judging.panels.models import Expert
from judging.results.service import approve_run, create_run
from judging.stages.models import StageKind, StageStatus
from judging.stages.service import close_stage, open_stage, skip_stage, status_of
from tests.results.factories import ORGANIZER, make_small_edition

PASSWORD = "Panel-Member-2026"
OPENS = dt.datetime(2031, 1, 10, 1, 0, tzinfo=dt.UTC)
CLOSES = dt.datetime(2031, 1, 10, 4, 0, tzinfo=dt.UTC)
DURING = dt.datetime(2031, 1, 10, 2, 0, tzinfo=dt.UTC)
AFTER = dt.datetime(2031, 1, 10, 5, 0, tzinfo=dt.UTC)
NAMES = "王建国 李秀英 张伟 刘洋 陈静 杨帆 黄磊 赵敏 吴昊 周婷 徐明 孙丽".split()


def walk_to_panel_meeting(session, *, category_id: int, by: audit.Actor = ORGANIZER) -> None:
    """From wherever the category stands: earlier stages closed (formal review skipped when it has not
    begun), panel meeting open."""
    for kind in (StageKind.NOMINATION, StageKind.FORMAL_REVIEW, StageKind.ONLINE_REVIEW):
        status = status_of(session, category_id=category_id, kind=kind)
        if status is StageStatus.PENDING and kind is StageKind.FORMAL_REVIEW:
            skip_stage(session, category_id=category_id, kind=kind, reason="各市已审核", by=by)
            continue
        if status is StageStatus.PENDING:
            open_stage(session, category_id=category_id, kind=kind, by=by)
        if status is not StageStatus.CLOSED:
            close_stage(session, category_id=category_id, kind=kind, by=by)
    open_stage(session, category_id=category_id, kind=StageKind.PANEL_MEETING, by=by)


def panel_experts(session, n: int, *, prefix: str = "panel", password_hash: str | None = None) -> list[Expert]:
    """``n`` experts with judge accounts ``{prefix}01``… (password ``PASSWORD``)."""
    password_hash = password_hash or hash_password(PASSWORD)
    experts = []
    for i in range(n):
        user = add_user(session, username=f"{prefix}{i + 1:02d}", password=PASSWORD, role=Role.JUDGE,
                        display_name=NAMES[i % len(NAMES)], by=ORGANIZER, password_hash=password_hash)
        expert = Expert(user_id=user.id, name=NAMES[i % len(NAMES)], employer=f"评审单位{i + 1:02d}研究院",
                        city="无锡")
        session.add(expert)
        experts.append(expert)
    session.flush()
    return experts


def make_world(session, *, n_nominations: int = 4, n_members: int = 9, year: int = 2031,
               password_hash: str | None = None, stage_open: bool = True) -> dict:
    """A scored category (4 nominations by default) with an approved mean run, at the panel-meeting stage
    (``stage_open=False``: the online review is still open)."""
    design = [(n, j, 9 - n + (j % 2) * 0.5) for n in range(n_nominations) for j in range(3)]
    world = make_small_edition(session, design, year=year, top_n=2)
    run = create_run(session, round_id=world["round"].id, category_id=world["category"].id, method="mean",
                     by=ORGANIZER)
    approve_run(session, run=run, by=ORGANIZER)
    if stage_open:
        walk_to_panel_meeting(session, category_id=world["category"].id)
    world["run"] = run
    world["members"] = panel_experts(session, n_members, prefix=f"p{year}x", password_hash=password_hash)
    return world


def make_meeting(session, world: dict, *, top_m: int | None = None, quorum=Fraction(2, 3),
                 threshold=Fraction(2, 3), members: list[Expert] | None = None):
    members = members or world["members"]
    return service.create_meeting(
        session, category_id=world["category"].id, run_id=world["run"].id,
        top_m=top_m or len(world["nominations"]), member_expert_ids=[e.id for e in members],
        chair_expert_id=members[0].id, opens_at=OPENS, closes_at=CLOSES, quorum=quorum, threshold=threshold,
        by=ORGANIZER)


def roll_call(session, meeting, present: int) -> None:
    """The first ``present`` seats present, the others absent."""
    for index, member in enumerate(list(meeting.members)):
        service.record_attendance(session, meeting=meeting, member_id=member.id, present=index < present,
                                  by=ORGANIZER)


def user_of(session, expert: Expert):
    from judging.accounts.models import User

    return session.get(User, expert.user_id)


def make_shares(session, meeting, *, auditor_username: str | None = None) -> dict[str, str]:
    """Both share codes of the meeting key, made by the chair and by an auditor (made here when the
    database has none), as the holders would on their pages: {"chair_share": …, "auditor_share": …}."""
    from sqlalchemy import select

    from judging.accounts.models import Role, User

    auditor = session.scalar(select(User).where(User.role == Role.AUDITOR).order_by(User.id).limit(1)) \
        if auditor_username is None else session.scalar(select(User).where(User.username == auditor_username))
    if auditor is None:
        auditor = add_user(session, username=f"auditor{meeting.id}", password=PASSWORD, role=Role.AUDITOR,
                           display_name="纪检监督员", by=ORGANIZER, password_hash=hash_password(PASSWORD))
    chair = service.chair_of(meeting)
    return {"chair_share": service.make_key_share(session, meeting=meeting,
                                                  user=user_of(session, session.get(Expert, chair.expert_id))),
            "auditor_share": service.make_key_share(session, meeting=meeting, user=auditor)}


def open_with_keys(session, meeting, *, now: dt.datetime | None = None) -> dict[str, str]:
    """Shares made, voting opened; returns the share codes the tally needs."""
    codes = make_shares(session, meeting)
    service.open_voting(session, meeting=meeting, by=ORGANIZER, now=now)
    return codes


def by_handle(meeting, choices: dict[int, str]) -> dict[str, str]:
    """Choices keyed by nomination id, as the ballot form sends them: keyed by the nominations' handles."""
    handles = {row.nomination_id: row.handle for row in meeting.shortlist}
    return {handles[nid]: choice for nid, choice in choices.items()}


def demo_meeting(session, *, n_members: int = 9, top_m: int = 5, opens_at: dt.datetime | None = None,
                 closes_at: dt.datetime | None = None) -> dict:
    """A meeting on the demo's operating methods (all sheets submitted): an approved mean run, the
    stages walked to 会议评审, judge01… as members (judge01 chairs), voting window around now."""
    from sqlalchemy import select

    from judging.editions.models import CategoryKey
    from tests.results.factories import demo_ids

    round_id, category_id = demo_ids(session, CategoryKey.OPERATING_METHOD)
    run = create_run(session, round_id=round_id, category_id=category_id, method="mean", by=ORGANIZER)
    approve_run(session, run=run, by=ORGANIZER)
    walk_to_panel_meeting(session, category_id=category_id)
    emails = [f"judge{i:02d}@example.cn" for i in range(1, n_members + 1)]
    experts = sorted(session.scalars(select(Expert).where(Expert.email.in_(emails))), key=lambda e: e.email)
    now = dt.datetime.now(dt.UTC)
    meeting = service.create_meeting(
        session, category_id=category_id, run_id=run.id, top_m=top_m, member_expert_ids=[e.id for e in experts],
        chair_expert_id=experts[0].id, opens_at=opens_at or now - dt.timedelta(hours=1),
        closes_at=closes_at or now + dt.timedelta(hours=2), quorum=Fraction(2, 3), threshold=Fraction(2, 3),
        by=ORGANIZER)
    return {"meeting": meeting, "experts": experts, "run": run, "category_id": category_id}
