"""PDF reports read back: Chinese text extracts, the CJK font is embedded, the header names the edition and
run, drafts are watermarked, identities appear only in auditors' reports; reports are background jobs
(every report here is made by the job handler, as in use, and read back from the documents table)."""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import subprocess

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from helpers import csrf_token, login, seal_log
from judging import audit
from judging.audit import AuditEvent, TreeHead
from judging.demo import DEMO_PASSWORDS
from judging.documents import Document
from judging.editions.models import CategoryKey
from judging.jobs import Job, JobStatus, start_job
from judging.reports.jobs import REPORT_JOB
from judging.results import service
from results.factories import ORGANIZER, AUDITOR, demo_ids, make_small_edition

SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # rendering does not depend on the backend
DESIGN = [(n, j, 3 + ((n * 7 + j * 3) % 13) * 0.5) for n in range(8) for j in range(4) if (n + j) % 4 != 3]


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _fonts(pdf: bytes, tmp_path) -> list[list[str]]:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    return [line.split() for line in out.splitlines()[2:]]


def _printed_head(db, report: Document):
    """The chain head a report prints: the latest signed tree head when the job read the report."""
    stored = db.scalars(select(AuditEvent).where(AuditEvent.action == "document.stored",
                                                 AuditEvent.object_id == str(report.id))).one()
    data = json.loads(stored.body)["data"]
    head = db.get(TreeHead, data["chain_length_printed"])
    assert head is not None and data["chain_head_printed"] == head.root_hash
    return audit.ChainHead(head.tree_size, head.root_hash)


def _small_run(db, approve=False):
    made = make_small_edition(db, DESIGN, top_n=3)
    run = service.create_run(db, round_id=made["round"].id, category_id=made["category"].id, method="additive",
                             reps=30, by=ORGANIZER)
    if approve:
        service.approve_run(db, run=run, by=ORGANIZER)
    db.commit()
    return made, run


@pytest.fixture
def make_report(db, session_factory, db_url):
    """A report made by the report job (its own sessions, after ``db`` has committed), read back stored."""
    def make(*, run_id: int, kind: str, audience: str, subject_id: int | None, by) -> Document:
        db.commit()
        seal_log(session_factory)  # as the app's sealer would have: the report prints a real tree head
        job_id = start_job(session_factory, kind=REPORT_JOB, by=by, database_url=db_url,
                           params={"run_id": run_id, "kind": kind, "audience": audience, "subject_id": subject_id})
        with session_factory() as session:
            job = session.get(Job, job_id)
            assert job.status is JobStatus.SUCCEEDED, job.error
            document = session.get(Document, job.result["report_id"])
            assert document.content.startswith(b"%PDF")  # loaded while the session is open
            return document

    return make


@SQLITE_ONLY
@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="poppler-utils not installed")
def test_ranking_report_is_chinese_with_embedded_cjk_font_header_page_numbers_and_draft_mark(db, tmp_path, make_report):
    made, run = _small_run(db)
    report = make_report(run_id=run.id, kind="ranking", audience="committee", subject_id=None, by=ORGANIZER)
    head = _printed_head(db, report)
    text = _text(report.content)
    assert "排名报告" in text and "十大科技成果" in text and made["edition"].name in text
    assert "草稿 / DRAFT" in text and report.details["draft"]
    assert f"#{run.id}" in text and "第 1 页 / 共" in text
    assert head.hash in text.replace("\n", "")  # the audit chain head at the time of the report
    assert all(e.code in text for e in run.entries)
    assert "双因素模型" in text  # the additive method explained in a paragraph
    assert "<svg" not in text  # the rank-interval chart is drawn, not printed as markup
    fonts = _fonts(report.content, tmp_path)
    assert any("CJK" in row[0] for row in fonts)
    assert all(row[-5] == "yes" for row in fonts)  # every font embedded (column "emb")
    # No judge is named in the committee's report.
    assert not [e.name for e in made["experts"] if e.name in text]


@SQLITE_ONLY
def test_audit_report_of_an_approved_run_prints_digests_chain_head_and_signature_lines(db, session_factory, db_url,
                                                                                   make_report):
    made, run = _small_run(db, approve=True)
    db.commit()  # the recompute job works in its own transactions
    recompute = start_job(session_factory, kind="results.recompute", by=AUDITOR, database_url=db_url,
                          params={"run_id": run.id})
    assert db.get(Job, recompute).status is JobStatus.SUCCEEDED
    report = make_report(run_id=run.id, kind="audit", audience="committee", subject_id=None, by=AUDITOR)
    head = _printed_head(db, report)
    text = _text(report.content).replace("\n", "")
    assert "审计报告" in text and "草稿" not in text and not report.details["draft"]
    for value in (run.input_digest, run.output_digest, run.calibration_digest, head.hash):
        assert value in text
    assert "签字及日期" in text and "已回避的利益冲突" in text and "复核计算记录" in text
    assert re.search(r"审计链长度\s*" + str(head.length), text)


