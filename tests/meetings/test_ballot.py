"""The encrypted ballot: key shares, receipts, the rules against small counts, and bad input refused with
nothing changed (a wrong share keeps the ciphertexts)."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from sqlalchemy import func, select, update

from judging.accounts import add_user
from judging.audit.models import AuditEvent
from judging.errors import Conflict, JudgingError
from judging.meetings import crypto, service
from judging.meetings.ballots import store_encrypted_ballot
from judging.meetings.models import MeetingBallot, MeetingKey, MeetingKeyShare, MeetingNomination, MeetingStatus
from tests.meetings.factories import (
    AFTER, DURING, OPENS, PASSWORD, by_handle, make_meeting, make_shares, make_world, open_with_keys, roll_call,
    user_of,
)
from tests.results.factories import ORGANIZER


def _stored(db) -> tuple:
    """What the ballot's tables hold and how many events there are, to show a refusal changed nothing."""
    db.flush()
    tables = (MeetingBallot, MeetingKey, MeetingKeyShare, MeetingNomination)
    return tuple(tuple(tuple(getattr(r, c.key) for c in model.__table__.columns) for r in db.scalars(
        select(model).order_by(*model.__table__.primary_key.columns))) for model in tables) + (
        db.scalar(select(func.count()).select_from(AuditEvent)),)


def _refused(db, match, action, error=JudgingError):
    before = _stored(db)
    with db.begin_nested():
        with pytest.raises(error, match=match):
            action()
        db.flush()
    db.expire_all()
    assert _stored(db) == before


def _voting(db, *, n_nominations=2, n_members=5, present=5):
    world = make_world(db, n_nominations=n_nominations, n_members=n_members)
    meeting = make_meeting(db, world)
    roll_call(db, meeting, present)
    codes = open_with_keys(db, meeting, now=OPENS)
    return world, meeting, codes


def _cast(db, world, meeting, votes):
    ids = [n.id for n in world["nominations"]]
    return [service.cast_ballot(db, meeting=meeting, user=user_of(db, expert), now=DURING,
                                choices=by_handle(meeting, dict(zip(ids, choices))))
            for expert, choices in zip(world["members"], votes)]


# ---------------------------------------------------------------------- the cryptography alone


def test_packed_ballots_add_up_without_carrying_and_the_opening_verifies():
    public, private = crypto.new_keypair()
    layout = crypto.layout_for(public.n, slots=60, seats=15)
    assert (layout.chunks, 2 ** layout.bits > 15) == (1, True)
    ballots = [[1] * 60 for _ in range(15)]  # the worst case: every slot of every ballot at 1
    ciphertexts = [crypto.parse_ballot(crypto.encrypt_ballot(public, b, layout), layout) for b in ballots]
    aggregate = crypto.aggregate(ciphertexts, layout)
    plains, randomness = crypto.decrypt_totals(private, aggregate)
    assert crypto.unpack(plains, layout) == [15] * 60
    assert crypto.check_totals(public.n, aggregate, plains, randomness)
    assert not crypto.check_totals(public.n, aggregate, [plains[0] + 1], randomness)
    # More slots than one plaintext holds: several chunks, same sums.
    wide = crypto.layout_for(public.n, slots=900, seats=15)
    vector = [i % 2 for i in range(900)]
    assert wide.chunks > 1
    (one,) = [crypto.parse_ballot(crypto.encrypt_ballot(public, vector, wide), wide)]
    assert crypto.unpack(crypto.decrypt_totals(private, crypto.aggregate([one, one], wide))[0], wide) == [
        2 * v for v in vector]


