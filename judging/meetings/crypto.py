"""The secret ballot's cryptography, without the database: Paillier encryption of packed ballots (``phe``),
the private key sealed under a key that only the two share codes rebuild, and the proof of the totals.

Paillier is additively homomorphic: the product of ciphertexts decrypts to the sum of the plaintexts,
so the tally decrypts one aggregate and never a single ballot (the approach of Helios and ElectionGuard,
sized for a committee). A ballot is a 0/1 vector with one slot per (nomination, choice); the slots are
packed as base-2^bits digits into as few plaintexts as fit under ``n`` (one for 20 nominations), with
2^bits greater than the number of seats so that no digit can carry into the next one however many
ballots are added. The server checks the plain vector (exactly one choice per nomination on the
member's ballot, zeros elsewhere) before it encrypts: a check, not a zero-knowledge proof, which is
sound because the server encrypts and never accepts a ciphertext from outside.

The private key (p, q) is sealed with AES-256-GCM under a random K. K = K1 ⊕ K2; each Ki is wrapped
(X25519 + HKDF + AES-GCM) to the public key of one holder, derived from that holder's share code,
which is shown once to its holder and never stored. Only both codes together rebuild K.

Verifying the totals: the tally publishes the aggregate C (the product of the listed ballots mod n²),
the packed totals M and R with C = (1 + n)^M · R^n mod n²; anyone can recompute both sides from the
public key and the listed ballots (see :func:`check_totals`). R reveals nothing about single ballots.
"""

from __future__ import annotations

import base64
import hashlib
import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from phe import paillier
from phe.util import powmod

KEY_BITS = 2048
SHARE_BYTES = 15  # 120 bits: 24 base32 characters, typed in six groups of four
CODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


class CryptoError(ValueError):
    """A ciphertext, a sealed key or a share that does not verify."""


# ---------------------------------------------------------------------- packing


@dataclass(frozen=True)
class Layout:
    """How a ballot's slots are packed into plaintexts below ``n``."""

    n: int
    slots: int
    bits: int

    @property
    def per_chunk(self) -> int:
        return (self.n.bit_length() - 1) // self.bits

    @property
    def chunks(self) -> int:
        return max(1, math.ceil(self.slots / self.per_chunk))

    @property
    def hex_width(self) -> int:
        """Hex digits of one ciphertext (< n²), fixed so that every stored ballot has the same length."""
        return ((2 * self.n.bit_length()) + 3) // 4


def layout_for(n: int, *, slots: int, seats: int) -> Layout:
    # 2^bits > seats: a digit holds the count of every seat without carrying into the next.
    return Layout(n=n, slots=slots, bits=max(2, seats.bit_length() + 1))


def pack(vector: Sequence[int], layout: Layout) -> list[int]:
    if len(vector) != layout.slots:
        raise CryptoError("the ballot vector does not match the layout")
    out = []
    for start in range(0, layout.chunks * layout.per_chunk, layout.per_chunk):
        value = 0
        for offset, digit in enumerate(vector[start:start + layout.per_chunk]):
            value |= int(digit) << (offset * layout.bits)
        out.append(value)
    return out


def unpack(plains: Sequence[int], layout: Layout) -> list[int]:
    mask = (1 << layout.bits) - 1
    digits = [(value >> (offset * layout.bits)) & mask for value in plains for offset in range(layout.per_chunk)]
    return digits[:layout.slots]


# ---------------------------------------------------------------------- Paillier


def new_keypair() -> tuple[paillier.PaillierPublicKey, paillier.PaillierPrivateKey]:
    return paillier.generate_paillier_keypair(n_length=KEY_BITS)


def public_key(n: int) -> paillier.PaillierPublicKey:
    return paillier.PaillierPublicKey(n)


def encrypt_ballot(public: paillier.PaillierPublicKey, vector: Sequence[int], layout: Layout) -> str:
    """The stored form of one ballot: its chunks' ciphertexts, fixed-width hex joined by dots."""
    return ".".join(format(public.raw_encrypt(m), f"0{layout.hex_width}x") for m in pack(vector, layout))


def parse_ballot(text: str, layout: Layout) -> list[int]:
    """The ciphertexts of a stored ballot; CryptoError unless each is a unit of Z*_{n²} in the fixed width."""
    parts = text.split(".") if isinstance(text, str) else []
    if len(parts) != layout.chunks or any(len(p) != layout.hex_width for p in parts):
        raise CryptoError("the ballot does not have the shape of this meeting's ciphertexts")
    try:
        values = [int(p, 16) for p in parts]
    except ValueError:
        raise CryptoError("the ballot is not hexadecimal") from None
    square = layout.n * layout.n
    if any(not 0 < c < square or math.gcd(c, layout.n) != 1 for c in values):
        raise CryptoError("a ciphertext of the ballot is not a valid Paillier ciphertext")
    return values


def receipt_of(meeting_id: int, ciphertext: str) -> str:
    """A ballot's receipt: SHA-256 of the meeting and the stored ciphertext (what the member keeps)."""
    return hashlib.sha256(f"judging-ballot:{meeting_id}:{ciphertext}".encode()).hexdigest()


def aggregate(ballots: Sequence[Sequence[int]], layout: Layout) -> list[int]:
    """The product of the ballots' ciphertexts, chunk by chunk: an encryption of the summed slots."""
    square = layout.n * layout.n
    out = [1] * layout.chunks
    for ballot in ballots:
        out = [(a * c) % square for a, c in zip(out, ballot)]
    return out


