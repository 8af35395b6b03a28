"""Blind codes are issued once per nomination and round, and are distinct."""

from sqlalchemy import select

from judging import audit
from judging.editions.models import Round
from judging.nominations.blinding import is_valid_code
from judging.nominations.codes import ensure_blind_codes
from judging.nominations.models import Nomination


def test_codes_are_issued_once_and_kept(db, demo):
    final = db.scalar(select(Round).where(Round.kind == "final"))
    ids = db.scalars(select(Nomination.id).limit(30)).all()
    first = ensure_blind_codes(db, round_id=final.id, nomination_ids=ids[:20], by=audit.Actor.system())
    again = ensure_blind_codes(db, round_id=final.id, nomination_ids=ids, by=audit.Actor.system())
    assert len(set(again.values())) == 30 and all(is_valid_code(code) for code in again.values())
    assert all(again[i] == first[i] for i in ids[:20])
    preliminary = db.scalar(select(Round).where(Round.kind == "preliminary"))
    earlier = ensure_blind_codes(db, round_id=preliminary.id, nomination_ids=ids, by=audit.Actor.system())
    assert not set(earlier.values()) & set(again.values())  # a new code per round: rounds cannot be linked
