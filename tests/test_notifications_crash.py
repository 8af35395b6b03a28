"""A mail worker killed in the middle of a delivery: after the restart every message has gone out exactly once."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from judging import audit
from judging.audit.models import AuditEvent
from judging.jobs import Job
from judging.jobs.service import _run_job_by_url, make_huey
from judging.notifications import DeliveryStatus, Notification, email_to, queue
from judging.settings import Settings, install
from mailserver import smtp_server

pytestmark = [pytest.mark.slow, pytest.mark.backend_sensitive]  # durability after a crash
JUDGING = str(Path(sys.executable).parent / "judging")
LEASE_SECONDS = 2


def _worker(db_url: str, var_dir: Path, smtp_url: str) -> subprocess.Popen:
    """`judging worker` as an operator runs it, with a short claim lease and heartbeat so the test is quick."""
    env = {**os.environ, "JUDGING_DATABASE_URL": db_url, "JUDGING_VAR_DIR": str(var_dir),
           "JUDGING_JOBS_BACKEND": "sqlite", "JUDGING_JOB_HEARTBEAT_SECONDS": "0.5", "JUDGING_SMTP_URL": smtp_url,
           "JUDGING_MAIL_LEASE_SECONDS": str(LEASE_SECONDS)}
    log = (var_dir / "worker.log").open("ab")
    return subprocess.Popen([JUDGING, "worker", "--workers", "1"], env=env, stdout=log, stderr=subprocess.STDOUT)


def _statuses(session_factory) -> dict[str, DeliveryStatus]:
    with session_factory() as session:
        return dict(session.execute(select(Notification.address, Notification.status)).all())


def test_a_worker_killed_mid_delivery_sends_each_message_exactly_once(db_url, session_factory, tmp_path, settings):
    addresses = ["judge1@example.org", "judge2@example.org", "hold@example.org", "judge3@example.org",
                 "judge4@example.org", "judge5@example.org"]
    with smtp_server() as (inbox, smtp_url):
        install(dataclasses.replace(settings, smtp_url=smtp_url))
        inbox.hold = "hold@example.org"  # the server stalls on this recipient: the worker is killed there
        with session_factory() as session:
            queued = queue(session, event="objection_received", to=[email_to(a) for a in addresses],
                           by=audit.Actor.system("system"), category="十大科技成果", candidate="测试", link="/")
            job = Job(kind="notifications.deliver", params={})
            session.add(job)
            session.commit()
            expected = sorted(message.message_id for message in queued)
            job_id = job.id
        enqueue = make_huey(Settings(database_url=db_url, var_dir=tmp_path, jobs_backend="sqlite")) \
            .task(name="judging.run_job")(_run_job_by_url)
        enqueue(job_id, db_url)

        worker = _worker(db_url, tmp_path, smtp_url)
        try:
            assert inbox.holding.wait(60), (tmp_path / "worker.log").read_text()
            assert len(inbox.messages) == 2 and _statuses(session_factory)["hold@example.org"] is DeliveryStatus.SENDING
            worker.send_signal(signal.SIGKILL)  # dies in the SMTP conversation of the third message
            worker.wait(timeout=10)
            inbox.release.set()
            time.sleep(4)  # past the claim's lease and six missed job heartbeats of 0.5 s
            worker = _worker(db_url, tmp_path, smtp_url)
            deadline = time.monotonic() + 90
            while set(_statuses(session_factory).values()) != {DeliveryStatus.SENT} and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            worker.kill()
            worker.wait(timeout=10)
    assert set(_statuses(session_factory).values()) == {DeliveryStatus.SENT}, (tmp_path / "worker.log").read_text()
    received = inbox.message_ids()
    assert sorted(received) == expected  # each message once: none lost, none twice
    with session_factory() as session:
        delivered = session.scalar(select(func.count()).where(AuditEvent.action == "notification.delivered"))
        attempts = dict(session.execute(select(Notification.address, Notification.attempts)).all())
        assert audit.verify(session).valid
    assert delivered == len(addresses)
    assert attempts["hold@example.org"] == 2 and attempts["judge1@example.org"] == 1
