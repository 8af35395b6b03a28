"""Two result runs computed at once in the job system's worker threads keep their own engine warnings:
each stored run lists exactly the warnings of its own data, and an auditor's recompute of either matches."""

from __future__ import annotations

import time

import numpy as np
import pytest

from judging.jobs import Job, JobStatus, start_job
from judging.jobs import service as jobs
from judging.results.models import ResultRun, RunCheck
from judging.settings import Settings
from results.factories import AUDITOR, ORGANIZER, make_small_edition

N_ITEMS, N_JUDGES, PER_ITEM = 36, 6, 4
REPS = 1500  # long enough (about a second) that the two runs' engine work overlaps
CONSTANT_JUDGE_WARNING = ("zscore: judges {judge} gave the same score to every item they scored; "
                          "their standardized scores are set to 0 (they do not separate items)")


def _design(*, constant_judge: int, seed: int) -> list[tuple[int, int, float]]:
    """Every item scored by PER_ITEM judges in a ring; judge ``constant_judge`` gives 5.0 to everything."""
    rng = np.random.default_rng(seed)
    quality = rng.uniform(3, 8, N_ITEMS)
    design = []
    for item in range(N_ITEMS):
        for k in range(PER_ITEM):
            judge = (item + k) % N_JUDGES
            value = 5.0 if judge == constant_judge else quality[item] + rng.normal(0, 1)
            design.append((item, judge, float(min(10.0, max(0.0, round(value * 2) / 2)))))
    return design


@pytest.fixture
def worker_threads(installed_parts, db_url, tmp_path):
    """The production job set-up of `judging serve`: the parts installed with a queue on disk, and the
    embedded consumer's two worker threads.

    Returns the consumer to start once the data are in (its idle workers poll ever less often).
    """
    installed_parts.install(Settings(database_url=db_url, var_dir=tmp_path, jobs_backend="sqlite"))
    huey = jobs.get_huey()
    consumer = jobs.make_consumer(workers=2, embedded=True)
    yield consumer
    if consumer.scheduler.ident is not None:  # started (the test may fail before it starts the workers)
        consumer.stop(graceful=True)
    huey.storage.close()
    # The workers' engine is cached per URL for the process; close its connections, or PostgreSQL
    # refuses to copy this (template) database for the next test.
    jobs._worker_session_factory(db_url).kw["bind"].dispose()
    jobs._worker_session_factory.cache_clear()


def _wait(session_factory, job_ids: list[int], timeout: float = 120.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        with session_factory() as session:
            found = [session.get(Job, job_id) for job_id in job_ids]
            if all(job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED) for job in found):
                assert [job.status for job in found] == [JobStatus.SUCCEEDED] * len(found), [j.error for j in found]
                return [dict(job.result) for job in found]
        assert time.monotonic() < deadline, "jobs did not finish"
        time.sleep(0.05)


def test_concurrent_runs_store_their_own_warnings_and_both_recompute_to_matching_digests(
        session_factory, db_url, worker_threads):
    with session_factory() as session:
        first = make_small_edition(session, _design(constant_judge=0, seed=1), year=2031)
        second = make_small_edition(session, _design(constant_judge=3, seed=2), year=2032)
        targets = [(e["round"].id, e["category"].id) for e in (first, second)]
        session.commit()
    worker_threads.start()
    computes = [start_job(session_factory, kind="results.compute", by=ORGANIZER, database_url=db_url,
                          params={"round_id": round_id, "category_id": category_id, "method": "zscore",
                                  "reps": REPS, "seed": 11})
                for round_id, category_id in targets]
    run_ids = [result["run_id"] for result in _wait(session_factory, computes)]
    with session_factory() as session:
        runs = [session.get(ResultRun, run_id) for run_id in run_ids]
        first_warnings, second_warnings = (run.outputs["warnings"] for run in runs)
    # Each run lists the warnings of its own data only (the engine warns of a different judge in each).
    assert CONSTANT_JUDGE_WARNING.format(judge=0) in first_warnings
    assert CONSTANT_JUDGE_WARNING.format(judge=3) not in first_warnings
    assert CONSTANT_JUDGE_WARNING.format(judge=3) in second_warnings
    assert CONSTANT_JUDGE_WARNING.format(judge=0) not in second_warnings

    recomputes = [start_job(session_factory, kind="results.recompute", by=AUDITOR, database_url=db_url,
                            params={"run_id": run_id}) for run_id in run_ids]
    results = _wait(session_factory, recomputes)
    assert [(r["inputs_match"], r["outputs_match"]) for r in results] == [(True, True), (True, True)]
    with session_factory() as session:
        checks = [session.get(RunCheck, r["check_id"]) for r in results]
        assert [c.output_digest for c in checks] == [session.get(ResultRun, i).output_digest for i in run_ids]
