"""Append events to the hash-chained audit log and verify the chain end to end."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from judging.audit.models import AuditEvent
from judging.db.base import utcnow

GENESIS_HASH = "0" * 64
_PG_CHAIN_LOCK = 0x6A756467  # "judg": one advisory lock key serializes every append on PostgreSQL


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"cannot put {type(value).__name__} in an audit event")


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8: the one byte form that is hashed and stored."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=_json_default, allow_nan=False).encode("utf-8")


def event_hash(prev_hash: str, body: bytes) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + body).hexdigest()


@dataclass(frozen=True)
class Actor:
    """Who caused an event, the one type every service takes as ``by`` and ``append`` stores as its two
    columns: a user (``judging.accounts.actor_of``: id and username) or, with id None, a system actor
    named in ``judging.audit.catalogue.SYSTEM_ACTORS`` (the demo, the worker, the public...)."""

    id: int | None
    label: str

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(None, label)


_LOCK_HELD = "audit.chain_lock_held"  # session.info key: the transaction holding the lock


def lock_chain_head(session: Session) -> None:
    """Hold the chain head until the transaction ends (``append`` does; so does a check that must not
    race an audited change, such as the frozen-score check at commit against an approval).

    SQLite serializes writers at BEGIN IMMEDIATE (see judging.db.engine); PostgreSQL needs a lock,
    asked once per transaction (it is held to the transaction's end)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    transaction = session.get_transaction()
    if transaction is not None and session.info.get(_LOCK_HELD) is transaction:
        return
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_CHAIN_LOCK})
    session.info[_LOCK_HELD] = session.get_transaction()


def append(session: Session, *, actor: Actor, action: str, object_type: str, object_id: Any,
           data: dict[str, Any] | None = None, at: dt.datetime | None = None) -> AuditEvent:
    """Add one event to the chain inside the caller's transaction (committed with the change)."""
    lock_chain_head(session)
    head = session.execute(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)).first()
    seq, prev_hash = (head.seq + 1, head.hash) if head else (1, GENESIS_HASH)
    at = at or utcnow()
    record = {
        "seq": seq,
        "at": at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor_id": actor.id,
        "actor": actor.label,
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "data": data or {},
    }
    body = canonical_json(record)
    event = AuditEvent(seq=seq, at=at, actor_id=actor.id, actor=actor.label, action=action,
                       object_type=object_type, object_id=str(object_id), body=body,
                       prev_hash=prev_hash, hash=event_hash(prev_hash, body))
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class ChainHead:
    length: int
    hash: str


@dataclass(frozen=True)
class Verification:
    """The outcome of walking the chain: valid with its head, or the first broken event."""

    valid: bool
    length: int
    head_hash: str
    broken_seq: int | None = None
    problem: str | None = None


def chain_head(session: Session) -> ChainHead:
    head = session.execute(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)).first()
    return ChainHead(head.seq, head.hash) if head else ChainHead(0, GENESIS_HASH)


def _columns_match(event, record: dict[str, Any]) -> bool:
    return (record.get("seq") == event.seq and record.get("actor_id") == event.actor_id
            and record.get("actor") == event.actor and record.get("action") == event.action
            and record.get("object_type") == event.object_type and record.get("object_id") == event.object_id
            and record.get("at") == event.at.astimezone(dt.UTC).isoformat(timespec="microseconds"))


def verify(session: Session, *, batch_size: int = 2000) -> Verification:
    """Walk every event in sequence order; report the first whose link or content is broken."""
    expected_seq, prev_hash, count = 1, GENESIS_HASH, 0
    last_seq = 0
    while True:
        # Plain rows, not ORM objects: the walk must not fill the caller's identity map.
        table = AuditEvent.__table__
        events = session.execute(select(table).where(table.c.seq > last_seq)
                                 .order_by(table.c.seq).limit(batch_size)).all()
        if not events:
            return Verification(True, count, prev_hash)
        for event in events:
            problem = None
            if event.seq != expected_seq:
                problem = f"sequence jumps from {expected_seq - 1} to {event.seq} (events missing)"
            elif event.prev_hash != prev_hash:
                problem = "its prev_hash does not match the hash of the event before it"
            elif event.hash != event_hash(event.prev_hash, event.body):
                problem = "its content does not match its hash"
            else:
                try:
                    record = json.loads(event.body)
                except ValueError:
                    record = None
                if record is None or canonical_json(record) != event.body or not _columns_match(event, record):
                    problem = "its columns differ from the hashed record"
            if problem:
                return Verification(False, count, prev_hash, broken_seq=event.seq, problem=problem)
            prev_hash, expected_seq, count, last_seq = event.hash, expected_seq + 1, count + 1, event.seq
