"""The audit log: services append events in their own transaction (no lock); the sealer chains them into
a Merkle tree with signed heads; anyone may verify."""

from judging.audit.chain import (
    GENESIS_HASH, Actor, ChainHead, append, canonical_json, chain_head, lock_chain_head,
)
from judging.audit.models import AuditEvent, TreeHead
from judging.audit.sealer import SealerThread, SealResult, Signer, seal
from judging.audit.verification import Verification, inclusion_proof, verify

__all__ = ["GENESIS_HASH", "Actor", "AuditEvent", "ChainHead", "SealResult", "SealerThread", "Signer", "TreeHead",
           "Verification", "append", "canonical_json", "chain_head", "inclusion_proof", "lock_chain_head", "seal",
           "verify"]
