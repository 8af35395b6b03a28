"""Background jobs on huey: start a job, report progress, recover jobs whose worker died.

huey keeps the queue (SQLite file for the embedded set-up, Redis in production), so a queued job
survives restarts; our ``jobs`` table keeps what users see (status, progress, result, error).

The job system of a process is configured once, by whoever starts the process (the app, the worker,
the CLI: see ``judging.parts``), with its settings and the handler of every job kind. A handler is
marked with ``@job_kind`` where it is defined; marking registers nothing, the parts list does.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from judging import audit
from judging.db import create_db_engine, make_session_factory
from judging.db.base import utcnow
from judging.errors import JudgingError, N_, NotFound
from judging.jobs.models import Job, JobStatus
from judging.settings import Settings

STALE_BEATS = 6  # missed heartbeats after which a running job's worker is taken for dead
PROGRESS_INTERVAL_SECONDS = 0.5


@dataclass(frozen=True)
class JobKind:
    name: str
    run: Callable[[JobContext, dict[str, Any]], dict[str, Any] | None]
    # A resumable job is idempotent: if its worker dies it is queued again instead of failed.
    resumable: bool = False


def job_kind(name: str, *, resumable: bool = False):
    """Mark ``fn(ctx, params) -> result`` as the handler of jobs of kind ``name`` (``judging.parts`` lists it)."""

    def mark(fn):
        fn.job_kind = JobKind(name, fn, resumable)
        return fn

    return mark


def kinds_in(module) -> list[JobKind]:
    """The job kinds whose handlers ``module`` defines (marked with ``@job_kind``)."""
    return [value.job_kind for value in vars(module).values() if isinstance(getattr(value, "job_kind", None), JobKind)]


@dataclass(frozen=True)
class PeriodicTask:
    """Work every consumer runs once a minute (the mail relay), with the process's sessions and settings."""

    name: str
    run: Callable[[sessionmaker[Session], Settings], None]


class JobsNotConfigured(RuntimeError):
    """A job was started or run before the process configured its job system."""


@dataclass
class _Configuration:
    settings: Settings
    kinds: dict[str, JobKind]
    huey: Huey
    task: Callable[..., Any]


_CONFIGURATION: _Configuration | None = None


def configure(settings: Settings, kinds: Iterable[JobKind], periodic: Iterable[PeriodicTask] = ()) -> None:
    """Set this process's job queue and handlers (again: a test or a new app may configure anew)."""
    global _CONFIGURATION
    huey = make_huey(settings)
    table = {kind.name: kind for kind in kinds}
    for task in periodic:
        huey.periodic_task(crontab(), name=task.name)(_periodic_runner(task, settings))
    _CONFIGURATION = _Configuration(settings, table, huey, huey.task(name="judging.run_job")(_run_job_by_url))


def _configuration() -> _Configuration:
    if _CONFIGURATION is None:
        raise JobsNotConfigured("the job system is not configured: the app, the worker and the CLI configure it "
                                "from judging.parts before any job starts")
    return _CONFIGURATION