def decrypt_totals(private: paillier.PaillierPrivateKey, totals: Sequence[int]) -> tuple[list[int], list[int]]:
    """(M, R) for each aggregate chunk C: C = (1 + n)^M · R^n mod n². Only aggregates ever come here."""
    n = private.public_key.n
    square = n * n
    phi = (private.p - 1) * (private.q - 1)
    inverse_n = pow(n, -1, phi)
    plains, randomness = [], []
    for c in totals:
        m = private.raw_decrypt(c)
        rn = (c * (1 - m * n)) % square  # C · (1 + n)^-M = R^n mod n², as (1 + n)^k = 1 + kn mod n²
        plains.append(m)
        randomness.append(powmod(rn % n, inverse_n, n))
    return plains, randomness


def check_totals(n: int, totals: Sequence[int], plains: Sequence[int], randomness: Sequence[int]) -> bool:
    """Whether each published (M, R) opens its aggregate C; needs only public values."""
    square = n * n
    return len(totals) == len(plains) == len(randomness) and all(
        ((1 + m * n) * powmod(r, n, square)) % square == c for c, m, r in zip(totals, plains, randomness))


# ---------------------------------------------------------------------- the sealed key and its shares


def new_share_code() -> str:
    """A fresh share code: 120 random bits as 24 base32 characters in groups of four."""
    raw = base64.b32encode(secrets.token_bytes(SHARE_BYTES)).decode()
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def normalize_code(code: str) -> bytes:
    """The share's bytes from what a holder typed (case, spaces and dashes do not matter)."""
    text = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    text = text.replace("0", "O").replace("1", "I").replace("8", "B")  # characters base32 leaves out
    if len(text) != SHARE_BYTES * 8 // 5 or any(ch not in CODE_ALPHABET for ch in text):
        raise CryptoError("a share code has 24 letters and digits")
    return base64.b32decode(text)


def _holder_private(code_bytes: bytes, meeting_id: int, holder: str) -> X25519PrivateKey:
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=f"judging-share:{meeting_id}:{holder}".encode()).derive(code_bytes)
    return X25519PrivateKey.from_private_bytes(seed)


def _raw_public(key: X25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def share_public(code: str, meeting_id: int, holder: str) -> str:
    """The public key a share code stands for (stored; recognises the right code, cannot rebuild it)."""
    return _raw_public(_holder_private(normalize_code(code), meeting_id, holder).public_key())


def _wrap_key(shared: bytes, context: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"judging-wrap:" + context).derive(shared)


def wrap_share(secret: bytes, holder_public: str, context: bytes) -> str:
    """``secret`` encrypted to a holder's public key (ephemeral X25519, HKDF, AES-GCM)."""
    ephemeral = X25519PrivateKey.generate()
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(bytes.fromhex(holder_public)))
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_wrap_key(shared, context)).encrypt(nonce, secret, context)
    return base64.b64encode(bytes.fromhex(_raw_public(ephemeral.public_key())) + nonce + sealed).decode()


def unwrap_share(wrapped: str, code: str, meeting_id: int, holder: str, context: bytes) -> bytes:
    raw = base64.b64decode(wrapped)
    private = _holder_private(normalize_code(code), meeting_id, holder)
    shared = private.exchange(X25519PublicKey.from_public_bytes(raw[:32]))
    try:
        return AESGCM(_wrap_key(shared, context)).decrypt(raw[32:44], raw[44:], context)
    except InvalidTag:
        raise CryptoError("the share does not open its part of the key") from None


@dataclass(frozen=True)
class SealedKey:
    sealed: str          # the private key under K (AES-256-GCM)
    wrapped: tuple[str, str]  # K1 and K2, each to its holder


def key_context(meeting_id: int, n: int) -> bytes:
    return f"judging-meeting-key:{meeting_id}:{n:x}".encode()


def seal_private_key(private: paillier.PaillierPrivateKey, holders: tuple[str, str], context: bytes) -> SealedKey:
    """Seal (p, q) under a random K and split K between the two holders' public keys."""
    width = KEY_BITS // 16  # bytes of one prime
    key = AESGCM.generate_key(bit_length=256)
    nonce = secrets.token_bytes(12)
    body = private.p.to_bytes(width, "big") + private.q.to_bytes(width, "big")
    sealed = base64.b64encode(nonce + AESGCM(key).encrypt(nonce, body, context)).decode()
    first = secrets.token_bytes(len(key))
    second = bytes(a ^ b for a, b in zip(key, first))
    return SealedKey(sealed, (wrap_share(first, holders[0], context), wrap_share(second, holders[1], context)))


def open_private_key(sealed: str, parts: tuple[bytes, bytes], n: int, context: bytes) -> paillier.PaillierPrivateKey:
    key = bytes(a ^ b for a, b in zip(*parts))
    raw = base64.b64decode(sealed)
    try:
        body = AESGCM(key).decrypt(raw[:12], raw[12:], context)
    except InvalidTag:
        raise CryptoError("the shares do not open the sealed key") from None
    width = len(body) // 2
    p, q = int.from_bytes(body[:width], "big"), int.from_bytes(body[width:], "big")
    if p * q != n:
        raise CryptoError("the sealed key does not belong to this meeting's public key")
    return paillier.PaillierPrivateKey(public_key(n), p, q)
