"""Verify the audit log end to end (links, hashes, columns, every signed tree head, consistency between
heads) and give an auditor an inclusion proof for any sealed event."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from judging.audit.chain import GENESIS_HASH, canonical_json, event_hash
from judging.audit.merkle import MerkleTree, frontier_append, frontier_root, leaf_hash, verify_consistency
from judging.audit.models import AuditEvent, TreeHead
from judging.audit.sealer import signature_valid


@dataclass(frozen=True)
class Verification:
    """The outcome of a walk: valid with its head (the latest signed tree head: size and root), or the
    first broken event. ``unsealed`` events are committed but not yet in a signed head."""

    valid: bool
    length: int
    head_hash: str
    broken_seq: int | None = None
    problem: str | None = None
    heads: int = 0
    unsealed: int = 0


def _columns_match(event, record: dict[str, Any], *, sealed: bool = True) -> bool:
    # A body not sealed yet has no "seq": the sealer adds it.
    seq_ok = record.get("seq") == event.seq if sealed else record.get("seq", event.seq) == event.seq
    return (seq_ok and record.get("actor_id") == event.actor_id
            and record.get("actor") == event.actor and record.get("action") == event.action
            and record.get("object_type") == event.object_type and record.get("object_id") == event.object_id
            and record.get("at") == event.at.astimezone(dt.UTC).isoformat(timespec="microseconds"))


def _event_problem(event, expected_seq: int, prev_hash: str) -> str | None:
    if event.seq != expected_seq:
        return f"sequence jumps from {expected_seq - 1} to {event.seq} (events missing)"
    if event.hash is None:
        return "its seal was removed (it lies inside a signed tree head)"
    if event.prev_hash != prev_hash:
        return "its prev_hash does not match the hash of the event before it"
    if event.hash != event_hash(event.prev_hash, event.body):
        return "its content does not match its hash"
    try:
        record = json.loads(event.body)
    except ValueError:
        record = None
    if record is None or canonical_json(record) != event.body or not _columns_match(event, record):
        return "its columns differ from the hashed record"
    return None


def _head_problem(head: TreeHead, public_key: bytes | None) -> str | None:
    key = public_key if public_key is not None else bytes.fromhex(head.public_key)
    if public_key is not None and head.public_key != public_key.hex():
        return f"the tree head of size {head.tree_size} is signed by another key"
    if not signature_valid(head, key):
        return f"the signature of the tree head of size {head.tree_size} is not valid"
    return None


def verify(session: Session, *, public_key: bytes | None = None, batch_size: int = 2000) -> Verification:
    """Walk every sealed event in sequence order, recompute the Merkle root at every signed tree head
    and check its signature (with ``public_key`` when given, the operator's trusted key; else the key
    each head names, which must be one), then a consistency proof between each two heads in turn."""
    heads = session.scalars(select(TreeHead).order_by(TreeHead.tree_size)).all()
    sealed = heads[-1].tree_size if heads else 0
    head_hash = heads[-1].root_hash if heads else GENESIS_HASH
    if public_key is None and heads:
        public_key = bytes.fromhex(heads[0].public_key)
    for head in heads:
        problem = _head_problem(head, public_key)
        if problem:
            return Verification(False, 0, GENESIS_HASH, broken_seq=head.tree_size, problem=problem)
    table = AuditEvent.__table__
    expected, prev_hash, last_seq = 1, GENESIS_HASH, 0
    frontier: list[bytes] = []
    leaves: list[bytes] = []
    next_head, verified_root = 0, GENESIS_HASH
    while expected <= sealed:
        # Plain rows, not ORM objects: the walk must not fill the caller's identity map.
        events = session.execute(select(table).where(table.c.seq > last_seq, table.c.seq <= sealed)
                                 .order_by(table.c.seq).limit(batch_size)).all()
        if not events:
            return Verification(False, expected - 1, verified_root, broken_seq=expected,
                                problem=f"events {expected} to {sealed} are missing (a signed tree head seals them)")
        for event in events:
            problem = _event_problem(event, expected, prev_hash)
            if problem:
                return Verification(False, expected - 1, verified_root, broken_seq=event.seq, problem=problem)
            leaf = leaf_hash(event.body)
            leaves.append(leaf)
            frontier_append(frontier, expected - 1, leaf)
            while next_head < len(heads) and heads[next_head].tree_size == expected:
                if frontier_root(frontier).hex() != heads[next_head].root_hash:
                    first = heads[next_head - 1].tree_size + 1 if next_head else 1
                    return Verification(False, first - 1, verified_root, broken_seq=first,
                                        problem=f"the events {first} to {expected} do not give the root signed "
                                                f"in the tree head of size {expected}")
                verified_root = heads[next_head].root_hash
                next_head += 1
            prev_hash, expected, last_seq = event.hash, expected + 1, event.seq
    tree = MerkleTree(leaves)
    for older, newer in zip(heads, heads[1:]):
        proof = tree.consistency_proof(older.tree_size, newer.tree_size)
        if not verify_consistency(older.tree_size, newer.tree_size, bytes.fromhex(older.root_hash),
                                  bytes.fromhex(newer.root_hash), proof):
            return Verification(False, sealed, head_hash, broken_seq=newer.tree_size,
                                problem=f"the tree head of size {newer.tree_size} does not extend the one of "
                                        f"size {older.tree_size}")
    unsealed, last_seq = 0, sealed
    while True:  # not sealed yet: nothing commits to them, but a column edited against its body still shows
        events = session.execute(select(table).where(table.c.seq > last_seq).order_by(table.c.seq)
                                 .limit(batch_size)).all()
        if not events:
            return Verification(True, sealed, head_hash, heads=len(heads), unsealed=unsealed)
        for event in events:
            try:
                record = json.loads(event.body)
            except ValueError:
                record = None
            if record is None or canonical_json(record) != event.body or not _columns_match(event, record,
                                                                                             sealed=False):
                return Verification(False, sealed, head_hash, broken_seq=event.seq,
                                    problem="its columns differ from the hashed record")
            unsealed, last_seq = unsealed + 1, event.seq


def inclusion_proof(session: Session, *, seq: int) -> dict[str, Any]:
    """What an auditor needs to check that event ``seq`` is in the latest signed tree head, with any
    RFC 6962 verifier: the leaf (SHA-256(0x00 || body)), its index, the audit path and the signed head."""
    head = session.scalar(select(TreeHead).order_by(TreeHead.tree_size.desc()).limit(1))
    if head is None or not 1 <= seq <= head.tree_size:
        raise LookupError(f"event {seq} is not sealed yet")
    table = AuditEvent.__table__
    bodies = session.scalars(select(table.c.body).where(table.c.seq <= head.tree_size).order_by(table.c.seq)).all()
    tree = MerkleTree([leaf_hash(body) for body in bodies])
    return {"seq": seq, "leaf_index": seq - 1, "leaf_hash": leaf_hash(bodies[seq - 1]).hex(),
            "body": bodies[seq - 1].decode("utf-8"),
            "audit_path": [node.hex() for node in tree.inclusion_proof(seq - 1, head.tree_size)],
            "tree_head": {"tree_size": head.tree_size, "root_hash": head.root_hash,
                          "timestamp": head.signed_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
                          "public_key": head.public_key, "signature": head.signature}}