def test_the_same_ballot_encrypts_differently_each_time_and_bad_ciphertexts_are_refused():
    public, _private = crypto.new_keypair()
    layout = crypto.layout_for(public.n, slots=6, seats=5)
    first, second = (crypto.encrypt_ballot(public, [1, 0, 0, 0, 1, 0], layout) for _ in range(2))
    assert first != second and len(first) == len(second) == layout.hex_width
    for bad in ("", "zz" * (layout.hex_width // 2), "0" * layout.hex_width, first + "." + first, first[:-2],
                format(public.n, f"0{layout.hex_width}x")):  # a multiple of n is no unit mod n²
        with pytest.raises(crypto.CryptoError):
            crypto.parse_ballot(bad, layout)


def test_share_codes_are_typed_forgivingly_and_recognised_without_being_stored():
    code = crypto.new_share_code()
    assert len(code) == 29 and code.count("-") == 5
    public = crypto.share_public(code, 7, "chair")
    assert crypto.share_public(code.lower().replace("-", " "), 7, "chair") == public
    assert crypto.share_public(code, 8, "chair") != public and crypto.share_public(code, 7, "auditor") != public
    for typo in ("", code[:-1], code[:-1] + "!"):
        with pytest.raises(crypto.CryptoError):
            crypto.share_public(typo, 7, "chair")


# ---------------------------------------------------------------------- shares and the key


def test_only_the_chair_and_an_auditor_make_shares_and_voting_needs_both(db):
    world = make_world(db, n_nominations=1, n_members=3)
    meeting = make_meeting(db, world)
    roll_call(db, meeting, 3)
    _refused(db, "Only the chair and an auditor", lambda: service.make_key_share(
        db, meeting=meeting, user=user_of(db, world["members"][1])))
    chair_code = service.make_key_share(db, meeting=meeting, user=user_of(db, world["members"][0]))
    _refused(db, "before voting opens .*the auditor's share missing",
             lambda: service.open_voting(db, meeting=meeting, by=ORGANIZER, now=OPENS))
    codes = make_shares(db, meeting)  # the chair makes a new share: the first code is void
    assert codes["chair_share"] != chair_code
    other = add_user(db, username="inspector2", password=PASSWORD, role="auditor", by=ORGANIZER)
    _refused(db, "Another auditor holds", lambda: service.make_key_share(db, meeting=meeting, user=other),
             error=Conflict)
    service.open_voting(db, meeting=meeting, by=ORGANIZER, now=OPENS)
    key = service.key_of(db, meeting)
    assert int(key.public_n, 16).bit_length() == crypto.KEY_BITS and key.sealed_key
    shares = service.shares_of(db, meeting)
    # Neither code nor anything derived from the key is stored in the clear.
    stored = json.dumps([[getattr(s, c.key) for c in MeetingKeyShare.__table__.columns] for s in shares.values()]
                        + [key.sealed_key])
    for code in (codes["chair_share"], codes["auditor_share"], chair_code):
        assert code not in stored and code.replace("-", "") not in stored
    _refused(db, "before voting opens", lambda: service.make_key_share(
        db, meeting=meeting, user=user_of(db, world["members"][0])))


def test_a_wrong_or_swapped_share_refuses_the_tally_and_keeps_the_ciphertexts(db):
    world, meeting, codes = _voting(db)
    a, d = "agree", "disagree"
    receipts = _cast(db, world, meeting, [[a, a], [a, d], [d, a], [a, a], [a, d]])
    service.close_voting(db, meeting=meeting, by=ORGANIZER, now=DURING)
    wrong = crypto.new_share_code()
    for shares, message in [({**codes, "chair_share": wrong}, "the chair's share is not right"),
                            ({**codes, "auditor_share": "AAAA"}, "the auditor's share is not right"),
                            ({"chair_share": codes["auditor_share"], "auditor_share": codes["chair_share"]},
                             "the chair's share is not right")]:
        _refused(db, message, lambda shares=shares: service.tally(db, meeting=meeting, by=ORGANIZER, now=AFTER,
                                                                  **shares))
    assert meeting.status is MeetingStatus.CLOSED and service.key_of(db, meeting).sealed_key
    service.tally(db, meeting=meeting, by=ORGANIZER, now=AFTER, **codes)
    assert [(r.agree, r.disagree) for r in service.slot_rows(meeting)] == [(4, 1), (3, 2)]
    key = service.key_of(db, meeting)
    assert key.sealed_key is None and all(s.wrapped is None for s in service.shares_of(db, meeting).values())
    assert service.verify_tally(db, meeting)
    assert service.published_receipts(db, meeting) == sorted(receipts)
    assert service.check_receipt(db, meeting=meeting, receipt=receipts[2].upper())
    assert not service.check_receipt(db, meeting=meeting, receipt="0" * 64)
    with pytest.raises(JudgingError, match="64 characters"):
        service.check_receipt(db, meeting=meeting, receipt="not a receipt")
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "meeting.tallied"))
    assert json.loads(event.body)["data"]["ballots"] == 5
    # A changed total no longer verifies.
    service.slot_rows(meeting)[0].agree = 5
    assert not service.verify_tally(db, meeting)


