"""The sealer: chains committed events in sequence order, in batches, into a Merkle tree and signs its head.

Appends take no lock (``chain.append``), so events commit out of sequence order; the sealer never
seals past a number that an open transaction may still commit. On PostgreSQL each event's number
comes from ``audit_next_seq()``, which gives the transaction its id *before* it takes the number
(migration 0017_perf). The sealer notes the sequence's last value L and then its own transaction id
W: every number up to L was taken by a transaction older than W. Once the oldest running transaction
is younger than W (``pg_snapshot_xmin``), every number up to L has committed or never will: a hole
there is a rolled-back transaction's, sealed as a gap event. SQLite serializes writers, so a hole
can only be a deletion and the sealer never finds one among committed rows.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import bindparam, select, text, update
from sqlalchemy.orm import Session

from judging.audit.chain import GENESIS_HASH, Actor, canonical_json, event_hash, record_of, sealed_body
from judging.audit.merkle import frontier_append, frontier_root, leaf_hash
from judging.audit.models import AuditEvent, SealerState, TreeHead
from judging.db.base import utcnow

_PG_SEALER_LOCK = 0x6A756473  # "juds": one sealer at a time, whichever process runs it
GAP_ACTION = "sequence_number.skipped"


# ------------------------------------------------------------------------------------------ keys

class Signer:
    """The Ed25519 key that signs tree heads. Every sealing process uses the same one (a file beside
    the database, like the CSRF secret); auditors check heads against its public key."""

    def __init__(self, private_key: Ed25519PrivateKey):
        self._key = private_key
        self.public_key = private_key.public_key().public_bytes(serialization.Encoding.Raw,
                                                                serialization.PublicFormat.Raw)

    @classmethod
    def from_file(cls, path: Path) -> Signer:
        """The key in ``path`` (PEM, PKCS#8), made there (mode 0600) on first use."""
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            pem = Ed25519PrivateKey.generate().private_bytes(serialization.Encoding.PEM,
                                                             serialization.PrivateFormat.PKCS8,
                                                             serialization.NoEncryption())
            # Written aside, then linked into place: a worker starting at the same moment sees no file
            # or a whole one, and the first link wins.
            temporary = path.with_name(f".{path.name}.{os.getpid()}")
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass
            finally:
                temporary.unlink()
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} does not hold an Ed25519 private key")
        return cls(key)

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)


def head_message(tree_size: int, root_hash: str, signed_at: dt.datetime) -> bytes:
    """The bytes a tree head's signature covers."""
    return canonical_json({"log": "judging-audit-v1", "tree_size": tree_size, "root_hash": root_hash,
                           "timestamp": signed_at.astimezone(dt.UTC).isoformat(timespec="microseconds")})


