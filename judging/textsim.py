"""Character n-gram similarity for Chinese text, near-duplicate search, and employer-name folding."""

from __future__ import annotations

import functools
import hashlib
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

__all__ = [
    "SimilarPair",
    "cosine",
    "ngram_counts",
    "ngram_columns",
    "ngram_matrix",
    "near_duplicates",
    "normalize_company",
    "normalize_text",
    "group_by_company",
    "short_forms",
]

MESSAGES = {
    "threshold": "`threshold` must be in (0, 1], got {value!r}.",
    "ns": "`ns` must be a non-empty tuple of n-gram sizes from 1 to 3, got {value!r}.",
}

# \W is every character that is neither a letter nor a digit (plus "_"), in any script:
# whitespace, Chinese and ASCII punctuation, symbols.
_NOT_WORD = re.compile(r"[\W_]+")
_BITS = 21  # a code point fits in 21 bits, so up to three characters pack into one uint64


@functools.lru_cache(maxsize=None)
def _fold_char(ch: str) -> str:
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", ch).lower())


def normalize_text(text: str) -> str:
    """Fold text for comparison: NFKC (full-width -> half-width), lower case, letters and digits only.

    Folding is character by character (so it can be vectorized over a whole
    corpus); it differs from whole-string NFKC only in composing combining
    accents, which Chinese text does not use.
    """
    return "".join(map(_fold_char, text))


def ngram_counts(text: str, ns: tuple[int, ...] = (2, 3)) -> Counter[str]:
    """Character n-grams of the normalized text (bigrams and trigrams by default).

    A text shorter than the smallest n contributes itself as one gram, so a
    one-character title is not an empty vector.
    """
    s = normalize_text(text)
    grams: Counter[str] = Counter()
    for n in ns:
        grams.update(s[i : i + n] for i in range(len(s) - n + 1))
    if not grams and s:
        grams[s] = 1
    return grams


def cosine(a: str, b: str, ns: tuple[int, ...] = (2, 3)) -> float:
    """Cosine similarity of the n-gram count vectors of two texts (0 when either is empty).

    Example
    -------
    >>> round(cosine("年节约标煤3800吨。", "年节约标煤３８００吨"), 6)
    1.0
    """
    ca, cb = ngram_counts(a, ns), ngram_counts(b, ns)
    if not ca or not cb:
        return 0.0
    dot = sum(v * cb[k] for k, v in ca.items() if k in cb)
    return dot / math.sqrt(sum(v * v for v in ca.values()) * sum(v * v for v in cb.values()))


