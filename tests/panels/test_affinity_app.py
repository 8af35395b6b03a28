"""The affinity score: documented parts, explained per pair, equal to the matrix the solver uses."""

from __future__ import annotations

import numpy as np

from judging.panels.affinity import NominationText, affinity_matrix, explain

NOMS = [NominationText("钢铁冶金", "高炉炉顶布料智能监测技术\n针对钢铁冶金生产中高炉布料不均的问题"),
        NominationText("医药", "注射剂灌装在线诊断方法及其应用\n医药生产中的灌装精度")]
FIELDS = [["冶金工程", "电气工程"], ["药学", "食品科学"], []]


def test_an_expert_in_the_field_scores_higher_than_one_outside_it():
    a = affinity_matrix(NOMS, FIELDS, "achievement")
    assert a.shape == (2, 3)
    assert a[0, 0] > a[0, 1] and a[1, 1] > a[1, 0]
    assert np.all(a[:, 2] == 0)  # no fields, no affinity
    assert np.all((a >= 0) & (a <= 1))


def test_explanation_adds_up_to_the_matrix_entry_and_names_the_shared_ngrams():
    a = affinity_matrix(NOMS, FIELDS, "achievement")
    for i, nom in enumerate(NOMS):
        for j, fields in enumerate(FIELDS):
            assert abs(explain(nom, fields, "achievement").total - a[i, j]) < 1e-9
    why = explain(NOMS[0], FIELDS[0], "achievement")
    industry = next(p for p in why.parts if p.name == "industry")
    assert industry.matched == "冶金工程" and "冶金" in industry.shared
    assert abs(sum(p.weight for p in why.parts) - 1.0) < 1e-12


def test_large_instances_keep_each_nominations_best_candidates():
    import judging.panels.affinity as aff

    noms = NOMS * 30
    fields = FIELDS * 40
    old = aff.DENSE_PAIRS
    aff.DENSE_PAIRS = 100
    try:
        sparse = affinity_matrix(noms, fields, "achievement", top=10, per_expert=5)
    finally:
        aff.DENSE_PAIRS = old
    dense = affinity_matrix(noms, fields, "achievement")
    assert sparse.shape == dense.shape
    assert np.all(np.diff(sparse.indptr) >= 10)
    assert np.all(np.diff(sparse.tocsc().indptr) >= 5)  # every expert keeps candidates too
    for i in range(len(noms)):
        row = sparse[i].toarray().ravel()
        kept = np.sort(dense[i][sparse[i].indices])[-10:]
        assert np.allclose(kept, np.sort(dense[i])[-10:])
        assert np.allclose(row[sparse[i].indices], dense[i][sparse[i].indices])
