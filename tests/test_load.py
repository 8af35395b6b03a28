"""The load benchmark in small: a dozen judges for a few seconds against `judging serve --workers 2`,
on each backend. No timing is asserted; what must hold under any load is: no failed request, no
lost write, an audit chain that verifies, a server log without errors (benchmarks/load.py)."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from browser import REPO_ROOT


def _load_benchmark():
    # The client processes are spawned: they import the module by name, from the parent's sys.path.
    sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
    spec = importlib.util.spec_from_file_location("load", REPO_ROOT / "benchmarks" / "load.py")
    module = sys.modules["load"] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.backend_sensitive
def test_a_short_load_run_loses_nothing_and_fails_no_request(db_url, tmp_path):
    load = _load_benchmark()
    outcome = load.run(db_url, judges=12, ramp=1, seconds=5, saturate=2, workers=2, clients=2, folder=tmp_path)
    assert {phase: stats.errors for phase, stats in outcome.phases.items()} == {
        "logins": [], "steady": [], "saturation": []}
    assert outcome.phases["logins"].count(("login",)) == 12
    assert outcome.phases["saturation"].count(("autosave",)) > 0
    assert outcome.checked > 0 and outcome.lost == 0 and outcome.chain_valid
    assert outcome.server_problems == []
    assert outcome.bare.errors == [] and outcome.bare.count() > 0
