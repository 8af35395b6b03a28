"""The auditor's integrity report: favouritism by city, employer group and industry in an unblinded run,
made by its job, stored as an audited document, read back from the PDF; auditors only; the expert's record."""

from __future__ import annotations

import io
import json
import random

import pytest
from helpers import login
from pypdf import PdfReader
from results.factories import AUDITOR, ORGANIZER, make_small_edition
from sqlalchemy import select

from judging.accounts.models import Role, User
from judging.accounts.passwords import hash_password
from judging.audit import AuditEvent
from judging.documents import Document
from judging.integrity import analysis, record
from judging.integrity.jobs import INTEGRITY_JOB
from judging.jobs import Job, JobStatus, start_job
from judging.results import service

SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
CITIES = ("南京", "苏州", "无锡")


def _design():
    """24 nominations, 8 judges, 5 judges each; judge 0 adds 3 points (of 10) to nominations of his city."""
    rng = random.Random(7)
    rows = []
    for n in range(24):
        base = rng.uniform(3, 6)
        for j in [(n + k) % 8 for k in range(5)]:
            value = base + (j % 4 - 1.5) * 0.4 + rng.gauss(0, 0.6)
            if j == 0 and n % 3 == 0:  # judge 0 and the nominations of his city
                value += 3
            rows.append((n, j, min(10.0, max(0.0, round(value * 2) / 2))))
    return rows


def _unblinded_run(db):
    made = make_small_edition(db, _design(), top_n=3)
    for i, nomination in enumerate(made["nominations"]):
        nomination.identity.city = CITIES[i % 3]
        nomination.identity.industry = "电力" if i % 2 else "化工"
    for j, expert in enumerate(made["experts"]):
        expert.city = CITIES[j % 3]
        expert.industry = "电力" if j % 2 else "化工"
    db.flush()
    run = service.create_run(db, round_id=made["round"].id, category_id=made["category"].id, method="additive",
                             reps=20, by=ORGANIZER)
    service.approve_run(db, run=run, by=ORGANIZER)
    db.commit()
    return made, run


def test_the_analysis_finds_the_judge_who_favours_his_city_and_states_what_was_tested(db):
    made, run = _unblinded_run(db)
    found = analysis.analyse_run(db, run)
    city = found["dimensions"]["city"]
    assert city["tested"] and city["n_affine"] > 0
    assert city["ci"][0] < city["effect"] < city["ci"][1]
    assert [f["expert"] for f in city["flagged"]] == [made["experts"][0].id]
    flag = city["flagged"][0]
    assert flag["bonus"] > 15  # totals are on 0–100: 3 points of 10
    assert all(r["difference"] > 0 for r in flag["rows"]) and flag["rows"][0]["n_panel"] == 4
    # nobody shares an employer or group: not tested, and the reason says so
    group = found["dimensions"]["employer_group"]
    assert not group["tested"] and group["n_affine"] == 0 and "own group" in group["reason"]
    assert found["dimensions"]["industry"]["tested"]


@SQLITE_ONLY
def test_the_report_needs_unblinding_is_made_by_its_job_stored_audited_and_read_back(db, session_factory,
                                                                                    db_url, client):
    made, run = _unblinded_run(db)
    job_id = start_job(session_factory, kind=INTEGRITY_JOB, by=AUDITOR, database_url=db_url,
                       params={"run_id": run.id})
    assert db.get(Job, job_id).status is JobStatus.FAILED  # approved but not unblinded yet
    service.unblind(db, run=run, reason="审计需要", by=ORGANIZER)
    db.commit()
    job_id = start_job(session_factory, kind=INTEGRITY_JOB, by=AUDITOR, database_url=db_url,
                       params={"run_id": run.id})
    db.expire_all()
    job = db.get(Job, job_id)
    assert job.status is JobStatus.SUCCEEDED, job.error
    document = db.get(Document, job.result["report_id"])
    assert document.subject_type == "integrity_run" and document.kind == "integrity_report"
    assert document.details["flags"][0]["expert"] == made["experts"][0].id
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(document.content)).pages).replace("\n", "")
    assert "诚信报告" in text and "专家00" in text and "同一城市" in text
    assert "不是对不当行为的认定" in text  # no accusation: what it is and is not
    stored = db.scalars(select(AuditEvent).where(AuditEvent.action == "document.stored")).all()
    assert json.loads(stored[-1].body)["data"]["kind"] == "integrity_report"
    # the expert's record carries the listing
    assert record.expert_record(db, made["experts"][0].id)["flags"][0]["dimension"] == "city"
    # only auditors see the page and the PDF; organizers get 404/403
    for username, role in (("org-i", Role.ORGANIZER), ("aud-i", Role.AUDITOR)):
        db.add(User(username=username, display_name=username, role=role, password_hash=hash_password("pw-123456789")))
    db.commit()
    run_id, document_id, sha = run.id, document.id, document.sha256
    db.close()  # no session of the test may hold SQLite's lock while the app writes
    login(client, "org-i", "pw-123456789")
    assert f'href="/integrity/runs/{run_id}"' not in client.get(f"/results/runs/{run_id}").text
    assert client.get(f"/integrity/runs/{run_id}").status_code in (403, 404)
    assert client.get(f"/integrity/reports/{document_id}").status_code in (403, 404)
    assert client.get(f"/results/reports/{document_id}").status_code == 404
    client.cookies.clear()
    login(client, "aud-i", "pw-123456789")
    assert f'href="/integrity/runs/{run_id}"' in client.get(f"/results/runs/{run_id}").text  # the way there
    page = client.get(f"/integrity/runs/{run_id}")
    assert page.status_code == 200 and "专家00" in page.text and "integrity-summary" in page.text
    pdf = client.get(f"/integrity/reports/{document_id}")
    assert pdf.status_code == 200 and pdf.headers["X-Content-SHA256"] == sha
