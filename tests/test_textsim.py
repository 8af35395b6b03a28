"""Near-duplicate detection and employer-name folding for Chinese nominations."""

import numpy as np
import pytest

from judging.textsim import (
    cosine,
    group_by_company,
    near_duplicates,
    ngram_counts,
    ngram_matrix,
    normalize_company,
    normalize_text,
    short_forms,
)

ORIGINAL = (
    "针对高炉煤气余压发电机组效率偏低的问题，项目组研发了透平叶片在线清洗装置和智能控制系统，"
    "实现了机组连续稳定运行，年增发电量1200万千瓦时，节约标煤3800吨，创效780万元。"
)
EDITED = (
    "针对高炉煤气余压发电机组效率偏低的问题，项目组研制了透平叶片在线清洗装置和智能控制系统，"
    "实现了机组长期连续稳定运行，年增发电量1250万千瓦时，节约标煤3900吨，创效800万元。"
)
OTHER = (
    "本建议提出对矿井主通风机实施变频改造，根据井下瓦斯浓度自动调节风量，"
    "年节电约260万千瓦时，降低了设备磨损，提高了通风系统可靠性。"
)


def test_normalization_folds_width_case_and_drops_punctuation():
    assert normalize_text("ＡＢＣ １２３，高炉！\u3000Ok.") == "abc123高炉ok"
    assert normalize_text("①号机组") == "1号机组"


def test_ngrams_are_bigrams_and_trigrams_of_the_folded_text():
    assert ngram_counts("高炉煤气") == {"高炉": 1, "炉煤": 1, "煤气": 1, "高炉煤": 1, "炉煤气": 1}
    assert ngram_counts("节") == {"节": 1}
    assert ngram_counts("，。") == {}


def test_cosine_of_edited_text_is_high_and_of_unrelated_text_low():
    assert cosine(ORIGINAL, ORIGINAL) == pytest.approx(1.0)
    assert cosine(ORIGINAL, EDITED) > 0.75
    assert cosine(ORIGINAL, OTHER) < 0.15
    assert cosine(ORIGINAL, "") == 0.0
    # punctuation and full-width digits do not matter
    assert cosine("年节约标煤3800吨。", "年节约标煤３８００吨") == pytest.approx(1.0)


@pytest.mark.parametrize("ns", [(2, 3), (1,), (3,), (1, 2, 3)])
def test_matrix_rows_reproduce_pairwise_cosine(ns):
    texts = [ORIGINAL, EDITED, OTHER, "", "节", "ab", "ＡＢ", "㈱株式会社", ORIGINAL]
    x = ngram_matrix(texts, ns)
    gram = (x @ x.T).toarray()
    for i, a in enumerate(texts):
        for j, b in enumerate(texts):
            assert gram[i, j] == pytest.approx(cosine(a, b, ns), abs=1e-12)
    assert x.nnz == sum(len(ngram_counts(t, ns)) for t in texts)


def test_matrix_of_only_empty_texts():
    assert ngram_matrix(["", "，"]).shape == (2, 0)
    assert near_duplicates(["", "，", ""]) == []


def _corpus(n, seed):
    """Texts on many topics, with shared stock phrases, like real nomination summaries."""
    rng = np.random.default_rng(seed)
    chars = np.array([chr(c) for c in range(0x4E00, 0x4E00 + 2500)])
    vocab = ["".join(chars[rng.integers(len(chars), size=rng.integers(2, 5))]) for _ in range(6000)]
    stock = "本项目经推广应用取得了显著的经济效益和社会效益具有较高的推广价值"
    topics = [rng.choice(len(vocab), size=120, replace=False) for _ in range(60)]
    texts = []
    for _ in range(n):
        topic = topics[rng.integers(len(topics))]
        words = [vocab[w] for w in topic[rng.integers(len(topic), size=120)]]
        texts.append("".join(words) + stock)
    return texts, rng