def _fold_corpus(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """All texts folded as by :func:`normalize_text`, as one code-point array, and their lengths."""
    raw_lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    cps = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
    present = np.zeros(0x110000, dtype=bool)
    present[cps] = True
    distinct = np.flatnonzero(present)
    folded = [_fold_char(chr(c)) for c in distinct]
    fold_len = np.fromiter(map(len, folded), dtype=np.int64, count=len(folded))
    fold_start = np.concatenate([[0], np.cumsum(fold_len)[:-1]])
    flat = np.frombuffer("".join(folded).encode("utf-32-le"), dtype=np.uint32)
    slot = np.zeros(0x110000, dtype=np.int32 if len(distinct) < 2**31 else np.int64)
    slot[distinct] = np.arange(len(distinct))
    s = slot[cps]
    if len(flat) and fold_len.max() == 1:  # the usual case: each character folds to one or none (punctuation)
        one = np.zeros(len(distinct), dtype=np.uint32)
        one[fold_len == 1] = flat
        keep = (fold_len == 1)[s]
        lengths = np.zeros(len(texts), dtype=np.int64)
        nonempty = raw_lengths > 0
        starts = (np.cumsum(raw_lengths) - raw_lengths)[nonempty]
        lengths[nonempty] = np.add.reduceat(keep, starts, dtype=np.int64) if len(starts) else 0
        return one[s[keep]], lengths
    out_len = fold_len[s]
    if len(flat) == 0:
        return flat, np.zeros(len(texts), dtype=np.int64)
    # Ragged gather: each input character expands to its 0, 1 (usual) or more folded characters.
    ends = np.cumsum(out_len)
    out_index = np.repeat(fold_start[s] - (ends - out_len), out_len) + np.arange(int(ends[-1]) if len(ends) else 0)
    out = flat[out_index]
    bounds = np.concatenate([[0], ends])
    raw_ends = np.cumsum(raw_lengths)
    lengths = bounds[raw_ends] - bounds[raw_ends - raw_lengths]
    return out, lengths


def ngram_matrix(texts: Sequence[str], ns: tuple[int, ...] = (2, 3)) -> sparse.csr_matrix:
    """Rows are texts, columns distinct n-grams, entries counts scaled to unit length.

    Row i times row j equals :func:`cosine` of texts i and j. Empty texts give
    all-zero rows. Column order is an implementation detail. See
    :func:`ngram_columns` for how it is built.
    """
    return ngram_columns(texts, ns).tocsr()


def ngram_columns(texts: Sequence[str], ns: tuple[int, ...] = (2, 3)) -> sparse.csc_matrix:
    """:func:`ngram_matrix` in column-major form (how it is built, so no conversion): cheap to take some
    n-grams' columns from, where converting the whole matrix to rows is not.

    Rows are texts, columns distinct n-grams, entries counts scaled to unit length.

    Row i times row j equals :func:`cosine` of texts i and j. Empty texts give
    all-zero rows. Column order is an implementation detail.

    Notes
    -----
    All texts are processed as one array. Characters are folded through a
    per-character table, renumbered densely (1..D), an n-gram is its
    characters' numbers packed into one integer, and the text's index is
    packed below it, so a single ``np.sort`` (SIMD-accelerated for integers)
    groups equal n-grams of equal texts, already in column order. When the
    packing does not fit 64 bits (very many distinct characters and texts) a
    slower exact path with ``np.lexsort`` is used.
    """
    if not ns or any(n not in (1, 2, 3) for n in ns):
        raise ValueError(MESSAGES["ns"].format(value=ns))
    return _columns_from_folded(*_fold_corpus(texts), tuple(sorted(set(ns))))[0]


def _columns_from_folded(chars: np.ndarray, lengths: np.ndarray, ns: tuple[int, ...]
                         ) -> tuple[sparse.csc_matrix, np.ndarray]:
    """The n-gram matrix in column-major form, and each column's n-gram as a key that means the same in any
    corpus (its folded characters' code points + 1 packed in ``_BITS`` each), ascending like the columns."""
    n_texts = len(lengths)
    total = len(chars)
    if total == 0:
        return sparse.csc_matrix((n_texts, 0), dtype=np.float64), np.zeros(0, dtype=np.uint64)
    present = np.zeros(0x110000, dtype=bool)
    present[chars] = True
    rank = np.cumsum(present, dtype=np.uint64)  # 1-based, so a packed gram never has a 0 digit
    dense = rank[chars]
    char_bits = int(rank[-1]).bit_length()
    doc_bits = max(1, (n_texts - 1).bit_length())
    ends = np.cumsum(lengths)
    starts = ends - lengths
    doc_of = np.repeat(np.arange(n_texts, dtype=np.uint64), lengths)

    keys, docs = [], []
    key = dense.copy()
    valid = np.ones(total, dtype=bool)
    for n in range(1, ns[-1] + 1):
        if n > 1:
            key = (key[:-1] << np.uint64(char_bits)) | dense[n - 1 :]
            valid = valid[:-1].copy()
            # An n-gram starting in the last n-1 characters of a text would cross into the next.
            tail = ends - (n - 1)
            valid[tail[(tail >= starts) & (tail < len(valid))]] = False
            for back in range(2, n):
                t = ends - back
                valid[t[(t >= starts) & (t < len(valid))]] = False
        if n in ns:
            keys.append(key[valid])
            docs.append(doc_of[: len(valid)][valid])
    # A text shorter than every n is one gram by itself (same rule as ngram_counts).
    for d in np.flatnonzero((lengths > 0) & (lengths < ns[0])):
        whole = np.uint64(0)
        for c in dense[starts[d] : ends[d]]:
            whole = (whole << np.uint64(char_bits)) | c
        keys.append(np.array([whole], dtype=np.uint64))
        docs.append(np.array([d], dtype=np.uint64))
    key = np.concatenate(keys)
    doc = np.concatenate(docs)
    del keys, docs

    if ns[-1] * char_bits + doc_bits <= 64:
        packed = np.sort((key << np.uint64(doc_bits)) | doc)
        key = packed >> np.uint64(doc_bits)
        doc = packed & np.uint64((1 << doc_bits) - 1)
        del packed
    else:
        order = np.lexsort((doc, key))
        key, doc = key[order], doc[order]
    new_entry = np.ones(len(key), dtype=bool)
    new_entry[1:] = (key[1:] != key[:-1]) | (doc[1:] != doc[:-1])
    first = np.flatnonzero(new_entry)
    counts = np.diff(np.append(first, len(key))).astype(np.float64)
    key, doc = key[first], doc[first].astype(np.int64)
    col_start = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
    norms = np.sqrt(np.bincount(doc, weights=counts * counts, minlength=n_texts))
    norms[norms == 0] = 1.0
    matrix = sparse.csc_matrix(
        (counts / norms[doc], doc, np.append(col_start, len(key))), shape=(n_texts, len(col_start))
    )
    return matrix, _corpus_free_keys(key[col_start], np.flatnonzero(present).astype(np.uint64), char_bits)


def _corpus_free_keys(dense: np.ndarray, code_points: np.ndarray, char_bits: int) -> np.ndarray:
    """Keys of n-grams packed from dense character ranks (1-based, ``char_bits`` each; a rank of 0 is no
    character) repacked from the characters' code points, so n-grams of different corpora compare. Ranks
    follow code points, so the order of the keys is kept."""
    mask = np.uint64((1 << char_bits) - 1)
    by_rank = np.concatenate([[0], code_points + np.uint64(1)]).astype(np.uint64)  # rank 0 (no character) -> 0
    out = np.zeros(len(dense), dtype=np.uint64)
    for shift in (2 * char_bits, char_bits, 0):
        out = (out << np.uint64(_BITS)) | by_rank[(dense >> np.uint64(shift)) & mask]
    return out


@dataclass(frozen=True)
class SimilarPair:
    """Texts `i` < `j` whose n-gram cosine similarity is `score`."""

    i: int
    j: int
    score: float


def near_duplicates(
    texts: Sequence[str],
    threshold: float = 0.85,
    *,
    ns: tuple[int, ...] = (2, 3),
    signature: int = 32,
    min_share: float = 0.5,
    max_df: int | None = None,
    chunk: int = 250,
) -> list[SimilarPair]:
    """Pairs of texts whose :func:`cosine` similarity is at least `threshold`.

    Parameters
    ----------
    texts : sequence of str
        Read by slices of `chunk` (four times) and by index (the candidates'), so a sequence
        that reads them from storage keeps memory bounded whatever the corpus.
    threshold : float
        Similarity in (0, 1]; 0.85 flags re-submissions with light edits.
    ns : tuple of int
        N-gram sizes.
    signature : int
        How many of each text's rarest shared n-grams make its signature.
    min_share : float
        A pair is checked when at least this share of one text's signature
        occurs in the other.
    max_df : int, optional
        N-grams in more texts than this never enter a signature (default
        ``max(100, len(texts) // 50)``), which bounds the work per text.
    chunk : int
        Texts per batch. The corpus is read four times, a batch at a time (n-grams in
        more than one text, their document frequencies, signatures, who holds each
        signature n-gram), so memory is one batch's n-grams, a 16 MB sketch and the
        frequencies of the shared n-grams, never the whole incidence.

    Returns
    -------
    list of SimilarPair
        Sorted by score descending, then (i, j). Every pair returned has its
        exact similarity; empty texts pair with nothing.

    Notes
    -----
    Candidates, then exact verification. A text's signature is its
    `signature` rarest n-grams among those that occur in at least one other
    text (n-grams unique to a text cannot connect it to anything). Two texts
    with cosine >= 0.85 share most of their n-grams, and the rarest n-grams a
    text shares are, overwhelmingly, those it shares with its near-duplicate,
    so a near-duplicate pair finds most of one side's signature in the other.
    Texts identical after folding are always paired. Candidate counting is one sparse product of signatures (rare n-grams, few
    texts each: cheap) with the incidence matrix; only candidates get the
    exact dot product. The method favours recall of true re-submissions over
    a guarantee: a pair whose shared rare n-grams are all also shared with
    several other texts can be missed (``min_share`` lower finds more, slower).
    Measured recall against brute force is in ``tests/test_textsim.py``.
    """
    if not (0 < threshold <= 1):
        raise ValueError(MESSAGES["threshold"].format(value=threshold))
    if not ns or any(k not in (1, 2, 3) for k in ns):
        raise ValueError(MESSAGES["ns"].format(value=ns))
    n = len(texts)
    if n < 2:
        return []
    ns = tuple(sorted(set(ns)))
    eps = 1e-9
    if max_df is None:
        max_df = max(100, n // 50)

    def folded():  # `texts` sliced a batch at a time (it may read them from storage), folded
        for start in range(0, n, chunk):
            yield start, *_fold_corpus(texts[start : start + chunk])

    def batches():  # the n-gram incidence, `chunk` texts at a time: never the whole corpus's at once
        for start, chars, lengths in folded():
            cols, keys = _columns_from_folded(chars, lengths, ns)
            yield start, cols.indices.astype(np.int64), np.diff(cols.indptr), keys

    # 1. Which n-grams may be in two texts: most are in one only (unique to it: no use for a signature),
    # and a sketch of two bits a bucket finds them for every key in one pass (a shared bucket may keep a
    # key, never drop one). And which texts are identical after folding: they are always paired, even when
    # every n-gram they have is too common for a signature (short stock titles).
    seen, identical = _SeenTwice(), {}
    for start, chars, lengths in folded():
        cols, keys = _columns_from_folded(chars, lengths, ns)
        seen.add(keys, np.diff(cols.indptr))
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        for index in np.flatnonzero(lengths):
            digest = hashlib.blake2b(chars[offsets[index] : offsets[index + 1]].tobytes(), digest_size=16).digest()
            identical.setdefault(digest, []).append(start + int(index))
    # 2. How many texts hold each of those (sorted keys, merged batch by batch): exact.
    df_keys, df = np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int32)
    for _start, _rows, per_key, keys in batches():
        maybe = seen.twice(keys)
        df_keys, df = _merge_counts(df_keys, df, keys[maybe], per_key[maybe])
    del seen
    # 3. Each text's signature: its `signature` rarest n-grams among those it shares (2 <= df <= max_df),
    # ties by key.
    sig_rows, sig_keys = [], []
    for start, rows, per_key, keys in batches():
        key_df = _lookup(df_keys, df, keys)
        col_of = np.repeat(np.arange(len(keys), dtype=np.int64), per_key)
        keep = (key_df[col_of] >= 2) & (key_df[col_of] <= max_df)
        rows, col_of = _by_row_then_rarest(rows[keep], col_of[keep], key_df)
        per_row = np.bincount(rows, minlength=min(chunk, n - start))
        rank_in_row = np.arange(len(rows)) - np.repeat(np.cumsum(per_row) - per_row, per_row)
        chosen = rank_in_row < signature
        sig_rows.append(rows[chosen] + start)
        sig_keys.append(keys[col_of[chosen]])
    all_sig_rows = np.concatenate(sig_rows)
    vocabulary, sig_cols = np.unique(np.concatenate(sig_keys), return_inverse=True)
    sig = sparse.csr_matrix((np.ones(len(all_sig_rows)), (all_sig_rows, sig_cols.ravel())),
                            shape=(n, len(vocabulary)))
    sig_size = np.bincount(all_sig_rows, minlength=n)
    need = np.maximum(1, np.ceil(min_share * sig_size - eps))
    # 4. Which texts hold each signature n-gram (rare by construction: few texts each).
    post_rows, post_cols = [], []
    for start, rows, per_key, keys in batches():
        at = np.minimum(np.searchsorted(vocabulary, keys), max(len(vocabulary) - 1, 0))
        hit = np.repeat(vocabulary[at] == keys, per_key) if len(vocabulary) else np.zeros(len(rows), dtype=bool)
        post_rows.append(rows[hit] + start)
        post_cols.append(np.repeat(at, per_key)[hit])
    incidence_t = sparse.csr_matrix(
        (np.ones(sum(map(len, post_rows))), (np.concatenate(post_cols), np.concatenate(post_rows))),
        shape=(len(vocabulary), n))

    found: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
    for start in range(0, n, chunk):
        block = sparse.coo_matrix(sig[start : start + chunk] @ incidence_t)
        i = block.row.astype(np.int64) + start
        j = block.col.astype(np.int64)
        ok = (i != j) & (block.data >= need[i])
        found.append(np.minimum(i[ok], j[ok]) * n + np.maximum(i[ok], j[ok]))
    for members in identical.values():
        if len(members) > 1:
            m = np.array(members, dtype=np.int64)
            p, q = np.triu_indices(len(m), 1)
            found.append(m[p] * n + m[q])
    both = np.unique(np.concatenate(found))
    if len(both) == 0:
        return []
    a, b = both // n, both % n
    # Exact scores from the candidates' own rows: n-gram vectors are per text, so the few texts involved
    # give the same values as the whole corpus would.
    involved = np.unique(np.concatenate([a, b]))
    x = ngram_matrix([texts[int(i)] for i in involved], ns)
    ra, rb = np.searchsorted(involved, a), np.searchsorted(involved, b)
    step = 4096
    scores = np.concatenate(
        [
            np.asarray(x[ra[k : k + step]].multiply(x[rb[k : k + step]]).sum(axis=1)).ravel()
            for k in range(0, len(a), step)
        ]
    )
    hit = scores >= threshold - eps
    result = [SimilarPair(int(p), int(q), min(1.0, float(v))) for p, q, v in zip(a[hit], b[hit], scores[hit])]
    result.sort(key=lambda r: (-r.score, r.i, r.j))
    return result


class _SeenTwice:
    """Which n-gram keys occur in two texts or more, told from two bits per hash bucket (seen once, seen
    twice): a key alone in its bucket is told exactly; one sharing a bucket may be kept wrongly, never
    dropped (the exact count that follows puts it right)."""

    BITS = 26  # 2**26 buckets, 8 MB a bitmap

    def __init__(self) -> None:
        self.once = np.zeros(1 << (self.BITS - 6), dtype=np.uint64)
        self.more = np.zeros(1 << (self.BITS - 6), dtype=np.uint64)

    def _bucket(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        spread = (keys * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(64 - self.BITS)  # Fibonacci hashing
        return (spread >> np.uint64(6)).astype(np.int64), np.uint64(1) << (spread & np.uint64(63))

    def add(self, keys: np.ndarray, texts_holding: np.ndarray) -> None:
        word, bit = self._bucket(keys)
        again = ((self.once[word] & bit) != 0) | (texts_holding > 1)
        np.bitwise_or.at(self.more, word[again], bit[again])
        np.bitwise_or.at(self.once, word, bit)

    def twice(self, keys: np.ndarray) -> np.ndarray:
        word, bit = self._bucket(keys)
        return (self.more[word] & bit) != 0


def _lookup(keys: np.ndarray, counts: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """``counts`` of ``wanted`` in sorted unique ``keys``, 1 for a key not there (in one text only)."""
    out = np.ones(len(wanted), dtype=np.int64)
    if len(keys):
        at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
        found = keys[at] == wanted
        out[found] = counts[at[found]]
    return out


def _merge_counts(keys: np.ndarray, counts: np.ndarray, more_keys: np.ndarray, more_counts: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Add counts of sorted unique ``more_keys`` to those of sorted unique ``keys`` (linear, no re-sort)."""
    at = np.searchsorted(keys, more_keys)
    known = np.zeros(len(more_keys), dtype=bool)
    inside = at < len(keys)
    known[inside] = keys[at[inside]] == more_keys[inside]
    counts = counts.copy()
    counts[at[known]] += more_counts[known].astype(counts.dtype)  # keys are unique: no index repeats
    fresh = ~known
    return (np.insert(keys, at[fresh], more_keys[fresh]),
            np.insert(counts, at[fresh], more_counts[fresh].astype(counts.dtype)))


def _by_row_then_rarest(rows: np.ndarray, col_of: np.ndarray, df: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Entries sorted by row, then rarest n-gram first, then column: one packed integer sort when it fits,
    which is far faster than lexsort."""
    if len(rows) == 0:
        return rows, col_of
    row_bits = int(rows.max()).bit_length()
    df_bits, col_bits = int(df.max()).bit_length(), max(1, int(col_of.max()).bit_length())
    if row_bits + df_bits + col_bits <= 63:
        packed = np.sort((rows << (df_bits + col_bits)) | (df[col_of] << col_bits) | col_of)
        return packed >> (df_bits + col_bits), packed & ((1 << col_bits) - 1)
    order = np.lexsort((col_of, df[col_of], rows))
    return rows[order], col_of[order]


# --- employer names -------------------------------------------------------------------------

# Legal-form and group suffixes, longest first so "股份有限公司" is removed whole.
_COMPANY_SUFFIXES = (
    "股份有限公司", "有限责任公司", "集团有限公司", "控股有限公司", "有限公司", "股份公司",
    "集团公司", "控股公司", "总公司", "分公司", "公司", "集团", "控股", "股份",
    "corporationlimited", "companylimited", "co.,ltd.", "co.,ltd", "co.ltd.", "co.ltd",
    "coltd", "limited", "ltd.", "ltd", "inc.", "inc", "corporation", "corp.", "corp",
    "company", "co.", "group", "holdings",
)
# Bracketed words that only restate the legal form: "江苏沙钢（集团）有限公司".
_FORM_WORDS = re.compile(r"^(集团|股份|控股|有限|公司|有限公司|group|holdings?)$")
_BRACKETS = re.compile(r"[(\[【〔]([^()\[\]【】〔〕]*)[)\]】〕]")
def _nfkc_compact(name: str) -> str:
    # NFKC makes （）and full-width letters ASCII; spaces carry no meaning in a company name.
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name)).lower()


def _drop_form_brackets(name: str, *, unwrap: bool = True) -> str:
    """Remove "(集团)"-style brackets; other brackets keep their content (unwrapped if asked)."""

    def repl(m: re.Match[str]) -> str:
        inner = m.group(1)
        if _FORM_WORDS.match(inner):
            return ""
        return inner if unwrap else f"({inner})"

    previous = None
    while previous != name:
        previous, name = name, _BRACKETS.sub(repl, name)
    return name


def _strip_suffixes(name: str) -> list[str]:
    """The name after each successive suffix removal: [after 1st, after 2nd, ...]."""
    steps = []
    changed = True
    while changed:
        changed = False
        for suffix in _COMPANY_SUFFIXES:
            if name.endswith(suffix) and len(name) > len(suffix) + 1:
                name = name[: -len(suffix)].rstrip(",.&")
                steps.append(name)
                changed = True
                break
    return steps


def normalize_company(name: str) -> str:
    """Fold an employer name so variants of the same employer compare equal.

    NFKC (full-width to half-width), lower case, no spaces, "(集团)"-style
    brackets dropped (other brackets keep their content), then legal-form
    suffixes (股份有限公司, 有限责任公司, 有限公司, 公司, 集团, Co., Ltd. …) removed
    repeatedly. "南京钢铁股份有限公司" and "南京钢铁有限公司" both give "南京钢铁";
    "江苏沙钢（集团）有限公司" and "江苏沙钢集团有限公司" both give "江苏沙钢".
    Regions are kept: "南京钢铁" and "钢铁" are different employers.

    Example
    -------
    >>> normalize_company("南京钢铁股份有限公司") == normalize_company("南京钢铁有限公司")
    True
    >>> normalize_company("江苏沙钢（集团）有限公司")
    '江苏沙钢'
    """
    base = _drop_form_brackets(_nfkc_compact(name))
    steps = _strip_suffixes(base)
    return steps[-1] if steps else base


def short_forms(employer: str) -> list[str]:
    """Strings that may name `employer` in a text, longest first, for redaction.

    Built from the name as given (NFKC, no spaces), with "(集团)"-style brackets
    dropped and other brackets kept or unwrapped, each followed by its
    successive legal-suffix removals ("南京钢铁股份有限公司" → "南京钢铁"); for a
    branch ("中国石油化工股份有限公司金陵分公司") the parent's forms too
    ("中国石油化工"). Forms shorter than two characters are left out.

    Notes
    -----
    Customary abbreviations — 南钢 for 南京钢铁, 徐工 for 徐州工程机械, 沙钢 for
    江苏沙钢 — cannot be derived from the full name, and stripping the region
    ("徐州工程机械" → "工程机械") would yield generic words that ruin the text,
    so neither is attempted. Organizers add abbreviations as extra identifying
    strings for the employer; redaction takes them like any other.

    Example
    -------
    >>> short_forms("南京钢铁股份有限公司")
    ['南京钢铁股份有限公司', '南京钢铁']
    """
    compact = re.sub(r"\s+", "", unicodedata.normalize("NFKC", employer))
    if not compact:
        return []
    variants = dict.fromkeys(
        [compact, _drop_form_brackets(compact, unwrap=False), _drop_form_brackets(compact)]
    )
    forms: list[str] = []

    def add_with_steps(name: str) -> None:
        forms.append(name)
        lowered = name.lower()
        if len(lowered) == len(name):  # lower() keeps length for CJK/ASCII names
            forms.extend(name[: len(step)] for step in _strip_suffixes(lowered))

    for variant in variants:
        add_with_steps(variant)
        for m in re.finditer("公司|集团", variant):
            parent = variant[: m.end()]
            if m.end() < len(variant) and parent.count("(") == parent.count(")"):
                add_with_steps(parent)
    # A bare legal form ("公司", "集团") would mask every company mentioned in the text.
    unique = dict.fromkeys(f for f in forms if len(f) >= 2 and f.lower() not in _COMPANY_SUFFIXES)
    return sorted(unique, key=lambda f: (-len(f), f))


def group_by_company(names: Iterable[str]) -> dict[str, list[str]]:
    """Group employer spellings by :func:`normalize_company` key."""
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(normalize_company(name), []).append(name)
    return groups
