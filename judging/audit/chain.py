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

from judging.audit.models import AuditEvent, TreeHead
from judging.db.base import utcnow

GENESIS_HASH = "0" * 64
_PG_CHAIN_LOCK = 0x6A756467  # "judg": the old chain-head lock (appends no longer take it)


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
    """Hold the old chain-head lock until the transaction ends: appends no longer take it (see
    ``append``), but a rare writer that must not run twice at once (a document's storing) still may.

    SQLite serializes writers at BEGIN IMMEDIATE (see judging.db.engine); PostgreSQL needs a lock,
    asked once per transaction (it is held to the transaction's end)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    transaction = session.get_transaction()
    if transaction is not None and session.info.get(_LOCK_HELD) is transaction:
        return
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_CHAIN_LOCK})
    session.info[_LOCK_HELD] = session.get_transaction()


def record_of(*, at: dt.datetime, actor: Actor, action: str, object_type: str, object_id: Any,
              data: dict[str, Any] | None) -> dict[str, Any]:
    """The hashed record of an event, without its sequence number (the sealer adds it)."""
    return {
        "at": at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor_id": actor.id,
        "actor": actor.label,
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "data": data or {},
    }


def append(session: Session, *, actor: Actor, action: str, object_type: str, object_id: Any,
           data: dict[str, Any] | None = None, at: dt.datetime | None = None) -> AuditEvent:
    """Add one event inside the caller's transaction (committed with the change, or not at all).

    One INSERT and no lock: the database assigns the sequence number, and the sealer
    (``judging.audit.sealer``) later chains committed events in sequence order and signs the Merkle
    tree they form. The stored body is the canonical record without ``seq``; sealing adds it."""
    at = at or utcnow()
    body = canonical_json(record_of(at=at, actor=actor, action=action, object_type=object_type,
                                    object_id=object_id, data=data))
    event = AuditEvent(at=at, actor_id=actor.id, actor=actor.label, action=action, object_type=object_type,
                       object_id=str(object_id), body=body)
    session.add(event)
    session.flush()
    return event


def sealed_body(seq: int, body: bytes) -> bytes:
    """The body as sealed: the record with its sequence number (a body that has one is kept as it is)."""
    record = json.loads(body)
    if "seq" in record:
        return body
    record["seq"] = seq
    return canonical_json(record)


@dataclass(frozen=True)
class ChainHead:
    """The latest signed tree head: how many events it seals and its Merkle root (hex)."""

    length: int
    hash: str


def chain_head(session: Session) -> ChainHead:
    """The latest signed tree head (what reports print, so an outside copy of it exists)."""
    head = session.execute(select(TreeHead.tree_size, TreeHead.root_hash)
                           .order_by(TreeHead.tree_size.desc()).limit(1)).first()
    return ChainHead(head.tree_size, head.root_hash) if head else ChainHead(0, GENESIS_HASH)