def test_near_duplicates_match_brute_force_on_varied_edits():
    texts, rng = _corpus(600, seed=3)
    for k in range(60):  # resubmissions: trimmed, spliced, typo'd, reshuffled
        src, L = texts[k], len(texts[k])
        f = 0.02 + 0.15 * rng.random()
        if k % 4 == 0:
            edited = src[int(L * f):]
        elif k % 4 == 1:
            pos = int(rng.integers(L - 50))
            edited = src[:pos] + texts[300 + k][: int(L * f)] + src[pos:]
        elif k % 4 == 2:
            chars = list(src)
            for p in rng.choice(L, int(L * f / 3), replace=False):
                chars[p] = chr(0x9000 + int(rng.integers(500)))
            edited = "".join(chars)
        else:
            parts = [src[i : i + 80] for i in range(0, L, 80)]
            rng.shuffle(parts)
            edited = "".join(parts)
        texts[599 - k] = edited
    x = ngram_matrix(texts)
    gram = np.triu((x @ x.T).toarray(), 1)
    for threshold in (0.85, 0.7):
        truth = set(zip(*map(list, np.nonzero(gram >= threshold))))
        found = near_duplicates(texts, threshold)
        assert {(p.i, p.j) for p in found} == truth
        assert all(p.score == pytest.approx(gram[p.i, p.j]) for p in found)
    assert len(near_duplicates(texts, 0.85)) >= 50


def test_near_duplicates_sorted_and_exact_copies_score_one():
    pairs = near_duplicates([ORIGINAL, OTHER, EDITED, ORIGINAL, "x"], threshold=0.7)
    assert (pairs[0].i, pairs[0].j, pairs[0].score) == (0, 3, pytest.approx(1.0))
    assert {(p.i, p.j) for p in pairs} == {(0, 3), (0, 2), (2, 3)}
    assert [p.score for p in pairs] == sorted((p.score for p in pairs), reverse=True)


def test_near_duplicates_rejects_bad_threshold():
    with pytest.raises(ValueError, match="threshold"):
        near_duplicates([ORIGINAL], 0)
    with pytest.raises(ValueError, match="threshold"):
        near_duplicates([ORIGINAL], 1.2)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("南京钢铁股份有限公司", "南京钢铁有限公司"),
        ("江苏沙钢（集团）有限公司", "江苏沙钢集团有限公司"),
        ("徐州工程机械集团有限公司", "徐州工程机械集团"),
        ("无锡 华光 锅炉股份有限公司", "无锡华光锅炉有限责任公司"),
        ("ＡＢＢ（中国）有限公司", "ABB(中国)有限公司"),
        ("Siemens Ltd., China", "SIEMENS LTD., CHINA"),
    ],
)
def test_variants_of_one_employer_normalize_equal(a, b):
    assert normalize_company(a) == normalize_company(b)


def test_different_employers_stay_different():
    assert normalize_company("南京钢铁股份有限公司") == "南京钢铁"
    assert normalize_company("南京钢铁股份有限公司") != normalize_company("常州钢铁有限公司")
    # the legal form alone is not stripped to nothing
    assert normalize_company("公司") == "公司"


def test_group_by_company():
    groups = group_by_company(["南京钢铁股份有限公司", "南京钢铁有限公司", "常州天合光能有限公司"])
    assert groups == {"南京钢铁": ["南京钢铁股份有限公司", "南京钢铁有限公司"], "常州天合光能": ["常州天合光能有限公司"]}


def test_short_forms_for_redaction():
    assert short_forms("南京钢铁股份有限公司") == ["南京钢铁股份有限公司", "南京钢铁"]
    forms = short_forms("江苏沙钢（集团）有限公司")
    assert "江苏沙钢" in forms and "江苏沙钢(集团)" in forms
    assert forms == sorted(forms, key=len, reverse=True)
    # a branch also yields its parent company
    assert "中国石油化工" in short_forms("中国石油化工股份有限公司金陵分公司")
    # customary abbreviations are not derivable; generic words are never produced
    assert "南钢" not in short_forms("南京钢铁股份有限公司")
    assert "工程机械" not in short_forms("徐州工程机械集团有限公司")
    assert short_forms("公司") == [] and short_forms("  ") == []


def test_identical_short_generic_titles_are_found_even_if_every_ngram_is_common():
    titles = ["关于节能降耗的合理化建议"] * 2 + [f"关于节能降耗的合理化建议第{i}号" for i in range(400)]
    titles[1] = "关于节能降耗的合理化建议。"  # same after folding
    pairs = near_duplicates(titles, 0.99, max_df=50)
    assert (0, 1) in {(p.i, p.j) for p in pairs}
