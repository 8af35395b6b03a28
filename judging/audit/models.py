"""The audit event table (a database-assigned sequence of canonical JSON records, chained and sealed
into a Merkle tree by the sealer) and the sealer's signed tree heads."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from judging.db.base import Base


class AuditEvent(Base):
    __tablename__ = "audit_events"

    # The sequence is the primary key: unique, so no two events share a place. The database assigns it
    # (PostgreSQL: audit_next_seq(), see migration 0017_perf; SQLite: the rowid), with no lock.
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime]
    actor_id: Mapped[int | None] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(64))
    # The exact bytes that are hashed: canonical JSON of every field above plus the payload. Written
    # without "seq" by the business transaction; the sealer adds it when it chains the event.
    body: Mapped[bytes] = mapped_column(LargeBinary)
    # Set by the sealer (None until the event is sealed): the link to the event before it.
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64), unique=True)


class TreeHead(Base):
    """A signed tree head: the Merkle root of the first ``tree_size`` events, signed with Ed25519."""

    __tablename__ = "audit_tree_heads"

    tree_size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root_hash: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[dt.datetime]
    public_key: Mapped[str] = mapped_column(String(64))  # raw Ed25519 key, hex: which key signed
    signature: Mapped[str] = mapped_column(String(128))
    # The roots of the perfect subtrees of this tree (hex, largest first): the next batch starts here.
    frontier: Mapped[str] = mapped_column(Text)


class SealerState(Base):
    """One row: the sealer's last look at the sequence, to tell a gap from an open transaction.

    ``observed_seq`` was the sequence's last value when the transaction ``observed_xid`` started; once
    every transaction older than that one has ended, no number up to ``observed_seq`` can still commit."""

    __tablename__ = "audit_sealer"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    observed_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    observed_xid: Mapped[int] = mapped_column(BigInteger, default=0)
