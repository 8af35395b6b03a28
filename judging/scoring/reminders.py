"""Reminders to judges: before their deadline (once per deadline), and the organizer's "remind the late judges"."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from judging import audit, notifications
from judging.db.base import utcnow
from judging.editions.models import Round, RoundStatus
from judging.scoring.progress import JudgeProgress, round_progress
from judging.settings import current


@dataclass(frozen=True)
class Reminded:
    judges: int    # judges a reminder was due for
    queued: int    # messages queued now (0 when every one had been sent before)


def _remind(session: Session, judge: JudgeProgress, round_: Round, *, key: str, by: audit.Actor) -> int:
    if judge.expert is None or judge.expert.user_id is None:
        return 0
    return len(notifications.queue(
        session, event="reminder", to=notifications.users(session, [judge.expert.user_id]), by=by, dedupe=key,
        link="/judge", round=round_.name, deadline=judge.deadline, assigned=judge.assigned,
        outstanding=judge.assigned - judge.submitted))


def send_due_reminders(session: Session, *, days: int, by: audit.Actor, now: dt.datetime | None = None) -> Reminded:
    """A reminder to each judge of an open round with unsubmitted items whose deadline (their own
    extension, else the round's) is at most ``days`` days ahead. Once per round, judge and deadline:
    running it again sends nothing new; an extended deadline earns its own reminder."""
    now = now or utcnow()
    judges = queued = 0
    for round_ in session.scalars(select(Round).where(Round.status == RoundStatus.OPEN).order_by(Round.id)):
        for judge in round_progress(session, round_=round_, now=now).judges:
            if judge.submitted >= judge.assigned or judge.deadline is None:
                continue
            if now < judge.deadline <= now + dt.timedelta(days=days):
                judges += 1
                queued += _remind(session, judge, round_, by=by,
                                  key=f"reminder:{round_.id}:{judge.expert.id}:{judge.deadline.isoformat()}")
    return Reminded(judges, queued)


def late_judges(session: Session, *, round_: Round, now: dt.datetime | None = None) -> list[JudgeProgress]:
    """The judges behind schedule in a round (an item overdue, or fewer submitted than the time gone)."""
    return round_progress(session, round_=round_, now=now).behind


def remind_late_judges(session: Session, *, round_: Round, by: audit.Actor,
                       now: dt.datetime | None = None) -> Reminded:
    """The organizer's button: a reminder to each late judge, at most once a day each (a second click
    the same day queues nothing)."""
    now = now or utcnow()
    day = now.astimezone(ZoneInfo(current().timezone)).date().isoformat()
    late = late_judges(session, round_=round_, now=now)
    queued = sum(_remind(session, judge, round_, by=by, key=f"late:{round_.id}:{judge.expert.id}:{day}")
                 for judge in late)
    return Reminded(len(late), queued)
