"""Hash-chained audit log: services append events in their own transaction; anyone may verify."""

from judging.audit.chain import (
    GENESIS_HASH, Actor, ChainHead, Verification, append, canonical_json, chain_head, lock_chain_head,
    verify,
)
from judging.audit.models import AuditEvent

__all__ = ["GENESIS_HASH", "Actor", "AuditEvent", "ChainHead", "Verification", "append", "canonical_json", "chain_head", "lock_chain_head",
           "verify"]