@SQLITE_ONLY
def test_score_sheets_name_judges_and_inventors_only_for_auditors(db, make_report):
    made, run = _small_run(db)
    target = made["nominations"][0]
    committee = _text(make_report(run_id=run.id, kind="nomination", audience="committee", subject_id=target.id,
                                  by=ORGANIZER).content)
    auditor = _text(make_report(run_id=run.id, kind="nomination", audience="auditor", subject_id=target.id,
                                by=AUDITOR).content)
    names = [e.name for e in made["experts"]]
    inventor = target.identity.inventors[0]
    assert "项目评分表" in committee and "测试成果01" in committee
    assert not [n for n in names if n in committee] and inventor not in committee
    assert [n for n in names if n in auditor] and inventor in auditor
    judge_sheet = _text(make_report(run_id=run.id, kind="judge", audience="committee",
                                    subject_id=made["experts"][1].id, by=ORGANIZER).content)
    assert "评委评分汇总" in judge_sheet and "宽严度" in judge_sheet and "J02" in judge_sheet


def test_reports_are_generated_in_the_background_and_listed(client, demo, session_factory):
    with session_factory() as session:
        round_id, category_id = demo_ids(session, CategoryKey.SUGGESTION)
        run = service.create_run(session, round_id=round_id, category_id=category_id, method="mean", reps=20,
                                 by=ORGANIZER)
        session.commit()
        expert_id = run.judges[0].expert_id
    login(client, "organizer", DEMO_PASSWORDS["organizer"])
    token = csrf_token(client, f"/results/runs/{run.id}/reports")
    refused = client.post(f"/results/runs/{run.id}/reports",
                          data={"_csrf_token": token, "kind": "judge", "audience": "auditor"})
    assert refused.status_code == 404  # identities in reports: auditors only
    response = client.post(f"/results/runs/{run.id}/reports", follow_redirects=False,
                           data={"_csrf_token": token, "kind": "judge", "audience": "committee",
                                 "subject_id": str(expert_id)})
    assert response.headers["location"].startswith("/jobs/")
    with session_factory() as session:
        job = session.scalars(select(Job).order_by(Job.id.desc())).first()
        assert job.status is JobStatus.SUCCEEDED, job.error
        report = session.scalars(select(Document).where(Document.subject_type == "result_run")).one()
        assert (report.kind, report.subject_type, report.subject_id) == ("judge_report", "result_run", run.id)
        stored = session.scalars(select(AuditEvent).where(AuditEvent.action == "document.stored",
                                                          AuditEvent.object_id == str(report.id))).one()
        assert (json.loads(stored.body)["data"]["sha256"], stored.actor_id) == (report.sha256, job.created_by_id)
        report_id = report.id
    listing = client.get(f"/results/runs/{run.id}/reports").text
    assert f"/results/reports/{report_id}" in listing and "草稿" in listing and report.sha256[:16] in listing
    pdf = client.get(f"/results/reports/{report_id}")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert pdf.headers["x-content-sha256"] == report.sha256 == hashlib.sha256(pdf.content).hexdigest()
    login(client, "judge01", DEMO_PASSWORDS["judge"])
    assert client.get(f"/results/reports/{report_id}").status_code == 404


@SQLITE_ONLY
def test_every_report_names_the_runs_aggregation_rule_in_words(db, make_report):
    made = make_small_edition(db, DESIGN, top_n=3)
    run = service.create_run(db, round_id=made["round"].id, category_id=made["category"].id, method="trimmed_mean",
                             reps=30, by=ORGANIZER)
    rule = "截尾平均（≥5 个评分时去掉一个最高分和一个最低分）"
    for kind, subject in (("ranking", None), ("audit", None), ("nomination", made["nominations"][0].id)):
        report = make_report(run_id=run.id, kind=kind, audience="auditor", subject_id=subject, by=AUDITOR)
        assert rule in _text(report.content).replace("\n", ""), kind


@SQLITE_ONLY
def test_score_sheet_reports_show_the_grade_chosen_beside_its_number(db, demo, make_report):
    round_id, category_id = demo_ids(db, CategoryKey.ACHIEVEMENT)
    run = service.create_run(db, round_id=round_id, category_id=category_id, method="mean", reps=30,
                             confirm_incomplete=True, by=ORGANIZER)  # the demo judges' submitted achievements
    graded = next(row for row in run.inputs["sheets"] if row.get("grades"))
    grade, value = graded["grades"]["1"], graded["values"]["1"]
    for kind in ("nomination", "judge"):
        report = make_report(run_id=run.id, kind=kind, audience="committee", subject_id=None, by=ORGANIZER)
        text = _text(report.content)
        assert f"{grade} {value.rstrip('0').rstrip('.')}" in text, kind
