"""The method registry, the module graph of judgestats (no import cycles) and warnings as data."""

from __future__ import annotations

import importlib
import threading
import warnings

import grimp
import numpy as np
import pytest

import judgestats
from judgestats import EngineWarning
from judgestats._method import MethodSpec
from judgestats.registry import METHODS
from judgestats.reliability import judge_consistency

from .conftest import REPO_ROOT

PKG_DIR = REPO_ROOT / "statistics" / "judgestats"


def _module_cycles(graph) -> list[tuple[str, str]]:
    """Pairs of modules that reach each other through imports (any import, top-level or local)."""
    modules = sorted(graph.modules)
    return [(a, b) for i, a in enumerate(modules) for b in modules[i + 1:]
            if graph.chain_exists(importer=a, imported=b) and graph.chain_exists(importer=b, imported=a)]


def test_judgestats_modules_form_no_import_cycle():
    graph = grimp.build_graph("judgestats", cache_dir=None)
    assert len(graph.modules) == len(list(PKG_DIR.glob("*.py")))
    assert _module_cycles(graph) == []


def test_the_cycle_check_sees_imports_inside_functions(tmp_path, monkeypatch):
    package = tmp_path / "cyclic_probe"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "low.py").write_text("def late():\n    from .high import VALUE\n    return VALUE\n")
    (package / "high.py").write_text("from .low import late\nVALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("cyclic_probe", cache_dir=None)
    assert _module_cycles(graph) == [("cyclic_probe.high", "cyclic_probe.low")]


def test_every_method_module_spec_is_in_the_one_registry():
    declared = {}
    for path in sorted(PKG_DIR.glob("*.py")):
        module = importlib.import_module(f"judgestats.{path.stem}" if path.stem != "__init__" else "judgestats")
        for value in vars(module).values():
            if isinstance(value, MethodSpec):
                declared[value.name] = value
    assert set(declared) == set(METHODS)
    assert all(METHODS[name] is spec for name, spec in declared.items())
    assert list(METHODS) == ["mean", "trimmed", "trimmed_mean", "zscore", "additive", "confidence",
                             "affine", "mixed", "rasch"]


def test_method_modules_do_not_register_by_import():
    sources = {p.name: p.read_text(encoding="utf-8") for p in PKG_DIR.glob("*.py")}
    assert not any("register(" in text for text in sources.values())
    assert "import affine, basic, mixed, rasch" in sources["registry.py"]


# --------------------------------------------------------------------------- warnings as data

CONSTANT_JUDGE = ([0, 1, 2, 0, 1, 2, 0, 1, 2], [0, 0, 0, 1, 1, 1, 2, 2, 2], [5.0, 5, 5, 1, 2, 3, 2, 3, 5])


def test_calibrate_records_its_warnings_and_issues_them_only_when_asked():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quiet = judgestats.calibrate(*CONSTANT_JUDGE, method="zscore", warn=False)
    assert quiet.warnings == (EngineWarning(
        "DegenerateDataWarning", "zscore: judges 0 gave the same score to every item they scored; "
        "their standardized scores are set to 0 (they do not separate items)"),)
    with pytest.warns(judgestats.DegenerateDataWarning) as issued:
        loud = judgestats.calibrate(*CONSTANT_JUDGE, method="zscore")
    assert [(w.category.__name__, str(w.message)) for w in issued] == [
        (e.category, e.message) for e in loud.warnings]
    assert loud.digest() == quiet.digest()


def test_clean_data_give_no_warnings(design):
    cal = judgestats.calibrate(design.item, design.judge, design.score, method="additive", warn=False)
    assert cal.warnings == ()
    assert judgestats.rank(cal, warn=False).warnings == ()


def test_every_warning_of_a_method_is_recorded_in_order():
    rng = np.random.default_rng(1)
    item = np.repeat(np.arange(30), 3)
    judge = np.concatenate([rng.choice(6, 3, replace=False) for _ in range(30)])
    y = rng.normal(0, 1, 30)[item] + rng.normal(0, 1.0, item.size)
    y = y - (np.bincount(judge, y) / np.bincount(judge))[judge]  # equal judge means: no judge variance
    cal = judgestats.calibrate(item, judge, y, method="mixed", warn=False)
    assert [w.category for w in cal.warnings] == ["DegenerateDataWarning"]
    assert "judge variance is estimated at 0" in cal.warnings[0].message
    cal = judgestats.calibrate([0, 1, 2, 3], [0, 0, 1, 1], [1.0, 2, 3, 4], method="mean", warn=False)
    assert [w.message.split(":")[0] for w in cal.warnings] == ["mean"]


def test_convergence_warning_is_recorded_with_its_category():
    rng = np.random.default_rng(3)
    item = np.repeat(np.arange(40), 4)
    judge = rng.integers(0, 12, item.size)
    judge[:12] = np.arange(12)
    score = rng.normal(size=item.size)
    cal = judgestats.calibrate(item, judge, score, method="additive", solver="cg", max_iter=1,
                               tol=1e-14, warn=False)
    assert not cal.converged
    assert [w.category for w in cal.warnings] == ["ConvergenceWarning"]


def test_rank_bootstrap_and_consistency_carry_their_warnings():
    item, judge, score = [0, 1, 2, 3], [0, 0, 1, 1], [1.0, 2.0, 3.0, 5.0]  # two components
    cal = judgestats.calibrate(item, judge, score, method="additive", within_components=True, warn=False)
    ranking = judgestats.rank(cal, top_n=2, warn=False)
    assert [w.message.split(":")[0] for w in ranking.warnings] == ["rank"]
    boot = judgestats.bootstrap(item, judge, score, "additive", top_n=2, reps=5, within_components=True,
                                warn=False)
    assert boot.warnings == cal.warnings
    consistency = judge_consistency(cal, item, judge, score, warn=False)
    assert consistency.warnings == (EngineWarning(
        "DegenerateDataWarning", "judge_consistency: correlation undefined (NaN) for judges 0, 1 "
        "(fewer than 3 scores or no spread)"),)


def test_concurrent_calibrations_keep_their_own_warnings(design):
    """Two threads at once: the degenerate run has its warning, the clean run none (no shared state)."""
    results: dict[str, list] = {"clean": [], "degenerate": []}
    start = threading.Barrier(2)

    def work(kind):
        start.wait()
        for _ in range(20):
            if kind == "clean":
                cal = judgestats.calibrate(design.item, design.judge, design.score, method="zscore", warn=False)
            else:
                cal = judgestats.calibrate(*CONSTANT_JUDGE, method="zscore", warn=False)
            results[kind].append(cal.warnings)

    threads = [threading.Thread(target=work, args=(kind,)) for kind in results]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(results["clean"]) == {()}
    assert len(set(results["degenerate"])) == 1 and len(results["degenerate"][0]) == 1


def test_engine_never_changes_the_warning_filters_of_the_process():
    """``catch_warnings``/``simplefilter`` change process-wide state: a thread's change leaks into others."""
    for path in PKG_DIR.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "catch_warnings" not in text and "simplefilter" not in text, path.name
