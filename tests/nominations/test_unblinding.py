"""Unblinding has one home (judging.results.service.unblind): only after approval, by an organizer,
naming the reason, audited; auditors read identities at any time; nobody else can trigger it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from helpers import csrf_token, login
from judging.audit.models import AuditEvent
from judging.demo import DEMO_PASSWORDS
from judging.editions.models import CategoryKey
from judging.errors import Conflict, JudgingError
from judging.nominations.models import NominationIdentity
from judging.results import service
from judging.results.models import Unblinding
from results.factories import ORGANIZER, demo_ids


def _run(session_factory, *, approve: bool) -> int:
    with session_factory() as session:
        round_id, category_id = demo_ids(session, CategoryKey.OPERATING_METHOD)
        run = service.create_run(session, round_id=round_id, category_id=category_id, method="mean", reps=20,
                                 by=ORGANIZER)
        if approve:
            service.approve_run(session, run=run, by=ORGANIZER)
        session.commit()
        return run.id


def _unblindings(session_factory) -> int:
    """Unblindings of the demo's 2026 category (its 2025 edition has its own)."""
    with session_factory() as session:
        _round_id, category_id = demo_ids(session, CategoryKey.OPERATING_METHOD)
        return session.scalar(select(func.count()).select_from(Unblinding).where(Unblinding.category_id == category_id))


def test_unblinding_needs_approval_and_a_reason_and_happens_once(session_factory, demo):
    with session_factory() as session:
        round_id, category_id = demo_ids(session, CategoryKey.OPERATING_METHOD)
        run = service.create_run(session, round_id=round_id, category_id=category_id, method="mean", reps=20,
                                 by=ORGANIZER)
        with pytest.raises(Conflict):
            service.unblind(session, run=run, reason="想先看看", by=ORGANIZER)
        service.approve_run(session, run=run, by=ORGANIZER)
        with pytest.raises(JudgingError):
            service.unblind(session, run=run, reason="   ", by=ORGANIZER)
        service.unblind(session, run=run, reason="结果已批准，准备公示", by=ORGANIZER)
        with pytest.raises(Conflict):
            service.unblind(session, run=run, reason="再次揭盲", by=ORGANIZER)
        session.commit()
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "result_run.unblinded",
                                                         AuditEvent.object_id == str(run.id))).one()
        assert "结果已批准，准备公示" in event.body.decode() and event.actor == ORGANIZER.label
        assert service.may_see_identities(session, run=run, role="organizer")


def test_through_the_app_only_the_organizer_unblinds_an_approved_run(client, demo, session_factory):
    draft = _run(session_factory, approve=False)
    login(client, "organizer", DEMO_PASSWORDS["organizer"])
    token = csrf_token(client, f"/results/runs/{draft}")
    refused = client.post(f"/results/runs/{draft}/unblind", data={"_csrf_token": token, "confirmed": "1", "reason": "提前"},
                          follow_redirects=False)
    assert refused.status_code == 302 and "error=" in refused.headers["location"]  # shown on the run's page
    assert _unblindings(session_factory) == 0

    client.cookies.clear()
    login(client, "auditor", DEMO_PASSWORDS["auditor"])
    with session_factory() as session:
        identity = session.scalar(select(NominationIdentity).limit(1))
    # Auditors read identities at any time, before any unblinding, read-only.
    assert identity.employer in client.get(f"/auditor/nominations/{identity.nomination_id}").text
    token = csrf_token(client, "/auditor/nominations/")
    assert client.post(f"/results/runs/{draft}/unblind", data={"_csrf_token": token, "confirmed": "1", "reason": "x"},
                       follow_redirects=False).status_code == 404

    client.cookies.clear()
    login(client, "judge01", DEMO_PASSWORDS["judge"])
    token = csrf_token(client, "/judge")
    assert client.post(f"/results/runs/{draft}/unblind", data={"_csrf_token": token, "confirmed": "1", "reason": "x"},
                       follow_redirects=False).status_code == 404
    assert _unblindings(session_factory) == 0
