"""The sealer: events committed out of order are sealed in sequence order, never past one that may still
commit; rolled-back numbers become gaps; signed tree heads, inclusion and consistency proofs catch any
later change, removal or reordering."""

from __future__ import annotations

import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import delete, select, update

from judging import audit
from judging.audit.chain import event_hash
from judging.audit.merkle import leaf_hash, verify_inclusion
from judging.audit.models import AuditEvent, TreeHead
from judging.audit.sealer import GAP_ACTION

pytestmark = pytest.mark.backend_sensitive  # transactions, sequences and snapshots

SIGNER = audit.Signer(Ed25519PrivateKey.generate())
EVENTS, HEADS = AuditEvent.__table__, TreeHead.__table__


def _append(session, n: int) -> None:
    audit.append(session, actor=audit.Actor(3, "李娜"), action="score_sheet.draft_saved", object_type="score_sheet",
                 object_id=n, data={"value": str(n)})


def _commit_events(session_factory, n: int) -> None:
    with session_factory() as session:
        for index in range(n):
            _append(session, index)
        session.commit()


def _seal(session_factory, signer=SIGNER) -> audit.SealResult:
    with session_factory() as session:
        result = audit.seal(session, signer=signer)
        session.commit()
    return result


def _verify(session_factory, **kwargs) -> audit.Verification:
    with session_factory() as session:
        return audit.verify(session, **kwargs)


def _sql(session_factory, *statements) -> None:
    with session_factory() as session:
        for statement in statements:
            session.execute(statement)
        session.commit()


def test_sealed_events_are_chained_into_signed_heads_that_verify(session_factory):
    _commit_events(session_factory, 5)
    assert _verify(session_factory).unsealed == 5
    first = _seal(session_factory)
    _commit_events(session_factory, 4)
    second = _seal(session_factory)
    assert (first.sealed, first.tree_size, second.sealed, second.tree_size) == (5, 5, 4, 9)
    result = _verify(session_factory, public_key=SIGNER.public_key)
    assert (result.valid, result.length, result.heads, result.unsealed) == (True, 9, 2, 0)
    with session_factory() as session:
        assert audit.chain_head(session) == audit.ChainHead(9, second.root_hash)


def test_an_inclusion_proof_checks_with_the_signed_root_alone(session_factory):
    _commit_events(session_factory, 7)
    _seal(session_factory)
    with session_factory() as session:
        proofs = [audit.inclusion_proof(session, seq=seq) for seq in range(1, 8)]
    for proof in proofs:
        root = bytes.fromhex(proof["tree_head"]["root_hash"])
        path = [bytes.fromhex(node) for node in proof["audit_path"]]
        leaf = leaf_hash(proof["body"].encode("utf-8"))
        assert leaf.hex() == proof["leaf_hash"]
        assert verify_inclusion(leaf, proof["leaf_index"], proof["tree_head"]["tree_size"], path, root)
        forged = leaf_hash(proof["body"].replace('"value":', '"value":"9",').encode("utf-8"))
        assert not verify_inclusion(forged, proof["leaf_index"], 7, path, root)


def test_a_rewritten_history_with_recomputed_links_is_caught_by_the_signed_root(session_factory):
    _commit_events(session_factory, 6)
    _seal(session_factory)
    with session_factory() as session:
        rows = session.execute(select(EVENTS).order_by(EVENTS.c.seq)).all()
    # The forger edits event 3 and recomputes every link after it: the chain alone would look whole.
    prev, statements = rows[1].hash, []
    for row in rows[2:]:
        body = row.body.replace(b'"value":"2"', b'"value":"8"') if row.seq == 3 else row.body
        digest = event_hash(prev, body)
        statements.append(update(EVENTS).where(EVENTS.c.seq == row.seq).values(body=body, prev_hash=prev,
                                                                              hash=digest))
        prev = digest
    _sql(session_factory, *statements)
    result = _verify(session_factory)
    assert not result.valid and result.broken_seq == 1 and "root" in result.problem


def test_a_removed_sealed_event_is_detected(session_factory):
    _commit_events(session_factory, 4)
    _seal(session_factory)
    _sql(session_factory, delete(EVENTS).where(EVENTS.c.seq == 4))
    result = _verify(session_factory)
    assert not result.valid and result.broken_seq == 4 and "missing" in result.problem


def test_a_head_signed_with_another_key_or_altered_is_refused(session_factory):
    _commit_events(session_factory, 3)
    _seal(session_factory)
    result = _verify(session_factory, public_key=audit.Signer(Ed25519PrivateKey.generate()).public_key)
    assert not result.valid and "another key" in result.problem
    _sql(session_factory, update(HEADS).values(tree_size=2))
    result = _verify(session_factory, public_key=SIGNER.public_key)
    assert not result.valid and "signature" in result.problem


def test_events_are_sealed_in_sequence_order_never_past_an_open_transaction(session_factory, db_url):
    _commit_events(session_factory, 2)
    if db_url.startswith("sqlite"):
        pytest.skip("SQLite serializes writers: no transaction holds a number while another commits")
    slow = session_factory()
    _append(slow, 100)  # takes number 3 and stays open
    _commit_events(session_factory, 1)  # number 4 commits first
    assert _seal(session_factory).tree_size == 2  # 3 may still commit: nothing past it is sealed
    slow.commit()
    slow.close()
    assert _seal(session_factory).tree_size == 4
    with session_factory() as session:
        objects = session.scalars(select(AuditEvent.object_id).order_by(AuditEvent.seq)).all()
    assert objects == ["0", "1", "100", "0"]
    assert _verify(session_factory).valid


def test_a_rolled_back_number_is_sealed_as_a_gap_once_no_transaction_can_fill_it(session_factory, db_url):
    if db_url.startswith("sqlite"):
        pytest.skip("SQLite reuses a rolled-back rowid: no gap is ever left")
    _commit_events(session_factory, 1)
    doomed = session_factory()
    _append(doomed, 100)  # number 2
    _commit_events(session_factory, 1)  # number 3
    assert _seal(session_factory).tree_size == 1
    doomed.rollback()
    doomed.close()
    # A gap is sealed once the cluster's oldest open transaction is younger than the pass that saw the number
    # taken: a transaction open elsewhere on the server (another test worker's database) may hold that back.
    deadline, gaps = time.monotonic() + 30, 0
    while True:
        result = _seal(session_factory)
        gaps += result.gaps if result else 0
        if result and result.tree_size == 3 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert (result.tree_size if result else None, gaps) == (3, 1)
    with session_factory() as session:
        gap = session.get(AuditEvent, 2)
    assert gap.action == GAP_ACTION and gap.object_id == "2"
    verification = _verify(session_factory)
    assert verification.valid and verification.length == 3


def test_only_one_sealer_seals_at_a_time(session_factory, db_url):
    if db_url.startswith("sqlite"):
        pytest.skip("SQLite's BEGIN IMMEDIATE makes the second sealer wait instead")
    _commit_events(session_factory, 2)
    with session_factory() as first, session_factory() as second:
        assert audit.seal(first, signer=SIGNER).tree_size == 2
        assert audit.seal(second, signer=SIGNER) is None
        first.commit()
    assert _verify(session_factory).length == 2
