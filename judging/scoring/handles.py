"""Judges reach their assignments by random handles, never by internal ids (which follow import order)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from judging.accounts.models import User
from judging.errors import NotFound
from judging.panels.models import Assignment, Expert


def assignment_id_for(session: Session, *, judge: User, handle: str) -> int:
    """The id of the judge's own assignment with this handle; NotFound for anyone else's or none."""
    found = session.scalar(select(Assignment.id).join(Expert, Expert.id == Assignment.expert_id)
                           .where(Assignment.handle == handle[:32], Expert.user_id == judge.id))
    if found is None:
        raise NotFound("assignment")
    return found