def signature_valid(head: TreeHead, public_key: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature

    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(
            bytes.fromhex(head.signature), head_message(head.tree_size, head.root_hash, head.signed_at))
    except (InvalidSignature, ValueError):
        return False
    return True


# --------------------------------------------------------------------------------------- sealing

@dataclass(frozen=True)
class SealResult:
    sealed: int  # events sealed by this pass (gaps included)
    gaps: int
    tree_size: int
    root_hash: str


def _final_up_to(session: Session, postgres: bool) -> tuple[int, SealerState | None]:
    """The highest sequence number below which every transaction has ended (PostgreSQL), or the last
    committed one (SQLite: writers are serialized, so nothing is in flight)."""
    if not postgres:
        return session.scalar(text("SELECT coalesce(max(seq), 0) FROM audit_events")), None
    state = session.get(SealerState, 1)
    if state is None or state.observed_xid == 0:
        return 0, state
    oldest = session.scalar(text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"))
    return (state.observed_seq if oldest > state.observed_xid else 0), state


def _observe(session: Session, state: SealerState | None, consumed: bool) -> None:
    """Note the sequence's last value, then this transaction's id (in that order: see the module)."""
    if state is not None and state.observed_xid and not consumed:
        return  # the last look has not been overtaken yet: keep it, or a busy log would never settle
    last = session.scalar(text("SELECT coalesce(pg_sequence_last_value('audit_events_seq_seq'), 0)"))
    xid = session.scalar(text("SELECT pg_current_xact_id()::text::bigint"))
    if state is None:
        session.add(SealerState(id=1, observed_seq=last, observed_xid=xid))
    else:
        state.observed_seq, state.observed_xid = last, xid


def _gap_event(seq: int, at: dt.datetime) -> AuditEvent:
    record = record_of(at=at, actor=Actor.system("system"), action=GAP_ACTION, object_type="sequence_number",
                       object_id=seq, data={})
    record["seq"] = seq
    return AuditEvent(seq=seq, at=at, actor_id=None, actor="system", action=GAP_ACTION,
                      object_type="sequence_number", object_id=str(seq), body=canonical_json(record))


def seal(session: Session, *, signer: Signer, batch_size: int = 5000, now: dt.datetime | None = None,
         ) -> SealResult | None:
    """One pass in the caller's transaction: chain the committed events after the latest tree head, in
    sequence order up to the first number that may still commit, and sign the new head. None when
    another sealer holds the log (PostgreSQL); the caller commits."""
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres and not session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _PG_SEALER_LOCK}):
        return None
    now = now or utcnow()
    head = session.scalar(select(TreeHead).order_by(TreeHead.tree_size.desc()).limit(1))
    size = head.tree_size if head else 0
    frontier = [bytes.fromhex(h) for h in json.loads(head.frontier)] if head else []
    prev_hash = session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == size)) if size else GENESIS_HASH
    final, state = _final_up_to(session, postgres)
    table = AuditEvent.__table__
    rows = session.execute(select(table.c.seq, table.c.body, table.c.prev_hash, table.c.hash)
                           .where(table.c.seq > size).order_by(table.c.seq).limit(batch_size)).all()
    updates, gaps, start = [], 0, size
    rows_iter = iter(rows)
    row = next(rows_iter, None)
    while size - start < batch_size:
        expected = size + 1
        if row is not None and row.seq == expected:
            if row.hash is None:
                body = sealed_body(row.seq, row.body)
                digest = event_hash(prev_hash, body)
                updates.append({"s": row.seq, "b": body, "p": prev_hash, "h": digest})
            elif row.prev_hash == prev_hash and row.hash == event_hash(prev_hash, row.body):
                body, digest = row.body, row.hash  # chained before the sealer existed
            else:
                break  # a broken link is for `audit verify` to report, never to seal over
            row = next(rows_iter, None)
        elif expected <= final and (row is None or row.seq > expected):
            gap = _gap_event(expected, now)
            session.add(gap)
            body, digest = gap.body, event_hash(prev_hash, gap.body)
            gap.prev_hash, gap.hash = prev_hash, digest
            gaps += 1
        else:
            break
        size = frontier_append(frontier, size, leaf_hash(body))
        prev_hash = digest
    if updates:
        session.execute(update(table).where(table.c.seq == bindparam("s"))
                        .values(body=bindparam("b"), prev_hash=bindparam("p"), hash=bindparam("h")), updates)
    if postgres:
        _observe(session, state, consumed=final > 0)
    if size == start:
        session.flush()
        return SealResult(0, 0, size, head.root_hash if head else GENESIS_HASH)
    root = frontier_root(frontier).hex()
    signed_at = utcnow()
    session.add(TreeHead(tree_size=size, root_hash=root, signed_at=signed_at, public_key=signer.public_key.hex(),
                         signature=signer.sign(head_message(size, root, signed_at)).hex(),
                         frontier=json.dumps([h.hex() for h in frontier])))
    session.flush()
    return SealResult(size - start, gaps, size, root)


# ------------------------------------------------------------------------------------ the loop

class SealerThread(threading.Thread):
    """Seals every ``interval`` seconds in its own transactions until stopped (in `serve` and `worker`)."""

    def __init__(self, session_factory, signer: Signer, *, interval: float = 0.5):
        super().__init__(name="audit-sealer", daemon=True)
        self._factory, self._signer, self._interval = session_factory, signer, interval
        self._stop = threading.Event()

    def run(self) -> None:
        import logging

        while not self._stop.wait(self._interval):
            try:
                with self._factory() as session:
                    result = seal(session, signer=self._signer)
                    session.commit()
                # A full batch: more are waiting, go on at once.
                while result is not None and result.sealed >= 5000 and not self._stop.is_set():
                    with self._factory() as session:
                        result = seal(session, signer=self._signer)
                        session.commit()
            except Exception:  # the next pass tries again; a stopped sealer must not stop the server
                logging.getLogger(__name__).exception("audit sealing failed")

    def stop(self) -> None:
        self._stop.set()
