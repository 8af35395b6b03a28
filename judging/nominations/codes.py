"""Issuing the per-round blind codes that are the only handle judges get on a nomination.

The one issuer of codes: confirming a nomination, passing formal review, committing an assignment and
advancing to the final round all come here. Which nominations may have a code is the caller's rule
(formal review, above intake, decides who is admitted); this module only keeps codes unique.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from judging import audit
from judging.nominations.blinding import new_codes
from judging.nominations.models import BlindCode


def ensure_blind_codes(session: Session, *, round_id: int, nomination_ids: Iterable[int], by: audit.Actor,
                       draw: Callable[[int, set[str]], list[str]] = new_codes) -> dict[int, str]:
    """Give every listed nomination a code in the round (keeping codes already issued); audited.

    A new code differs from every code of every round (the column is unique), not only this round's.
    ``draw(n, taken)`` makes the new codes: unguessable ones from ``secrets`` (the default); the demo passes
    its seeded drawer so that the same seed gives the same edition.
    """
    wanted = set(nomination_ids)
    existing = dict(session.execute(select(BlindCode.nomination_id, BlindCode.code)
                                    .where(BlindCode.round_id == round_id)).all())
    missing = sorted(wanted - existing.keys())
    if missing:
        taken = set(session.scalars(select(BlindCode.code)).all())
        issued = dict(zip(missing, draw(len(missing), taken), strict=True))
        session.flush()  # pending objects first: the bulk insert below goes straight to the database
        session.execute(insert(BlindCode), [{"round_id": round_id, "nomination_id": nomination_id, "code": code}
                                            for nomination_id, code in issued.items()])
        existing.update(issued)
        audit.append(session, actor=by, action="round.blind_codes_issued", object_type="round", object_id=round_id,
                     data={"count": len(missing)})
    return {nomination_id: existing[nomination_id] for nomination_id in wanted}
