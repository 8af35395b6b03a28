"""The intake through the real app: quotas page and export, an upload run as a job, the import report,
the list with filters, review, edit, confirm; auditors read-only; the judge's renamed attachments."""

from __future__ import annotations

import csv
import io
import re

from sqlalchemy import select

from helpers import csrf_token, login
from judging.audit.models import AuditEvent
from judging.demo import DEMO_PASSWORDS, DEMO_TARGET
from judging.nominations.attachments import sanitize
from judging.nominations.models import (
    Attachment, BlindCode, Nomination, NominationIdentity, NominationImport, NominationStatus,
)
from judging.nominations.storage import AttachmentStore
from judging.panels.models import Assignment, Expert
from nominations.test_import_service import (
    CITIES, ORGANIZER, ROW_METHOD, ROW_STEEL, csv_bytes, make_edition, pdf_bytes, steel_archive,
)


def _organizer(client):
    login(client, "organizer", DEMO_PASSWORDS["organizer"])


def test_quotas_page_and_export_sum_to_the_target(client, demo):
    _organizer(client)
    page = client.get("/organizer/quotas/")
    assert page.status_code == 200 and "苏州" in page.text and "各市名额" in page.text
    exported = client.get("/organizer/quotas/export.csv")
    assert exported.status_code == 200 and exported.content.startswith(b"\xef\xbb\xbf")
    assert 'filename="quotas-2026.csv"' in exported.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["单位", "职工人数", "推荐名额"] and len(rows) == 14
    assert sum(int(r[2]) for r in rows[1:]) == DEMO_TARGET
    token = csrf_token(client, "/organizer/quotas/")
    saved = client.post("/organizer/quotas/", data={"_csrf_token": token, "total": "101",
                                                    "units": "南京,412\n苏州,693\n省电力工会,60,industry"},
                        follow_redirects=False)
    assert saved.status_code in (302, 303)
    rows = list(csv.reader(io.StringIO(client.get("/organizer/quotas/export.csv").content.decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == ["南京", "苏州", "省电力工会"] and sum(int(r[2]) for r in rows[1:]) == 101
    bad = client.post("/organizer/quotas/", data={"_csrf_token": token, "total": "100", "units": "南京,很多"})
    assert bad.status_code == 400 and "不是整数职工人数" in bad.text


def edition_in_formal_review(session_factory, *, year: int = 2027) -> None:
    """A newer edition than the demo's (so the import goes to it) whose categories take nominations: the
    demo's own categories are past formal review and refuse a late one. Formal review is open, so a
    confirmed nomination is blinded only when it passes."""
    from judging.stages.models import Stage, StageKind, StageStatus

    with session_factory() as s:
        edition = make_edition(s, year=year, units={k: v for k, v in CITIES.items() if not k.endswith("工会")})
        for category in edition.categories:  # set up as the stages page would leave them (推荐 closed)
            s.add_all([Stage(edition_id=edition.id, category_id=category.id, kind=kind, status=status, note="")
                       for kind, status in ((StageKind.NOMINATION, StageStatus.CLOSED),
                                            (StageKind.FORMAL_REVIEW, StageStatus.OPEN))])
        s.commit()


def test_upload_runs_as_a_job_then_review_edit_and_confirm(client, demo, session_factory):
    edition_in_formal_review(session_factory)
    _organizer(client)
    token = csrf_token(client, "/organizer/nominations/import")
    response = client.post("/organizer/nominations/import", data={"_csrf_token": token},
                           files={"table": ("南京推荐汇总表.csv", csv_bytes([ROW_STEEL, ROW_METHOD]), "text/csv"),
                                  "archive": ("附件.zip", steel_archive(), "application/zip")},
                           follow_redirects=False)
    assert response.status_code in (302, 303) and response.headers["location"].startswith("/jobs/")
    job = client.get(response.headers["location"])
    link = re.search(r'href="(/organizer/nominations/imports/\d+)"', job.text)
    assert link, job.text[:2000]
    report = client.get(link.group(1))
    assert report.status_code == 200 and 'id="count-created">2<' in report.text
    assert "附件需人工查看" in report.text  # the PDF's patent number was masked: its judges' copy is converted

    listing = client.get("/organizer/nominations/", params={"city": "南京", "status": "received"})
    assert "高炉煤气余压发电效率提升技术" in listing.text and "南京钢铁股份有限公司" in listing.text
    assert "液压支架" not in listing.text
    with session_factory() as s:
        steel = s.scalar(select(Nomination).where(Nomination.title == "高炉煤气余压发电效率提升技术"))
    path = f"/organizer/nominations/{steel.id}"
    view = client.get(path)
    assert view.status_code == 200 and "王建国" in view.text and "申报书.pdf" in view.text
    token = csrf_token(client, path)
    edited = client.post(path, data={"_csrf_token": token, "title": steel.title, "summary": "改写后的简介。",
                                     "body": steel.body}, follow_redirects=False)
    assert edited.status_code in (302, 303)
    refused = client.post(path + "/confirm", data={"_csrf_token": token})
    assert refused.status_code == 409 and "请先核查" in refused.text
    done = client.post(path + "/confirm", data={"_csrf_token": token, "acknowledge": "yes"}, follow_redirects=False)
    assert done.status_code in (302, 303)
    with session_factory() as s:
        assert s.get(Nomination, steel.id).status is NominationStatus.CONFIRMED
        code = s.scalar(select(BlindCode.code).where(BlindCode.nomination_id == steel.id))
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.object_id == str(steel.id))).all()
    assert {"nomination.edited", "nomination.confirmed"} <= set(actions)
    # Formal review of 成果 is under way: a confirmed nomination is blinded only once it passes.
    assert code is None and "（编码生成后命名）" in client.get(path).text


def test_a_rejected_upload_reports_rows_in_chinese_and_stores_nothing(client, demo, session_factory):
    _organizer(client)
    with session_factory() as s:
        before = s.query(Nomination).count()
    token = csrf_token(client, "/organizer/nominations/import")
    bad = [ROW_METHOD[0], "上海", *ROW_METHOD[2:]]
    response = client.post("/organizer/nominations/import", data={"_csrf_token": token},
                           files={"table": ("表.csv", csv_bytes([ROW_METHOD, bad]), "text/csv")})
    report = client.get(re.search(r'href="(/organizer/nominations/imports/\d+)"', response.text).group(1))
    assert "未导入任何数据" in report.text and "未知城市“上海”。" in report.text
    assert re.search(r"<td class=\"num\">3</td><td>城市</td>", report.text)
    with session_factory() as s:
        assert s.query(Nomination).count() == before
        assert s.scalar(select(NominationImport.status).order_by(NominationImport.id.desc()).limit(1)) == "rejected"


def test_auditor_reads_identities_but_changes_nothing(client, demo, session_factory):
    login(client, "auditor", DEMO_PASSWORDS["auditor"])
    listing = client.get("/auditor/nominations/")
    assert listing.status_code == 200 and "只读" in listing.text
    with session_factory() as s:
        identity = s.scalar(select(NominationIdentity).limit(1))
    page = client.get(f"/auditor/nominations/{identity.nomination_id}")
    assert identity.employer in page.text and "<form method=\"post\" action=\"/organizer" not in page.text
    assert client.get("/organizer/nominations/").status_code == 404
    assert client.get("/organizer/quotas/").status_code == 200
    token = csrf_token(client, "/organizer/quotas/")
    assert client.post("/organizer/quotas/", data={"_csrf_token": token, "total": "1", "units": "南京,1"}).status_code == 404


def attach(session_factory, var_dir, nomination_id: int, files: dict[str, bytes]) -> list[Attachment]:
    """Clean and store attachments for a demo nomination, as the importer does."""
    store = AttachmentStore(var_dir)
    with session_factory() as s:
        nomination = s.get(Nomination, nomination_id)
        for position, (name, data) in enumerate(files.items(), start=len(nomination.attachments) + 1):
            clean = sanitize(data, name)
            nomination.attachments.append(Attachment(position=position, original_name=name,
                                                     stored_name=store.put(clean.data), kind=clean.kind,
                                                     size=len(clean.data), sha256="0" * 64))
        s.commit()
        return list(nomination.attachments)


def test_judge_downloads_attachments_only_by_code_and_only_their_own(client, demo, session_factory, settings):
    with session_factory() as s:
        me = s.scalar(select(Expert).where(Expert.email == "judge01@example.cn"))
        mine = s.scalar(select(Assignment).where(Assignment.expert_id == me.id).order_by(Assignment.id).limit(1))
        theirs = s.scalar(select(Assignment).where(Assignment.expert_id != me.id, Assignment.nomination_id.not_in(
            select(Assignment.nomination_id).where(Assignment.expert_id == me.id))).limit(1))
        code = s.scalar(select(BlindCode.code).where(BlindCode.nomination_id == mine.nomination_id))
    attach(session_factory, settings.var_dir, mine.nomination_id, {"王建国-南京钢铁申报书.pdf": pdf_bytes()})
    attach(session_factory, settings.var_dir, theirs.nomination_id, {"其他.pdf": pdf_bytes()})
    login(client, "judge01", DEMO_PASSWORDS["judge"])
    page = client.get(f"/judge/sheets/{mine.handle}").text
    assert f"{code}-01.pdf" in page and "王建国" not in page and "申报书" not in page
    response = client.get(f"/judge/attachments/{mine.handle}/{code}-01.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert response.headers["content-disposition"] == f'attachment; filename="{code}-01.pdf"'
    assert response.headers["content-type"] == "application/pdf"
    assert client.get(f"/judge/attachments/{mine.handle}/{code}-02.pdf").status_code == 404
    with session_factory() as s:
        their_code = s.scalar(select(BlindCode.code).where(BlindCode.nomination_id == theirs.nomination_id))
    assert client.get(f"/judge/attachments/{theirs.handle}/{their_code}-01.pdf").status_code == 404
    assert client.get(f"/judge/attachments/{mine.handle}/{their_code}-01.pdf").status_code == 404
