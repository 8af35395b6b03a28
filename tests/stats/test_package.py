"""Package hygiene: import name, dependencies, public API, numpydoc docstrings, doctests."""

from __future__ import annotations

import ast
import doctest
import importlib
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import judgestats

from .conftest import REPO_ROOT

PKG = REPO_ROOT / "statistics" / "judgestats"
MODULES = sorted(p for p in PKG.rglob("*.py"))


def test_statistics_is_a_source_root_not_a_package():
    assert not (REPO_ROOT / "statistics" / "__init__.py").exists()
    assert Path(judgestats.__file__).resolve().parent == PKG.resolve()


def test_standard_library_statistics_is_not_shadowed():
    out = subprocess.run([sys.executable, "-c", "import statistics, judgestats; "
                          "print(statistics.mean([1, 2, 3]))"], capture_output=True,
                         text=True, cwd=REPO_ROOT)
    assert out.returncode == 0 and out.stdout.strip() == "2"


def test_engine_imports_only_numpy_scipy_and_the_standard_library():
    allowed = {"numpy", "scipy", "judgestats"} | set(sys.stdlib_module_names)
    for path in MODULES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    continue
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in allowed, f"{path.name} imports {name}"
                assert not name.startswith("judging"), f"{path.name} imports judging"


def test_importing_judgestats_loads_no_heavy_test_only_packages():
    code = ("import sys, judgestats; bad = [m for m in ('pandas', 'statsmodels', 'pingouin', "
            "'krippendorff', 'judging') if m in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "[]", out.stderr


def test_public_api_and_version():
    for name in ["calibrate", "Calibration", "connectivity", "Connectivity", "rank", "Ranking",
                 "bootstrap", "RankUncertainty", "reliability", "DegenerateDataWarning",
                 "ConvergenceWarning", "DisconnectedDesignError"]:
        assert hasattr(judgestats, name), name
    for name in ["icc", "krippendorff_alpha", "kendall_w", "judge_consistency"]:
        assert callable(getattr(judgestats.reliability, name))
    assert isinstance(judgestats.__version__, str) and judgestats.__version__.count(".") == 2
    fields = {f for f in judgestats.Calibration.__dataclass_fields__}
    assert {"item_value", "item_se", "judge_severity", "judge_scale", "residuals", "method",
            "options", "iterations", "converged"} <= fields
    assert {f for f in judgestats.reliability.ICCResult.__dataclass_fields__} >= {
        "icc1", "icc2", "icc3", "icc1k", "icc2k", "icc3k"}


DOCUMENTED = [
    judgestats.calibrate, judgestats.connectivity, judgestats.rank, judgestats.bootstrap,
    judgestats.calibrate_mean, judgestats.calibrate_trimmed, judgestats.calibrate_trimmed_mean,
    judgestats.calibrate_zscore,
    judgestats.calibrate_additive, judgestats.calibrate_confidence,
    judgestats.calibrate_affine, judgestats.calibrate_mixed, judgestats.calibrate_rasch,
    judgestats.reliability.icc, judgestats.reliability.krippendorff_alpha,
    judgestats.reliability.kendall_w, judgestats.reliability.judge_consistency,
    judgestats.favoritism,
]


@pytest.mark.parametrize("func", DOCUMENTED, ids=lambda f: f.__name__)
def test_numpydoc_sections(func):
    doc = inspect.getdoc(func)
    for section in ["Parameters", "Returns", "Notes", "Examples"]:
        assert f"\n{section}\n" + "-" * len(section) in doc, f"{func.__name__}: {section}"
    if (func.__name__.startswith("calibrate_") or func.__module__.endswith("reliability")
            or func.__name__ == "favoritism"):
        assert "\nReferences\n----------" in doc
    assert ">>> " in doc


@pytest.mark.parametrize("module", ["judgestats.calibration", "judgestats.methods",
                                    "judgestats.ranking", "judgestats.reliability",
                                    "judgestats.connectivity", "judgestats.favoritism"])
def test_docstring_examples_run(module):
    import warnings

    mod = importlib.import_module(module)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0
