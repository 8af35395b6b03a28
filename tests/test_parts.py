"""The parts assemble into one registry, and a list that does not fit together stops the process at startup."""

from __future__ import annotations

import dataclasses

import pytest

from judging.parts import PARTS, AssemblyError, assemble
from judging.stages.models import StageKind


def test_every_stage_has_a_blocker_check_and_every_started_job_kind_a_handler():
    registry = assemble()
    assert set(registry.stage_checks) == set(StageKind)
    handled = {kind.name for kind in registry.job_kinds}
    assert {kind for part in PARTS for kind in part.starts} <= handled
    assert len(handled) == len(registry.job_kinds)


def test_a_stage_without_a_blocker_check_is_refused_with_its_name():
    parts = [dataclasses.replace(part, stage_checks={k: c for k, c in part.stage_checks.items()
                                                     if k is not StageKind.PUBLIC_NOTICE}) for part in PARTS]
    with pytest.raises(AssemblyError, match="stages without a blocker check: public_notice"):
        assemble(parts)


def test_a_job_kind_a_page_starts_but_no_part_handles_is_refused_with_its_name():
    parts = [dataclasses.replace(part, job_modules=()) if part.name == "results" else part for part in PARTS]
    with pytest.raises(AssemblyError, match="handled by no part: results.compute, results.recompute$"):
        assemble(parts)


def test_a_job_kind_handled_twice_is_refused():
    results = next(part for part in PARTS if part.name == "results")
    with pytest.raises(AssemblyError, match="more than one part: results.compute"):
        assemble([*PARTS, dataclasses.replace(results, name="copy", handlers=(), stage_checks={})])
