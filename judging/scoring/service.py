"""Scoring: the judge's queue (more to come: drafts, submission, reopening)."""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from judging.accounts.models import User
from judging.editions.models import Category, Round, RoundStatus
from judging.nominations.models import BlindCode, Nomination
from judging.panels.models import Assignment, Expert
from judging.scoring.models import ScoreSheet


class QueueStatus(enum.StrEnum):
    NOT_STARTED = "not_started"
    DRAFT = "draft"
    SUBMITTED = "submitted"


@dataclass(frozen=True)
class QueueItem:
    """What a judge may know of one assignment: its blind code, category and (redacted) title."""

    assignment_id: int
    code: str
    title: str
    category_name: str
    round_name: str
    status: QueueStatus


def judge_queue(session: Session, *, judge: User) -> list[QueueItem]:
    """The judge's assignments in open rounds, in an order private to the judge.

    The order is a hash of (judge, code): stable between visits, but unrelated to ids, cities or
    upload times, so the queue's order reveals nothing about who made what.
    """
    rows = session.execute(
        select(Assignment.id, BlindCode.code, Nomination.title, Category.name, Round.name, ScoreSheet.status)
        .join(Expert, Expert.id == Assignment.expert_id)
        .join(Round, Round.id == Assignment.round_id)
        .join(Nomination, Nomination.id == Assignment.nomination_id)
        .join(Category, Category.id == Nomination.category_id)
        .join(BlindCode, (BlindCode.nomination_id == Nomination.id) & (BlindCode.round_id == Round.id))
        .outerjoin(ScoreSheet, ScoreSheet.assignment_id == Assignment.id)
        .where(Expert.user_id == judge.id, Round.status == RoundStatus.OPEN, Assignment.withdrawn_at.is_(None))).all()
    items = [QueueItem(assignment_id, code, title, category_name, round_name,
                       QueueStatus(status.value) if status else QueueStatus.NOT_STARTED)
             for assignment_id, code, title, category_name, round_name, status in rows]
    return sorted(items, key=lambda item: hashlib.sha256(f"{judge.id}:{item.code}".encode()).digest())
