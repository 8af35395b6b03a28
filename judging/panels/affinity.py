"""How well an expert fits a nomination: a documented score in [0, 1] and its explanation.

The score of expert j for nomination i is

    a_ij = 0.5 * s_industry + 0.3 * s_text + 0.2 * s_category

* ``s_industry``: the best match, over the expert's fields of expertise f, of cos(f, industry_i),
  the cosine of character unigram+bigram count vectors (:func:`judging.textsim.cosine`) between
  the field and the nomination's industry (e.g. "冶金工程" vs "钢铁冶金" share 冶, 金 and 冶金;
  "药学" vs "医药" share 药). Names are short, so single characters carry meaning here.
* ``s_text``: cos(all fields of the expert, judged text of the nomination), the bigram+trigram
  cosine between the expert's fields joined and the nomination's title, summary and body. Character
  n-grams need no Chinese word segmenter; a long text dilutes the cosine, so this part separates
  experts of the same field by what the nomination is actually about.
* ``s_category``: the best match, over the expert's fields, of cos(f, profile of the category)
  (unigrams+bigrams),
  where the profile is a short list of the subjects the category is about (CATEGORY_PROFILES),
  e.g. 人力资源/技能培训 for 首席员工, 技术经济/管理 for 合理化建议.

The weights favour the industry, which organizers set deliberately, over the free text, which is
noisy. All parts are 0 for an expert without fields, so such experts are used last. For large
rounds only the best ``top`` experts of each nomination are kept as candidates (see
:func:`affinity_matrix`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from judging.textsim import cosine, ngram_columns, ngram_counts, ngram_matrix

WEIGHTS = {"industry": 0.5, "text": 0.3, "category": 0.2}
NGRAMS = (2, 3)        # long texts: bigrams and trigrams
NGRAMS_SHORT = (1, 2)  # short names (fields, industries): single characters count too (药学 ~ 医药)
CATEGORY_PROFILES = {
    "achievement": "技术创新 发明创造 技术攻关 科技成果 工程技术 研发设计",
    "operating_method": "操作方法 生产工艺 安全工程 质量控制 设备检修 操作技能",
    "suggestion": "合理化建议 经营管理 技术经济 成本节约 效益分析 管理创新",
    "chief_employee": "首席员工 技能人才 人力资源 技能培训 传帮带 职业技能",
}
# Above this many nomination-expert pairs, keep only each nomination's best candidates.
DENSE_PAIRS = 4_000_000
# In the sparse case, this many random experts per nomination are kept besides the best ones.
RANDOM_EXTRA = 20


@dataclass(frozen=True)
class NominationText:
    industry: str
    text: str  # title + summary + body


def _field_table(fields: Sequence[str], others: Sequence[str]) -> np.ndarray:
    """cos(field, other) for every distinct field and other string."""
    if not fields or not others:
        return np.zeros((len(fields), len(others)))
    mat = ngram_matrix(list(fields) + list(others), NGRAMS_SHORT)
    f, o = mat[: len(fields)], mat[len(fields):]
    return np.asarray((f @ o.T).todense())


def _best_field(expert_fields: Sequence[Sequence[str]], table: np.ndarray, index: dict[str, int]) -> np.ndarray:
    """(m, n_others): per expert, the max over its fields of ``table`` rows."""
    out = np.zeros((len(expert_fields), table.shape[1]))
    for j, fields in enumerate(expert_fields):
        rows = [index[f] for f in fields if f in index]
        if rows:
            out[j] = table[rows].max(axis=0)
    return out


def _clean_fields(fields) -> list[str]:
    return [str(f).strip() for f in (fields or []) if str(f).strip()]


def affinity_matrix(nominations: Sequence[NominationText], expert_fields: Sequence[Sequence[str]],
                    category_key: str, *, top: int | None = None,
                    per_expert: int | None = None) -> sp.csr_matrix | np.ndarray:
    """The n x m affinity of nominations to experts (formula in the module docstring).

    Returns a dense array when n*m <= DENSE_PAIRS (every pair a candidate). Otherwise a sparse
    matrix whose stored entries, even zeros, are the candidate pairs for the solver: each
    nomination's ``top`` best experts (default max(60, m // 20)) and each expert's
    ``per_expert`` best nominations (default max(60, 20 n // m)), so that every expert, not only
    the ones matching popular industries, has candidates and the caps can be met, plus
    RANDOM_EXTRA random experts per nomination (seeded: the result is deterministic).
    """
    n, m = len(nominations), len(expert_fields)
    fields_by_expert = [_clean_fields(f) for f in expert_fields]
    distinct_fields = sorted({f for fs in fields_by_expert for f in fs})
    findex = {f: i for i, f in enumerate(distinct_fields)}
    industries = sorted({x.industry for x in nominations})
    iindex = {x: i for i, x in enumerate(industries)}
    ind = _best_field(fields_by_expert, _field_table(distinct_fields, industries), findex)  # m x I
    profile = CATEGORY_PROFILES.get(category_key, "")
    cat = _best_field(fields_by_expert, _field_table(distinct_fields, [profile]), findex)[:, 0]  # m
    base_cols = WEIGHTS["category"] * cat
    nom_ind = np.fromiter((iindex[x.industry] for x in nominations), np.int64, n)
    if n == 0 or m == 0:
        return np.zeros((n, m))
    texts = ngram_columns([" ".join(fs) for fs in fields_by_expert] + [x.text for x in nominations], NGRAMS)
    # Only n-grams some expert's fields have add to a product; keeping just their columns (values already
    # normalized by the whole text) spares turning the nominations' whole n-gram matrix into rows.
    first_row = texts.indices[np.minimum(texts.indptr[:-1], max(len(texts.indices) - 1, 0))]
    in_fields = np.flatnonzero((np.diff(texts.indptr) > 0) & (first_row < m))  # a column's rows are sorted
    texts = texts[:, in_fields].tocsr()
    E, N = texts[:m], texts[m:]
    dense = n * m <= DENSE_PAIRS
    keep = min(top or max(60, m // 20), m)
    col_keep = per_expert or max(60, 20 * n // max(m, 1))
    chunk = max(1, min(n, DENSE_PAIRS // max(m, 1)))
    rng = np.random.default_rng(0)
    rows_out, cols_out, vals_out = [], [], []
    col_rows, col_vals = [], []
    blocks = []
    Et = E.T.tocsc()
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        text = np.asarray((N[start:stop] @ Et).todense())
        a = (WEIGHTS["industry"] * ind[:, nom_ind[start:stop]].T + WEIGHTS["text"] * text + base_cols[None, :])
        if dense:
            blocks.append(a)
            continue
        idx = np.argpartition(-a, keep - 1, axis=1)[:, :keep]
        rows_out.append(np.repeat(np.arange(start, stop), keep))
        cols_out.append(idx.ravel())
        vals_out.append(np.take_along_axis(a, idx, axis=1).ravel())
        # A few random experts per nomination (fixed seed) tie the candidate graph together, so
        # a cluster of nominations whose best experts are all in demand still finds room.
        extra = rng.integers(0, m, size=(stop - start, min(RANDOM_EXTRA, m)))
        rows_out.append(np.repeat(np.arange(start, stop), extra.shape[1]))
        cols_out.append(extra.ravel())
        vals_out.append(np.take_along_axis(a, extra, axis=1).ravel())
        c = min(col_keep, stop - start)
        at = np.ascontiguousarray(a.T)  # partitioning along contiguous rows is much faster
        cidx = np.argpartition(-at, c - 1, axis=1)[:, :c]  # m x c: each expert's best rows in the chunk
        col_rows.append((cidx + start).T)
        col_vals.append(np.take_along_axis(at, cidx, axis=1).T)
    if dense:
        return np.vstack(blocks)
    cr, cv = np.vstack(col_rows), np.vstack(col_vals)
    c = min(col_keep, cr.shape[0])
    best = np.argpartition(-cv, c - 1, axis=0)[:c, :]
    rows_out.append(np.take_along_axis(cr, best, axis=0).ravel())
    cols_out.append(np.tile(np.arange(m), c))
    vals_out.append(np.take_along_axis(cv, best, axis=0).ravel())
    r, col, v = np.concatenate(rows_out), np.concatenate(cols_out), np.concatenate(vals_out)
    key = r * m + col
    _, first = np.unique(key, return_index=True)  # a pair may be picked from both sides
    return sp.csr_matrix((v[first], (r[first], col[first])), shape=(n, m))


@dataclass(frozen=True)
class Part:
    name: str          # "industry", "text", "category"
    weight: float
    value: float
    matched: str       # the expert's field that matched best (industry, category), or ""
    against: str       # what it was compared with
    shared: tuple[str, ...]  # n-grams the two sides share (the reason for the value)

    @property
    def contribution(self) -> float:
        return self.weight * self.value


@dataclass(frozen=True)
class Explanation:
    parts: tuple[Part, ...]

    @property
    def total(self) -> float:
        return sum(p.contribution for p in self.parts)


def _shared(a: str, b: str, limit: int = 12, ns: tuple[int, ...] = NGRAMS) -> tuple[str, ...]:
    ca, cb = ngram_counts(a, ns), ngram_counts(b, ns)
    common = sorted((g for g in ca if g in cb), key=lambda g: (-len(g), -(ca[g] * cb[g]), g))
    return tuple(common[:limit])


def explain(nomination: NominationText, fields: Sequence[str], category_key: str) -> Explanation:
    """Each part of the score of one pair, with the field that matched and the shared n-grams.

    ``explain(...).total`` equals the pair's entry of :func:`affinity_matrix` (up to rounding).
    """
    fields = _clean_fields(fields)
    profile = CATEGORY_PROFILES.get(category_key, "")

    def best(against: str) -> tuple[float, str]:
        scored = [(cosine(f, against, NGRAMS_SHORT), f) for f in fields]
        return max(scored, key=lambda t: t[0]) if scored else (0.0, "")

    ind_value, ind_field = best(nomination.industry)
    cat_value, cat_field = best(profile)
    joined = " ".join(fields)
    text_value = cosine(joined, nomination.text, NGRAMS) if fields else 0.0
    return Explanation(parts=(
        Part("industry", WEIGHTS["industry"], ind_value, ind_field, nomination.industry,
             _shared(ind_field, nomination.industry, ns=NGRAMS_SHORT)),
        Part("text", WEIGHTS["text"], text_value, joined, "", _shared(joined, nomination.text)),
        Part("category", WEIGHTS["category"], cat_value, cat_field, profile,
             _shared(cat_field, profile, ns=NGRAMS_SHORT)),
    ))