class JobContext:
    """What a running job gets: a session factory for its own transactions, the settings, progress, and the
    actor who started it (the job's audit events are written as that actor)."""

    def __init__(self, job_id: int, session_factory: sessionmaker[Session], settings: Settings, actor: audit.Actor):
        self.job_id = job_id
        self.session_factory = session_factory
        self.settings = settings  # the process's settings, for handlers that need them (time zone, var folder)
        self.actor = actor
        self._last_report = 0.0

    def progress(self, fraction: float, message: str = "", *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_report < PROGRESS_INTERVAL_SECONDS:
            return
        self._last_report = now
        with self.session_factory() as session:
            session.execute(update(Job).where(Job.id == self.job_id).values(
                progress=max(0.0, min(1.0, fraction)), message=message[:300], heartbeat_at=utcnow()))
            session.commit()


def get_huey() -> Huey:
    return _configuration().huey


def make_huey(settings: Settings) -> Huey:
    if settings.jobs_backend == "redis":
        return RedisHuey("judging", url=settings.redis_url)
    if settings.jobs_backend == "immediate":
        return MemoryHuey("judging", immediate=True)
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("judging", filename=str(settings.var_dir / "huey.sqlite3"))


@functools.cache
def _worker_session_factory(database_url: str) -> sessionmaker[Session]:
    return make_session_factory(create_db_engine(database_url))


def _run_job_by_url(job_id: int, database_url: str) -> None:
    run_job(job_id, _worker_session_factory(database_url))


def _periodic_runner(task: PeriodicTask, settings: Settings) -> Callable[[], None]:
    def run() -> None:
        task.run(_worker_session_factory(settings.database_url), settings)

    run.__name__ = task.name.replace(".", "_")
    return run


def dispatch(job_id: int, database_url: str) -> None:
    """Hand a committed job to the queue (in immediate mode it runs now, in this thread)."""
    _configuration().task(job_id, database_url)


class EmbeddedConsumer(Consumer):
    """A huey consumer running as threads inside `judging serve` (the embedded, single-box set-up).

    It leaves signal handling to the ASGI server, which stops it on shutdown.
    """

    def _set_signal_handlers(self) -> None:
        pass


def make_consumer(*, workers: int = 1, embedded: bool = False) -> Consumer:
    consumer_class = EmbeddedConsumer if embedded else Consumer
    return consumer_class(get_huey(), workers=workers, worker_type="thread", periodic=True)


def start_job(session_factory: sessionmaker[Session], *, kind: str, params: dict[str, Any], by: audit.Actor,
              database_url: str) -> int:
    """Record a job (audited) in its own transaction, then queue it; returns its id.

    The actor travels in the params (``by_id``, ``by_label``), so the job reaches its handler as ``ctx.actor``."""
    if kind not in _configuration().kinds:
        raise JudgingError(N_("Unknown job kind {kind}."), kind=kind)
    params = {**params, "by_id": by.id, "by_label": by.label}
    with session_factory() as session:
        job = Job(kind=kind, params=params, created_by_id=by.id, message="")
        session.add(job)
        session.flush()
        audit.append(session, actor=by, action="job.queued", object_type="job", object_id=job.id,
                     data={"kind": kind, "params": params})
        session.commit()
        job_id = job.id
    dispatch(job_id, database_url)
    return job_id


def _heartbeat(stop: threading.Event, job_id: int, session_factory) -> None:
    while not stop.wait(_configuration().settings.job_heartbeat_seconds):
        with session_factory() as session:
            session.execute(update(Job).where(Job.id == job_id).values(heartbeat_at=utcnow()))
            session.commit()


def run_job(job_id: int, session_factory: sessionmaker[Session]) -> None:
    """Run one job to the end; any exception marks it failed with the error kept for the page."""
    with session_factory() as session:
        job = session.get(Job, job_id)
        if job is None or job.status not in (JobStatus.QUEUED,):
            return
        job.status, job.started_at, job.heartbeat_at = JobStatus.RUNNING, utcnow(), utcnow()
        job.attempts += 1
        kind, params = _configuration().kinds.get(job.kind), dict(job.params)
        session.commit()
    stop = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(stop, job_id, session_factory), daemon=True)
    beat.start()
    try:
        if kind is None:
            raise JudgingError(N_("Unknown job kind {kind}."), kind=job.kind)
        # A job recorded without its actor (a row written directly, not through start_job) runs as the system.
        by_id, by_label = params.pop("by_id", None), params.pop("by_label", None)
        actor = audit.Actor(by_id, by_label) if by_label is not None else audit.Actor.system()
        result = kind.run(JobContext(job_id, session_factory, _configuration().settings, actor), params) or {}
        values = dict(status=JobStatus.SUCCEEDED, progress=1.0, result=result)
    except Exception as exc:  # noqa: BLE001 (any failure must end the job, not the worker)
        message = str(exc) if isinstance(exc, JudgingError) else f"{type(exc).__name__}: {exc}"
        values = dict(status=JobStatus.FAILED, error=message[:2000] + "\n" + traceback.format_exc()[-4000:]
                      if not isinstance(exc, JudgingError) else message)
        if isinstance(exc, JudgingError):  # the page shows the refusal in the reader's language
            values["result"] = {"refusal": {"message": exc.message,
                                            "params": {k: str(v) for k, v in exc.params.items()}}}
    finally:
        stop.set()
    with session_factory() as session:
        session.execute(update(Job).where(Job.id == job_id).values(finished_at=utcnow(), **values))
        session.commit()


def recover_interrupted(session_factory: sessionmaker[Session], *, database_url: str,
                        now: dt.datetime | None = None) -> list[int]:
    """Jobs left 'running' by a dead worker: queue resumable ones again, fail the others.

    Called when a worker starts. A job is only touched when its heartbeat is stale, so a job
    another live worker is running is left alone.
    """
    now = now or utcnow()
    configuration = _configuration()
    stale_after = dt.timedelta(seconds=STALE_BEATS * configuration.settings.job_heartbeat_seconds)
    requeue: list[int] = []
    with session_factory() as session:
        stale = session.scalars(select(Job).where(Job.status == JobStatus.RUNNING,
                                                  Job.heartbeat_at < now - stale_after)).all()
        for job in stale:
            kind = configuration.kinds.get(job.kind)
            if kind is not None and kind.resumable:
                job.status, job.message = JobStatus.QUEUED, "resumed after the worker stopped"
                requeue.append(job.id)
            else:
                job.status, job.finished_at = JobStatus.FAILED, now
                job.error = "interrupted: the worker stopped while the job ran; start it again"
            audit.append(session, actor=audit.Actor.system("worker"), action="job.recovered", object_type="job",
                         object_id=job.id, data={"status": job.status.value})
        session.commit()
    for job_id in requeue:
        dispatch(job_id, database_url)
    return [job.id for job in stale]


def get_job(session: Session, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound("job")
    return job
