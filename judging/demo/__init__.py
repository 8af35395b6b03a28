"""A realistic, deterministic demo edition (2026, Jiangsu) that every part of the product extends,
built through the same services as real data (and so audited like it)."""

from __future__ import annotations

import random
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from judging import audit
from judging.accounts import Role, add_user
from judging.demo.content import DEMO_PASSWORDS, DemoAccount, current_edition_spec, on_scale
from judging.demo.current import (
    DEMO_TARGET, JUDGE_ACCOUNTS, add_blind_codes, add_experts, add_nominations, assign, walk_stages,
)
from judging.demo.notice import DEMO_OBJECTION, notice_edition
from judging.meetings.models import Meeting, MeetingStatus
from judging.meetings.sheet import make_sheet
from judging.notices.jobs import make_notice_pdf
from judging.notices.models import Notice
from judging.demo.scores import judges_at_work
from judging.editions.models import RoundKind
from judging.editions.service import create_edition, has_edition, open_round

__all__ = ["DEMO_OBJECTION", "DEMO_PASSWORDS", "DEMO_TARGET", "DemoAccount", "load_demo", "on_scale"]


def load_demo(session: Session, *, seed: int = 2026, progress: Callable[[int, int, str], None] | None = None,
              ) -> list[DemoAccount]:
    """Create the demo edition in the caller's transaction; refuse if any edition exists.

    Every random choice comes from one ``random.Random(seed)``, so the same seed gives the same
    editions, nominations, experts, assignments and codes. Password hashes (salted) and audit
    timestamps naturally differ between two loads.
    """
    if has_edition(session):
        raise RuntimeError("the database already holds an edition; the demo loads only into an empty one")
    rng = random.Random(seed)
    report = progress or (lambda done, total, what: None)
    system = audit.Actor.system("demo")
    steps = 6
    report(0, steps, "accounts")
    accounts = [DemoAccount("organizer", DEMO_PASSWORDS["organizer"], Role.ORGANIZER, "协调办公室"),
                DemoAccount("auditor", DEMO_PASSWORDS["auditor"], Role.AUDITOR, "纪检监督"),
                DemoAccount("admin", DEMO_PASSWORDS["admin"], Role.ADMIN, "系统管理员"),
                DemoAccount("nanjing", DEMO_PASSWORDS["nominator"], Role.NOMINATOR, "南京市总工会")]
    display = {"organizer": "省总工会协调办公室", "auditor": "纪检监督员", "admin": "系统管理员",
               "nanjing": "南京市总工会"}
    users = {account.username: add_user(session, username=account.username, password=account.password,
                                        role=account.role, display_name=display[account.username], by=system,
                                        city="南京" if account.role is Role.NOMINATOR else None)
             for account in accounts}

    report(1, steps, "edition")
    edition = create_edition(session, spec=current_edition_spec(), by=system)
    preliminary = next(r for r in edition.rounds if r.kind is RoundKind.PRELIMINARY)
    open_round(session, round_=preliminary, by=system)

    report(2, steps, "nominations")
    nominations = add_nominations(session, rng, edition=edition, actor=system)
    report(3, steps, "experts")
    experts = add_experts(session, rng, actor=system)
    accounts.append(JUDGE_ACCOUNTS)
    report(4, steps, "blind codes")
    draw = add_blind_codes(session, rng, round_=preliminary, nominations=nominations, by=system)
    walk_stages(session, edition=edition, actor=system, draw=draw)

    report(5, steps, "assignments and scores")
    assign(session, edition=edition, round_=preliminary, seed=seed, actor=system)
    judges_at_work(session, edition=edition, round_=preliminary, experts=experts, seed=seed,
                   organizer=users["organizer"])
    notice_edition(session, seed=seed, experts=experts, actor=system)
    report(steps, steps, "done")
    return accounts


def make_demo_documents(session_factory: sessionmaker[Session]) -> int:
    """After the demo has committed: the PDFs its notices and tallied meeting would have had made by then
    (the same producers the notice job and the tally use, each rendering outside any transaction)."""
    with session_factory() as session:
        notice_ids = list(session.scalars(select(Notice.id).order_by(Notice.id)))
        meeting_ids = list(session.scalars(select(Meeting.id).where(Meeting.status == MeetingStatus.TALLIED)
                                           .order_by(Meeting.id)))
    by = audit.Actor.system("demo")
    for notice_id in notice_ids:
        make_notice_pdf(session_factory, notice_id=notice_id, by=by)
    for meeting_id in meeting_ids:
        make_sheet(session_factory, meeting_id=meeting_id, by=by)
    return len(notice_ids) + len(meeting_ids)
