"""The audit chain: appends in the caller's transaction, tamper detection, no fork under concurrency."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from sqlalchemy import delete, select, update

from judging import audit
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from judging.audit.chain import GENESIS_HASH, canonical_json, event_hash
from judging.audit.models import AuditEvent

pytestmark = pytest.mark.backend_sensitive  # the chain's transactions, stored form and concurrency

TABLE = AuditEvent.__table__
SIGNER = audit.Signer(Ed25519PrivateKey.generate())


def _seal(session_factory) -> audit.SealResult:
    with session_factory() as session:
        result = audit.seal(session, signer=SIGNER)
        session.commit()
    return result


def _fill(session_factory, n: int = 10) -> None:
    with session_factory() as session:
        for index in range(1, n + 1):
            audit.append(session, actor=audit.Actor(7, "张伟"), action="score.saved", object_type="sheet",
                         object_id=index, data={"value": f"{index}.5", "comment": "创新性突出"})
        session.commit()
    _seal(session_factory)


def _verify(session_factory) -> audit.Verification:
    with session_factory() as session:
        return audit.verify(session)


def test_empty_chain_is_valid(session_factory):
    result = _verify(session_factory)
    assert (result.valid, result.length, result.head_hash) == (True, 0, GENESIS_HASH)


def test_events_link_by_hash_and_store_canonical_json(session_factory):
    _fill(session_factory, 3)
    with session_factory() as session:
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[0].prev_hash == GENESIS_HASH
    assert events[1].prev_hash == events[0].hash
    record = json.loads(events[2].body)
    assert canonical_json(record) == events[2].body
    assert record["actor"] == "张伟" and record["data"]["comment"] == "创新性突出"
    assert events[2].hash == event_hash(events[1].hash, events[2].body)
    result = _verify(session_factory)
    with session_factory() as session:
        head = audit.chain_head(session)
    assert result.valid and result.length == 3 and result.head_hash == head.hash and head.length == 3


def test_rolled_back_change_leaves_no_event(session_factory):
    _fill(session_factory, 2)
    with session_factory() as session:
        audit.append(session, actor=audit.Actor.system(), action="x", object_type="y", object_id=1)
        session.rollback()
    assert _verify(session_factory).length == 2


def _tamper(session_factory, *statements) -> None:
    with session_factory() as session:
        for statement in statements:
            session.execute(statement)
        session.commit()


def _row(session_factory, seq: int):
    with session_factory() as session:
        return session.execute(select(TABLE).where(TABLE.c.seq == seq)).one()


def _forged_body(body: bytes) -> bytes:
    """The body with the score 5.5 made 9.5; only the data field, never a timestamp that holds "5.5"."""
    forged = body.replace(b'"value":"5.5"', b'"value":"9.5"')
    assert forged.count(b'"9.5"') == 1
    return forged


def test_edited_payload_is_detected(session_factory):
    _fill(session_factory)
    body = _forged_body(_row(session_factory, 5).body)
    _tamper(session_factory, update(TABLE).where(TABLE.c.seq == 5).values(body=body))
    result = _verify(session_factory)
    assert (result.valid, result.broken_seq, result.length) == (False, 5, 4)
    assert "hash" in result.problem


def test_edited_column_is_detected(session_factory):
    _fill(session_factory)
    _tamper(session_factory, update(TABLE).where(TABLE.c.seq == 5).values(actor="mallory"))
    result = _verify(session_factory)
    assert (result.valid, result.broken_seq) == (False, 5)
    assert "columns" in result.problem


def test_edit_with_recomputed_hash_breaks_the_next_link(session_factory):
    _fill(session_factory)
    row = _row(session_factory, 5)
    body = _forged_body(row.body)
    _tamper(session_factory, update(TABLE).where(TABLE.c.seq == 5).values(body=body,
                                                                          hash=event_hash(row.prev_hash, body)))
    result = _verify(session_factory)
    assert (result.valid, result.broken_seq) == (False, 6)
    assert "prev_hash" in result.problem


def test_deleted_event_is_detected(session_factory):
    _fill(session_factory)
    _tamper(session_factory, delete(TABLE).where(TABLE.c.seq == 5))
    result = _verify(session_factory)
    assert (result.valid, result.broken_seq) == (False, 6)
    assert "missing" in result.problem


def test_inserted_event_is_detected(session_factory):
    _fill(session_factory)
    previous = _row(session_factory, 4)
    forged = canonical_json({"seq": 5, "at": "2026-11-26T00:00:00.000000+00:00", "actor_id": None, "actor": "x",
                             "action": "score.saved", "object_type": "sheet", "object_id": "99", "data": {}})
    # Make room at 5 by moving the later events up (via a far offset so the primary key never collides).
    _tamper(session_factory,
            update(TABLE).where(TABLE.c.seq >= 5).values(seq=TABLE.c.seq + 1000),
            update(TABLE).where(TABLE.c.seq >= 1000).values(seq=TABLE.c.seq - 999))
    with session_factory() as session:
        import datetime as dt

        session.execute(TABLE.insert().values(
            seq=5, at=dt.datetime(2026, 11, 26, tzinfo=dt.UTC), actor_id=None, actor="x", action="score.saved",
            object_type="sheet", object_id="99", body=forged, prev_hash=previous.hash,
            hash=event_hash(previous.hash, forged)))
        session.commit()
    result = _verify(session_factory)
    assert (result.valid, result.broken_seq) == (False, 6)


def test_reordered_events_are_detected(session_factory):
    _fill(session_factory)
    five, six = _row(session_factory, 5), _row(session_factory, 6)
    columns = ("at", "actor_id", "actor", "action", "object_type", "object_id", "body", "prev_hash", "hash")
    _tamper(session_factory,
            update(TABLE).where(TABLE.c.seq == 5).values(hash="tmp", **{c: getattr(six, c) for c in columns
                                                                        if c != "hash"}),
            update(TABLE).where(TABLE.c.seq == 6).values(**{c: getattr(five, c) for c in columns}),
            update(TABLE).where(TABLE.c.seq == 5).values(hash=six.hash))
    result = _verify(session_factory)
    assert (result.valid, result.broken_seq) == (False, 5)


APPENDER = textwrap.dedent("""
    import sys
    from judging import audit
    from judging.db import create_db_engine, make_session_factory
    factory = make_session_factory(create_db_engine(sys.argv[1]))
    for i in range(int(sys.argv[2])):
        with factory() as session:
            audit.append(session, actor=audit.Actor.system(sys.argv[3]), action="load.test",
                         object_type="counter", object_id=i)
            session.commit()
""")


@pytest.mark.slow
def test_two_processes_appending_concurrently_keep_one_chain(db_url, session_factory):
    processes = [subprocess.Popen([sys.executable, "-c", APPENDER, db_url, "200", f"writer-{n}"],
                                  stderr=subprocess.PIPE, text=True) for n in (1, 2)]
    for process in processes:
        _, stderr = process.communicate(timeout=240)
        assert process.returncode == 0, stderr
    result = _verify(session_factory)
    _seal(session_factory)
    result = _verify(session_factory)
    assert result.valid and result.length == 400
    with session_factory() as session:
        actors = session.scalars(select(AuditEvent.actor)).all()
    assert actors.count("writer-1") == 200 and actors.count("writer-2") == 200
