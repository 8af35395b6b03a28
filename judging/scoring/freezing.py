"""The freeze of a round and category's scores once a run resting on them is approved, and the lock that
keeps every sheet change and an approval from crossing."""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from judging import audit
from judging.errors import N_, Conflict
from judging.scoring.models import ScoreFreeze


_SCOPES = "scoring.scopes_held"  # session.info: (transaction, {(round, category): exclusive?})


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _scopes_held(session: Session) -> dict[tuple[int, int], bool]:
    transaction = session.get_transaction()
    held = session.info.get(_SCOPES)
    if held is None or held[0] is not transaction:
        held = session.info[_SCOPES] = (transaction, {})
    return held[1]


def hold_scores(session: Session, *, round_id: int, category_id: int, exclusive: bool = False) -> None:
    """Lock one round and category's scores until the transaction ends: shared by every sheet change,
    exclusive for an approval, which reads the scores and freezes them.

    Saves of the same category run side by side; an approval waits for those in flight and holds off
    new ones until it commits, so a save either commits before the approval reads the scores or sees
    the freeze. PostgreSQL: a transaction-scoped advisory lock in the two-key space, which only this
    function uses (round id, category id). SQLite serializes writers at BEGIN IMMEDIATE already."""
    if not _is_postgres(session):
        return
    held = _scopes_held(session)
    key = (round_id, category_id)
    if key in held and (held[key] or not exclusive):
        return
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    session.execute(text(f"SELECT {function}(:round, :category)"), {"round": round_id, "category": category_id})
    held[key] = exclusive


def freeze_scores(session: Session, *, round_id: int, category_id: int, reason: str,
                  by: audit.Actor) -> ScoreFreeze:
    """From now on no sheet of this round and category may change (an approved run rests on them).

    The caller holds the scores exclusively (:func:`hold_scores`) from before it read the scores it
    approves, so no save slips in between that reading and this freeze."""
    hold_scores(session, round_id=round_id, category_id=category_id, exclusive=True)
    if is_frozen(session, round_id=round_id, category_id=category_id):
        raise Conflict(N_("The scores of this round and category are already frozen."))
    freeze = ScoreFreeze(round_id=round_id, category_id=category_id, reason=reason)
    session.add(freeze)
    session.flush()
    audit.append(session, actor=by, action="round.scores_frozen", object_type="round", object_id=round_id,
                 data={"category": category_id, "reason": reason})
    return freeze


def is_frozen(session: Session, *, round_id: int, category_id: int) -> bool:
    return session.scalar(select(ScoreFreeze.id).where(ScoreFreeze.round_id == round_id,
                                                       ScoreFreeze.category_id == category_id)) is not None


def ensure_not_frozen(session: Session, *, round_id: int, category_id: int) -> None:
    """Refuse a change to a frozen round and category.

    Every sheet change asks this once its writes are done: it holds the round and category's scores
    (shared) to the end of the transaction, so a freeze that committed first is seen here, and one
    that comes later waits for this change and then sees it (its digest check fails)."""
    hold_scores(session, round_id=round_id, category_id=category_id)
    if is_frozen(session, round_id=round_id, category_id=category_id):
        raise Conflict(N_("The results of this round and category are approved; its scores can no longer change."))
