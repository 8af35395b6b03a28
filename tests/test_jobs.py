"""Background jobs: progress, failure, recovery after a dead worker, and a queue that survives restarts."""

from __future__ import annotations

import datetime as dt
import sys
import time

import pytest
from sqlalchemy import select

from helpers import login
from judging import audit
from judging.accounts import actor_of, add_user
from judging.accounts.models import Role
from judging.demo import DEMO_PASSWORDS
from judging.jobs import Job, JobStatus, job_kind, kinds_in, recover_interrupted, start_job
from judging.jobs.service import _run_job_by_url, make_huey
from judging.settings import Settings

SYSTEM = audit.Actor.system("test")
RESUMED: list[int] = []


@job_kind("test.count")
def _count(ctx, params):
    for step in range(params["n"]):
        ctx.progress(step / params["n"], f"step {step}", force=True)
    return {"counted": params["n"]}


@job_kind("test.fail")
def _fail(ctx, params):
    raise RuntimeError("the solver ran out of patience")


@job_kind("test.resumable", resumable=True)
def _resumable(ctx, params):
    RESUMED.append(ctx.job_id)
    return {"ok": True}


@job_kind("test.whoami")
def _whoami(ctx, params):
    return {"actor": [ctx.actor.id, ctx.actor.label], "params": sorted(params)}


@pytest.fixture(autouse=True)
def test_kinds(request, installed_parts, tmp_path):
    """The parts' job kinds and this module's test kinds (after the app, which installs only the parts')."""
    if "client" in request.fixturenames:
        request.getfixturevalue("client")
    installed_parts.install(Settings(var_dir=tmp_path, jobs_backend="immediate"),
                            extra_job_kinds=kinds_in(sys.modules[__name__]))


def _job(session_factory, job_id) -> Job:
    with session_factory() as session:
        return session.get(Job, job_id)


def test_a_job_runs_reports_progress_and_keeps_its_result(session_factory, db_url):
    job_id = start_job(session_factory, kind="test.count", params={"n": 3}, by=SYSTEM, database_url=db_url)
    job = _job(session_factory, job_id)
    assert job.status is JobStatus.SUCCEEDED and job.progress == 1.0 and job.result == {"counted": 3}
    assert job.attempts == 1 and job.started_at <= job.finished_at
    with session_factory() as session:
        assert session.scalars(select(audit.AuditEvent.action)).all() == ["job.queued"]


def test_a_job_runs_as_the_actor_who_started_it(session_factory, db_url):
    with session_factory() as session:
        organizer = add_user(session, username="zhang.wei", password="a-long-password-1", role=Role.ORGANIZER,
                                by=SYSTEM)
        session.commit()
        by = actor_of(organizer)
    job_id = start_job(session_factory, kind="test.whoami", params={"n": 1}, by=by, database_url=db_url)
    assert _job(session_factory, job_id).result == {"actor": [by.id, "zhang.wei"], "params": ["n"]}


def test_a_failing_job_is_marked_failed_with_its_error(session_factory, db_url):
    job = _job(session_factory, start_job(session_factory, kind="test.fail", params={}, by=SYSTEM,
                                          database_url=db_url))
    assert job.status is JobStatus.FAILED
    assert job.error.startswith("RuntimeError: the solver ran out of patience")


def test_unknown_job_kind_is_refused(session_factory, db_url):
    with pytest.raises(Exception, match="Unknown job kind"):
        start_job(session_factory, kind="test.nothing", params={}, by=SYSTEM, database_url=db_url)
    with session_factory() as session:
        assert session.scalars(select(Job)).all() == []


def _stale_running_job(session_factory, kind: str) -> int:
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    with session_factory() as session:
        job = Job(kind=kind, params={}, status=JobStatus.RUNNING, started_at=long_ago, heartbeat_at=long_ago)
        session.add(job)
        session.commit()
        return job.id


@pytest.mark.backend_sensitive
def test_a_job_whose_worker_died_is_failed_or_resumed(session_factory, db_url):
    failed = _stale_running_job(session_factory, "test.count")
    resumed = _stale_running_job(session_factory, "test.resumable")
    with session_factory() as session:
        fresh = Job(kind="test.count", params={}, status=JobStatus.RUNNING,
                    heartbeat_at=dt.datetime.now(dt.UTC))  # another live worker's job: left alone
        session.add(fresh)
        session.commit()
        fresh_id = fresh.id
    assert sorted(recover_interrupted(session_factory, database_url=db_url)) == [failed, resumed]
    assert _job(session_factory, failed).status is JobStatus.FAILED
    assert "interrupted" in _job(session_factory, failed).error
    assert _job(session_factory, resumed).status is JobStatus.SUCCEEDED and resumed in RESUMED
    assert _job(session_factory, fresh_id).status is JobStatus.RUNNING


def test_queued_jobs_survive_a_worker_restart(session_factory, db_url, tmp_path):
    settings = Settings(database_url=db_url, var_dir=tmp_path, jobs_backend="sqlite")
    with session_factory() as session:
        job = Job(kind="test.count", params={"n": 2})
        session.add(job)
        session.commit()
        job_id = job.id
    before = make_huey(settings)
    before.task(name="judging.run_job")(_run_job_by_url)(job_id, db_url)  # queued, no consumer running
    before.storage.close()
    after = make_huey(settings)  # a new process would open the same queue file
    after.task(name="judging.run_job")(_run_job_by_url)
    assert after.pending_count() == 1
    consumer = after.create_consumer(workers=1, worker_type="thread", periodic=False)
    consumer._set_signal_handlers = lambda: None
    consumer.start()
    try:
        deadline = time.monotonic() + 20
        while _job(session_factory, job_id).status is not JobStatus.SUCCEEDED and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        consumer.stop(graceful=True)
    assert _job(session_factory, job_id).result == {"counted": 2}


def test_job_page_is_for_its_owner_and_stops_polling_when_done(client, demo, session_factory, db_url):
    with session_factory() as session:
        judge = session.scalar(select(audit.AuditEvent.actor_id).where(audit.AuditEvent.action == "user.created")
                               .order_by(audit.AuditEvent.seq.desc()).limit(1))
    job_id = start_job(session_factory, kind="test.count", params={"n": 1}, by=audit.Actor(judge, "judge60"),
                       database_url=db_url)
    login(client, "judge01", DEMO_PASSWORDS["judge"])
    assert client.get(f"/jobs/{job_id}").status_code == 404
    login(client, "organizer", DEMO_PASSWORDS["organizer"])
    fragment = client.get(f"/jobs/{job_id}", headers={"hx-request": "true"}).text
    assert "已完成" in fragment and "hx-trigger" not in fragment
    with session_factory() as session:
        session.add(Job(kind="test.count", params={}, status=JobStatus.RUNNING, progress=0.4, message="step 2"))
        session.commit()
        running_id = session.scalar(select(Job.id).order_by(Job.id.desc()).limit(1))
    page = client.get(f"/jobs/{running_id}").text
    assert 'hx-trigger="every 1s"' in page and "40%" in page and "step 2" in page
