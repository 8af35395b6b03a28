"""The notice pages: the public reads a notice, downloads it (PDF and XLSX read back) and objects; the
organizer runs objections and records the approval; the auditor reads; nothing private leaks."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import shutil
import sqlite3
import subprocess

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from helpers import csrf_token, login
from judging import documents
from judging.accounts import Role, add_user
from judging.audit.models import AuditEvent
from judging.notices import service
from judging.notices.models import CommitteeApproval, Notice, Objection, ObjectionStatus
from judging.awards.models import Publication
from tests.notices.factories import at_notice_stage
from tests.results.factories import ORGANIZER

PASSWORD = "Gongshi-Secret-2030"
OBJECTION = {"name": "钱进", "employer": "苏州纺织机械有限公司", "phone": "0512-66881234",
             "grounds": "该成果已于往年获奖，不应重复申报。"}


def _at_notice_stage_with_staff(session_factory) -> dict:
    with session_factory() as session:
        world = at_notice_stage(session)
        for username, role in (("office", Role.ORGANIZER), ("inspector", Role.AUDITOR)):
            add_user(session, username=username, password=PASSWORD, role=role, by=ORGANIZER)
        session.commit()
        return {"category_id": world["category"].id, "nominations": [n.id for n in world["nominations"]],
                "secrets": [s for n in world["nominations"] for s in
                            (n.identity.contact_phone, n.identity.contact_email, *n.identity.patents, n.body)]}


def _publish(client, category_id: int):
    login(client, "office", PASSWORD)
    token = csrf_token(client, "/organizer/notices/")
    return _post(client, f"/organizer/notices/categories/{category_id}/publish", days="7", _csrf_token=token)


@pytest.fixture
def world(client, session_factory):
    """A category at the notice stage with its list published today by the organizer (its PDF made by the job
    queued after the publication committed), and an organizer and an auditor; the client is logged out."""
    world = _at_notice_stage_with_staff(session_factory)
    assert _publish(client, world["category_id"]).status_code in (302, 303)
    client.cookies.clear()
    with session_factory() as session:
        world["notice_id"] = service.current_notice(session, category_id=world["category_id"]).id
    return world


def _count(session_factory, model) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(model))


def _file(client, world, **fields):
    path = f"/public/notices/{world['notice_id']}"
    client.get(path)  # sets the CSRF cookie (the page has no form once the period is over)
    data = {"nomination_id": str(world["nominations"][1]), **OBJECTION, **fields,
            "_csrf_token": client.cookies["csrftoken"]}
    return client.post(f"{path}/objections", data=data, follow_redirects=False)


def _post(client, path: str, **data):
    # Irreversible actions ask for confirmation first (tests/test_confirmations.py); these tests confirm at once.
    return client.post(path, data={"confirmed": "1", **data}, follow_redirects=False)


def test_anyone_reads_the_notice_and_files_a_real_name_objection(client, world, session_factory):
    index = client.get("/public/notices/")
    assert index.status_code == 200 and "十大科技成果" in index.text
    page = client.get(f"/public/notices/{world['notice_id']}")
    assert page.status_code == 200
    assert "测试成果01" in page.text and "王一00" in page.text and "测试单位00有限公司" in page.text
    assert [s for s in world["secrets"] if s and s in page.text] == []
    response = _file(client, world)
    assert response.status_code in (302, 303)
    assert "已收到" in client.get(response.headers["location"]).text
    with session_factory() as session:
        objection = session.scalars(select(Objection)).one()
        assert (objection.name, objection.phone, objection.status) == ("钱进", "0512-66881234",
                                                                       ObjectionStatus.RECEIVED)
        assert objection.client_address  # kept for the per-address limit
    # The objector's name and phone are not public.
    page = client.get(f"/public/notices/{world['notice_id']}").text
    assert "0512-66881234" not in page and "钱进" not in page


@pytest.mark.parametrize("fields, reason", [({"name": ""}, "异议须实名提出"),
                                            ({"phone": ""}, "匿名异议不予受理"),
                                            ({"grounds": ""}, "请写明异议理由"),
                                            ({"nomination_id": "999999"}, "请选择异议所针对的本次公示对象")])
def test_an_anonymous_or_incomplete_objection_is_refused_with_the_reason_and_the_form_kept(
        client, world, session_factory, fields, reason):
    response = _file(client, world, **fields)
    assert response.status_code == 400
    assert reason in response.text and OBJECTION["employer"] in response.text  # the form as typed
    assert _count(session_factory, Objection) == 0


def test_a_late_objection_is_refused(client, world, session_factory):
    with session_factory() as session:
        notice = session.get(Notice, world["notice_id"])
        notice.starts_on, notice.ends_on = dt.date(2020, 1, 1), dt.date(2020, 1, 7)
        session.commit()
    assert "逾期异议不予受理" in client.get(f"/public/notices/{world['notice_id']}").text  # no form
    response = _file(client, world)
    assert response.status_code == 400 and "公示期已于2020-01-07结束，逾期异议不予受理" in response.text
    assert _count(session_factory, Objection) == 0


def test_an_objection_without_the_csrf_token_or_too_large_is_refused(client, world, session_factory):
    path = f"/public/notices/{world['notice_id']}/objections"
    client.get(f"/public/notices/{world['notice_id']}")
    assert client.post(path, data={"nomination_id": str(world["nominations"][0]), **OBJECTION}).status_code == 403
    token = client.cookies["csrftoken"]
    huge = client.post(path, data={"nomination_id": str(world["nominations"][0]), **OBJECTION,
                                   "grounds": "理" * 40000, "_csrf_token": token})
    assert huge.status_code == 413
    assert _count(session_factory, Objection) == 0
    assert client.get("/public/notices/999999").status_code == 404
    assert client.post("/public/notices/999999/objections", data={"_csrf_token": token}).status_code == 404


def test_the_pdf_is_chinese_with_an_embedded_cjk_font_and_its_issuer(client, world, tmp_path):
    response = client.get(f"/public/notices/{world['notice_id']}/notice.pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text().replace("\n", "") for page in PdfReader(io.BytesIO(response.content)).pages)
    for expected in ("拟表彰名单公示", "十大科技成果", "测试成果01", "王一00", "合作者00", "测试单位00有限公司",
                     "南京", "公示期", "发布单位", "监督电话", "匿名或逾期提出的异议不予受理"):
        assert expected in text, expected
    assert "审计链末端" not in text  # the chain head is for auditors, not the public (issue 20)
    assert "测试成果04" not in text  # not a candidate
    if shutil.which("pdffonts"):
        path = tmp_path / "notice.pdf"
        path.write_bytes(response.content)
        rows = [line.split() for line in subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                                                         check=True).stdout.splitlines()[2:]]
        assert any("CJK" in row[0] for row in rows) and all(row[-5] == "yes" for row in rows)


def test_the_xlsx_lists_the_candidates_and_the_notices_facts(client, world):
    response = client.get(f"/public/notices/{world['notice_id']}/notice.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["公示名单", "公示"]
    rows = list(book["公示名单"].iter_rows(values_only=True))
    assert rows[0] == ("名次", "项目名称", "第一完成人", "完成人", "工作单位", "城市", "类别", "推荐五一劳动奖章")
    assert rows[1] == (1, "测试成果01", "王一00", "王一00、合作者00", "测试单位00有限公司", "南京", "十大科技成果", "是")
    assert len(rows) == 4
    facts = dict(book["公示"].iter_rows(values_only=True))
    pdf = client.get(f"/public/notices/{world['notice_id']}/notice.pdf")
    assert facts["版本"] == "1" and facts["PDF SHA-256摘要"] == hashlib.sha256(pdf.content).hexdigest()


def test_publication_commits_without_rendering_then_the_job_stores_the_pdf(client, session_factory, db_url,
                                                                           monkeypatch):
    """The publish request renders nothing; the queued job renders with no transaction open anywhere
    (SQLite's write lock is free) and stores the PDF with its SHA-256; the page says it is being prepared
    until then."""
    from judging.documents import service as documents_service
    from judging.jobs import service as jobs

    world = _at_notice_stage_with_staff(session_factory)
    queued: list[int] = []
    monkeypatch.setattr(jobs, "dispatch", lambda job_id, database_url: queued.append(job_id))  # no worker yet
    renders: list[bool] = []
    real_render = documents_service.render_pdf

    def render_checking_for_open_transactions(template, context):
        renders.append(_no_transaction_open(db_url))
        return real_render(template, context)

    monkeypatch.setattr(documents_service, "render_pdf", render_checking_for_open_transactions)
    assert _publish(client, world["category_id"]).status_code in (302, 303)
    assert renders == [] and len(queued) == 1  # committed without rendering; its PDF is queued
    with session_factory() as session:
        notice = service.current_notice(session, category_id=world["category_id"])
        assert documents.latest_of(session, "notice", notice.id, kind="notice") is None
    page = client.get(f"/public/notices/{notice.id}").text
    assert "PDF正在生成" in page and f"/public/notices/{notice.id}/notice.pdf" not in page
    assert client.get(f"/public/notices/{notice.id}/notice.pdf").status_code == 404
    jobs.run_job(queued[0], session_factory)  # the worker picks it up
    assert renders == [True]
    with session_factory() as session:
        job = session.get(jobs.Job, queued[0])
        assert job.status is jobs.JobStatus.SUCCEEDED, job.error
        document = documents.latest_of(session, "notice", notice.id, kind="notice")
        stored = session.scalars(select(AuditEvent).where(AuditEvent.action == "document.stored")).one()
        assert json.loads(stored.body)["data"]["sha256"] == document.sha256
    pdf = client.get(f"/public/notices/{notice.id}/notice.pdf")
    assert pdf.status_code == 200 and pdf.headers["x-content-sha256"] == document.sha256
    assert hashlib.sha256(pdf.content).hexdigest() == document.sha256
    page = client.get(f"/public/notices/{notice.id}").text
    assert "PDF正在生成" not in page and f"/public/notices/{notice.id}/notice.pdf" in page
    jobs.run_job(queued[0], session_factory)  # a job already run is not run again
    with session_factory() as session:
        assert len(documents.documents_of(session, "notice", notice.id)) == 1


def _no_transaction_open(db_url: str) -> bool:
    """No session of the app holds a transaction: SQLite's write lock can be taken at once, and PostgreSQL
    shows no session idle in a transaction."""
    if db_url.startswith("sqlite"):
        connection = sqlite3.connect(make_url(db_url).database, timeout=0)
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.rollback()
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            connection.close()
    engine = create_engine(make_url(db_url))
    try:
        with engine.connect() as connection:
            return connection.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                          "AND state LIKE 'idle in transaction%'")) == 0
    finally:
        engine.dispose()


def test_the_organizer_reviews_upholds_and_reissues_and_the_auditor_reads(client, world, session_factory):
    assert _file(client, world).status_code in (302, 303)
    with session_factory() as session:
        objection_id = session.scalar(select(Objection.id))
    login(client, "office", PASSWORD)
    page = client.get("/organizer/notices/")
    assert page.status_code == 200 and "0512-66881234" in page.text and "转入核查" in page.text
    token = csrf_token(client, "/organizer/notices/")
    base = f"/organizer/notices/objections/{objection_id}"
    refused = _post(client, f"{base}/decide", outcome="upheld", finding="成立", _csrf_token=token)
    assert refused.status_code == 400 and "请先将异议转入核查" in refused.text
    assert _post(client, f"{base}/review", _csrf_token=token).status_code in (302, 303)
    assert _post(client, f"{base}/decide", outcome="maybe", finding="x", _csrf_token=token).status_code == 400
    assert _post(client, f"{base}/decide", outcome="upheld", finding="经核查，该成果2028年已获奖，异议成立。",
                 _csrf_token=token).status_code in (302, 303)
    replacement = world["nominations"][3]
    assert _post(client, f"{base}/reissue", replacement_id=str(replacement), days="7",
                 _csrf_token=token).status_code in (302, 303)
    for path in (f"{base}/review", f"{base}/decide", f"{base}/reissue"):
        assert _post(client, path.replace(str(objection_id), "999999"), _csrf_token=token).status_code == 404
    with session_factory() as session:
        current = service.current_notice(session, category_id=world["category_id"])
        assert current.version == 2 and replacement in [e.nomination_id for e in current.entries]
        assert world["nominations"][1] not in [e.nomination_id for e in current.entries]
    old = client.get(f"/public/notices/{world['notice_id']}").text
    assert "本版本已被取代" in old and f"/public/notices/{current.id}" in old
    new = client.get(f"/public/notices/{current.id}").text
    assert "因异议成立，名单已调整，公示期重新计算" in new and "测试成果04" in new and "提交异议" in new
    reissued = client.get(f"/public/notices/{current.id}/notice.pdf")  # its PDF made after the reissue committed
    assert reissued.status_code == 200 and "测试成果04" in PdfReader(io.BytesIO(reissued.content)).pages[0].extract_text()
    _post(client, "/logout", _csrf_token=token)
    login(client, "inspector", PASSWORD)
    page = client.get("/organizer/notices/")
    assert page.status_code == 200 and "0512-66881234" in page.text and "经核查，该成果2028年已获奖" in page.text
    assert "转入核查" not in page.text and 'action="/organizer/notices/' not in page.text  # reading only


def test_the_organizer_records_the_approval_and_the_final_list_becomes_public(client, world, session_factory):
    from judging.stages.models import StageKind
    from judging.stages.service import close_stage, open_stage

    with session_factory() as session:
        notice = session.get(Notice, world["notice_id"])
        notice.starts_on, notice.ends_on = dt.date(2020, 1, 1), dt.date(2020, 1, 7)
        session.flush()
        close_stage(session, category_id=world["category_id"], kind=StageKind.PUBLIC_NOTICE, by=ORGANIZER)
        open_stage(session, category_id=world["category_id"], kind=StageKind.APPROVAL, by=ORGANIZER)
        session.commit()
    login(client, "office", PASSWORD)
    token = csrf_token(client, "/organizer/notices/")
    path = f"/organizer/notices/categories/{world['category_id']}/approve"
    missing = _post(client, path, approved_on="2026-01-05", reference="", _csrf_token=token)
    assert missing.status_code == 400 and "请填写审定会议或文件的编号" in missing.text
    assert _count(session_factory, CommitteeApproval) == 0
    today = service.local_date(service.utcnow()).isoformat()
    done = _post(client, path, approved_on=today, reference="苏工〔2030〕5号", _csrf_token=token)
    assert done.status_code in (302, 303)
    overview = client.get("/organizer/notices/").text
    assert "苏工〔2030〕5号" in overview and "到获奖名单页面公开发布" in overview
    # 审定 and publication are two acts: the office publishes the approved list after its confirmation page.
    assert _count(session_factory, Publication) == 0
    confirm = client.get(f"/results/awards/{world['category_id']}/publish")
    assert confirm.status_code == 200 and "王一00" in confirm.text and "苏工〔2030〕5号" in confirm.text
    digest = re.search(r'name="digest" value="([0-9a-f]+)"', confirm.text).group(1)
    published = _post(client, f"/results/awards/{world['category_id']}/publish", digest=digest, _csrf_token=token)
    assert published.status_code in (302, 303)
    assert _count(session_factory, Publication) == 3
    again = _post(client, path, approved_on=today, reference="苏工〔2030〕5号", _csrf_token=token)
    assert again.status_code == 409 and "本类别的审定已经登记" in again.text
    assert _post(client, "/organizer/notices/categories/999999/approve", _csrf_token=token).status_code == 404
    public = client.get("/public/winners").text
    assert "测试成果01" in public and "王一00" in public
    assert "已审定" in client.get("/public/notices/").text


def test_the_organizer_has_a_lost_notice_pdf_made_again_and_the_auditor_cannot(client, world, session_factory):
    with session_factory() as session:  # as if the PDF job had failed: no document stored
        for document in documents.documents_of(session, "notice", world["notice_id"]):
            session.delete(document)
        session.commit()
    login(client, "inspector", PASSWORD)
    token = csrf_token(client, "/organizer/notices/")
    assert "重新生成 PDF" not in client.get("/organizer/notices/").text
    assert _post(client, f"/organizer/notices/{world['notice_id']}/pdf", _csrf_token=token).status_code == 404
    client.cookies.clear()
    login(client, "office", PASSWORD)
    token = csrf_token(client, "/organizer/notices/")
    page = client.get("/organizer/notices/").text
    assert "PDF正在生成" in page and f'action="/organizer/notices/{world["notice_id"]}/pdf"' in page
    made = _post(client, f"/organizer/notices/{world['notice_id']}/pdf", _csrf_token=token)
    assert made.status_code in (302, 303) and made.headers["location"].startswith("/jobs/")
    with session_factory() as session:
        (document,) = documents.documents_of(session, "notice", world["notice_id"])
        assert document.content.startswith(b"%PDF") and hashlib.sha256(document.content).hexdigest() == document.sha256
    assert f'action="/organizer/notices/{world["notice_id"]}/pdf"' not in client.get("/organizer/notices/").text
