"""The relay as queue work: every consumer sends what is due once a minute; the office's "send now" is a job."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from judging.jobs import JobContext, job_kind
from judging.jobs.service import PeriodicTask
from judging.notifications.delivery import deliver_due
from judging.settings import Settings


def _relay(session_factory: sessionmaker[Session], settings: Settings) -> None:
    deliver_due(session_factory, settings=settings)


RELAY = PeriodicTask("notifications.relay", _relay)


# Resumable: a worker killed mid-send leaves a claim that the next run takes over after its lease.
@job_kind("notifications.deliver", resumable=True)
def deliver(ctx: JobContext, params: dict) -> dict:
    report = deliver_due(ctx.session_factory, settings=ctx.settings, limit=int(params.get("limit", 5000)),
                         progress=lambda done: ctx.progress(min(0.99, done / 100), f"{done}"))
    return {"sent": report.sent, "retried": report.retried, "failed": report.failed}
