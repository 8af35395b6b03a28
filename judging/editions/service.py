"""Editions: finding the current edition and the figures the organizer's home shows."""

from __future__ import annotations


from sqlalchemy import func, select
from sqlalchemy.orm import Session

from judging.editions.models import Edition
from judging.errors import NotFound


def current_edition(session: Session) -> Edition:
    """The most recent edition (by year); NotFound when none has been set up."""
    edition = session.scalar(select(Edition).order_by(Edition.year.desc()).limit(1))
    if edition is None:
        raise NotFound("edition")
    return edition


def current_edition_or_none(session: Session) -> Edition | None:
    """The most recent edition, or None before any has been set up (pages then say so)."""
    try:
        return current_edition(session)
    except NotFound:
        return None


def has_edition(session: Session) -> bool:
    return session.scalar(select(func.count()).select_from(Edition)) > 0
