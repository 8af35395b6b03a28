"""Crashes: a server killed with SIGKILL in the middle of a stream of saves loses nothing it acknowledged."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from judging import audit
from judging.accounts.models import User
from judging.demo import DEMO_PASSWORDS
from judging.jobs import Job, JobStatus
from judging.jobs.service import _run_job_by_url, make_huey
from judging.panels.models import Assignment, Expert
from judging.scoring.models import CriterionScore, ScoreSheet
from judging.settings import Settings

pytestmark = [pytest.mark.slow, pytest.mark.backend_sensitive]  # durability after a crash
TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')
SCORE_FIELD = re.compile(r'name="(score-\d+)" class="score"')  # the numeric criteria (whole numbers fit them all)


def _fresh_assignment(session_factory) -> str:
    with session_factory() as session:
        return session.scalar(
            select(Assignment.handle).join(Expert, Expert.id == Assignment.expert_id).join(User, User.id == Expert.user_id)
            .outerjoin(ScoreSheet, ScoreSheet.assignment_id == Assignment.id)
            .where(User.username == "judge05", ScoreSheet.id.is_(None)).limit(1))


def _log_in(client: httpx.Client) -> None:
    token = TOKEN.search(client.get("/login").text).group(1)
    response = client.post("/login", data={"username": "judge05", "password": DEMO_PASSWORDS["judge"],
                                           "_csrf_token": token})
    assert response.status_code in (302, 303)


def test_saves_acknowledged_before_a_sigkill_are_all_there(served, db_url, demo, session_factory, tmp_path):
    assignment_id = _fresh_assignment(session_factory)
    port = served.free_port()
    process, base = served.start(db_url, tmp_path, port=port)
    acknowledged: list[tuple[int, Decimal]] = []  # (version after the save, value of every criterion)
    sent: list[Decimal] = []
    enough = threading.Event()
    try:
        with httpx.Client(base_url=base, timeout=10) as client:
            _log_in(client)
            page = client.get(f"/judge/sheets/{assignment_id}").text
            token, fields = TOKEN.search(page).group(1), list(dict.fromkeys(SCORE_FIELD.findall(page)))
            version = 0

            def kill_after_some_saves():
                enough.wait(30)
                process.send_signal(signal.SIGKILL)

            killer = threading.Thread(target=kill_after_some_saves)
            killer.start()
            for index in range(10_000):
                value = Decimal(index % 11)
                sent.append(value)
                form = {"_csrf_token": token, "version": str(version), "comment": f"第{index}稿",
                        "familiarity": "familiar", **{name: str(value) for name in fields}}
                try:
                    response = client.post(f"/judge/sheets/{assignment_id}/draft", data=form,
                                           headers={"accept": "application/json"})
                except httpx.HTTPError:
                    break  # the server died under this request: it was never acknowledged
                assert response.status_code == 200, response.text
                version = response.json()["version"]
                acknowledged.append((version, value))
                if len(acknowledged) == 40:
                    enough.set()
            killer.join()
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL and len(acknowledged) >= 40

    process, base = served.start(db_url, tmp_path, port=port)  # the restart
    try:
        with httpx.Client(base_url=base, timeout=10) as client:
            _log_in(client)
            assert client.get(f"/judge/sheets/{assignment_id}").status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)

    last_version, last_value = acknowledged[-1]
    with session_factory() as session:
        sheet = session.scalar(select(ScoreSheet).join(Assignment, Assignment.id == ScoreSheet.assignment_id)
                               .where(Assignment.handle == assignment_id))
        values = set(session.scalars(select(CriterionScore.value).where(CriterionScore.sheet_id == sheet.id)))
        chain = audit.verify(session)
    # The last acknowledged save is there, or the one in flight when the server died (committed, not
    # yet answered); either way the sheet holds one save whole, never a mix of two.
    assert sheet.version in (last_version, last_version + 1)
    expected = last_value if sheet.version == last_version else sent[len(acknowledged)]
    assert values == {expected}
    assert chain.valid


# A worker process as `judging worker` runs it, with the slow test kinds beside the parts' own.
WORKER = """
import sys
sys.path.insert(0, sys.argv[1])
import slow_jobs
from judging import jobs, parts
from judging.db import create_db_engine, make_session_factory
from judging.settings import get_settings
settings = get_settings()
parts.assemble().install(settings, extra_job_kinds=jobs.kinds_in(slow_jobs))
jobs.recover_interrupted(make_session_factory(create_db_engine(settings.database_url)),
                         database_url=settings.database_url)
jobs.service.make_consumer(workers=2).run()
"""


def _worker(db_url: str, var_dir) -> subprocess.Popen:
    env = {**os.environ, "JUDGING_DATABASE_URL": db_url, "JUDGING_VAR_DIR": str(var_dir),
           "JUDGING_JOBS_BACKEND": "sqlite", "JUDGING_JOB_HEARTBEAT_SECONDS": "0.5"}
    return subprocess.Popen([sys.executable, "-c", WORKER, str(Path(__file__).parent)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _wait(session_factory, job_ids, predicate, seconds: float = 60) -> dict[int, Job]:
    deadline = time.monotonic() + seconds
    while True:
        with session_factory() as session:
            jobs = {job_id: session.get(Job, job_id) for job_id in job_ids}
        if all(predicate(job) for job in jobs.values()) or time.monotonic() > deadline:
            return jobs
        time.sleep(0.2)


def test_a_job_killed_with_its_worker_is_failed_or_resumed(db_url, session_factory, tmp_path):
    with session_factory() as session:
        jobs = [Job(kind="test.slow", params={"steps": 600}), Job(kind="test.slow_resumable", params={"steps": 30})]
        session.add_all(jobs)
        session.commit()
        job_ids = [job.id for job in jobs]
    queue = make_huey(Settings(database_url=db_url, var_dir=tmp_path, jobs_backend="sqlite"))
    enqueue = queue.task(name="judging.run_job")(_run_job_by_url)
    for job_id in job_ids:
        enqueue(job_id, db_url)
    worker = _worker(db_url, tmp_path)
    try:
        running = _wait(session_factory, job_ids, lambda job: job.status is JobStatus.RUNNING and job.progress > 0)
        assert all(job.status is JobStatus.RUNNING for job in running.values()), worker.stderr
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        time.sleep(4)  # past six missed heartbeats of 0.5 s
        worker = _worker(db_url, tmp_path)
        done = _wait(session_factory, job_ids, lambda job: job.status in (JobStatus.FAILED, JobStatus.SUCCEEDED))
    finally:
        worker.kill()
        worker.wait(timeout=10)
    failed, resumed = done[job_ids[0]], done[job_ids[1]]
    assert failed.status is JobStatus.FAILED and "interrupted" in failed.error
    assert resumed.status is JobStatus.SUCCEEDED and resumed.result == {"steps": 30} and resumed.attempts == 2