def test_an_invalid_encryption_is_refused_and_a_ballot_altered_in_storage_stops_the_tally(db):
    world, meeting, codes = _voting(db, present=4)
    member = meeting.members[3]
    key = service.key_of(db, meeting)
    width = crypto.Layout(n=int(key.public_n, 16), slots=key.slots, bits=key.slot_bits).hex_width
    for bad in ("", "00" * (width // 2), "not hex at all"):
        _refused(db, "encryption is not valid", lambda bad=bad: store_encrypted_ballot(
            db, meeting=meeting, member=member, ciphertext=bad, method="online", by=ORGANIZER))
    receipts = _cast(db, world, meeting, [["agree", "agree"]] * 4)
    service.close_voting(db, meeting=meeting, by=ORGANIZER, now=DURING)
    # Someone with write access swaps one ballot's ciphertext for another's.
    other = db.get(MeetingBallot, receipts[1]).ciphertext
    db.execute(update(MeetingBallot).where(MeetingBallot.receipt == receipts[0]).values(ciphertext=other))
    _refused(db, f"receipt {receipts[0][:16]} is not a valid encryption",
             lambda: service.tally(db, meeting=meeting, by=ORGANIZER, now=AFTER, **codes))
    # One deleted: the count no longer matches the members who voted.
    db.execute(MeetingBallot.__table__.delete().where(MeetingBallot.receipt == receipts[0]))
    _refused(db, "3 encrypted ballots are stored but 4 members",
             lambda: service.tally(db, meeting=meeting, by=ORGANIZER, now=AFTER, **codes))


@pytest.mark.parametrize(("present", "voters", "refused"), [(3, 2, "2 ballots were cast; a tally needs at least 3"),
                                                            (5, 3, None)])
def test_a_tally_needs_three_ballots_and_the_quorum(db, present, voters, refused):
    world = make_world(db, n_nominations=1, n_members=4 if present == 3 else 6)
    meeting = make_meeting(db, world, quorum=Fraction(1, 2))
    roll_call(db, meeting, present)
    codes = open_with_keys(db, meeting, now=OPENS)
    _cast(db, world, meeting, [["agree"]] * voters)
    if refused:
        _refused(db, refused, lambda: service.tally(db, meeting=meeting, by=ORGANIZER, now=AFTER, **codes))
        service.cancel_meeting(db, meeting=meeting, reason="票数不足，重新召开", by=ORGANIZER)
        assert service.key_of(db, meeting).sealed_key is None
    else:
        service.tally(db, meeting=meeting, by=ORGANIZER, now=AFTER, **codes)
        assert service.slot_rows(meeting)[0].agree == 3


def test_a_tally_below_the_quorums_count_of_ballots_is_refused(db):
    world, meeting, codes = _voting(db, n_members=9, present=9)
    _cast(db, world, meeting, [["agree", "agree"]] * 5)  # quorum 2/3 of 9 seats: 6 ballots needed
    _refused(db, "5 ballots were cast; a tally needs at least 6",
             lambda: service.tally(db, meeting=meeting, by=ORGANIZER, now=AFTER, **codes))


def test_voting_closes_early_only_once_everyone_present_has_voted(db):
    world, meeting, codes = _voting(db, present=4)
    _cast(db, world, meeting, [["agree", "agree"]] * 3)
    _refused(db, r"only when every member present has voted \(1 have not\)",
             lambda: service.close_voting(db, meeting=meeting, by=ORGANIZER, now=DURING))
    service.cast_ballot(db, meeting=meeting, user=user_of(db, world["members"][3]), now=DURING,
                        choices=by_handle(meeting, {world["nominations"][0].id: "abstain",
                                                    world["nominations"][1].id: "agree"}))
    service.close_voting(db, meeting=meeting, by=ORGANIZER, now=DURING)
    assert meeting.status is MeetingStatus.CLOSED


def test_ballot_rows_carry_no_member_no_time_and_no_sequence(db):
    from judging.db import Base
    from judging.db.base import UTCDateTime

    columns = {c.name for c in Base.metadata.tables["meeting_ballots"].columns}
    assert columns == {"receipt", "meeting_id", "ciphertext"}
    for table in ("meeting_ballots", "meeting_keys", "meeting_key_shares", "meeting_members", "meeting_nominations"):
        assert not [c for c in Base.metadata.tables[table].columns if isinstance(c.type, UTCDateTime)], table
