"""The organizer's review of attachments in headless Chromium against `judging serve`: a nomination
whose PDF is password-protected (refused) and whose Word file links out; the organizer opens each
attachment, sees what was removed and masked, replaces the refused file, and can then confirm.
Screenshots in test-artifacts/ at 1280 and 390 px."""

from __future__ import annotations

import io

import pikepdf
from sqlalchemy import select

from browser import screenshot
from judging.demo import DEMO_PASSWORDS
from judging.editions.service import current_edition
from judging.nominations import importer
from judging.nominations.models import Attachment, Nomination
from judging.nominations.storage import AttachmentStore
from nominations.test_active_content import DOCX_ATTACKS, _base_docx, _rebuild
from nominations.test_app_intake import edition_in_formal_review
from nominations.test_browser_app_intake import _login
from nominations.test_import_service import ORGANIZER, ROW_STEEL, csv_bytes, jpeg_bytes, pdf_bytes, zip_bytes


def _encrypted_pdf() -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    out = io.BytesIO()
    pdf.save(out, encryption=pikepdf.Encryption(user="secret", owner="secret"))
    return out.getvalue()


def _linking_docx() -> bytes:
    parts = _base_docx()
    DOCX_ATTACKS["external hyperlink"](parts)
    DOCX_ATTACKS["attachedTemplate"](parts)
    return _rebuild(parts)


def _import(session_factory, var_dir) -> int:
    archive = zip_bytes({"申报书.pdf": _encrypted_pdf(), "现场照片.jpg": jpeg_bytes(), "说明.docx": _linking_docx()})
    edition_in_formal_review(session_factory)  # the demo's categories are past formal review
    with session_factory() as s:
        record = importer.import_nominations(s, edition=current_edition(s), table_data=csv_bytes([ROW_STEEL]),
                                             filename="南京推荐汇总表.csv", archive_data=archive,
                                             archive_name="附件.zip", store=AttachmentStore(var_dir), by=ORGANIZER)
        assert record.created == 1, record.errors
        s.commit()
        return s.scalar(select(Nomination.id).where(Nomination.title == ROW_STEEL[2]))


def test_organizer_opens_each_attachment_and_replaces_a_refused_one(served, browser, db_url, demo, session_factory,
                                                                     tmp_path):
    var_dir = tmp_path / "var"
    nomination_id = _import(session_factory, var_dir)
    good = tmp_path / "申报书-无密码.pdf"
    good.write_bytes(pdf_bytes(b"Report of the cleaning device, patent ZL201910123456.7"))
    with served(db_url, var_dir) as base, browser.page(height=1000) as page:
        _login(page, base, "organizer", DEMO_PASSWORDS["organizer"])
        page.wait_for_url("**/organizer")
        page.goto(f"{base}/organizer/nominations/{nomination_id}")
        assert "已拒收" in page.locator("#attachment-list").inner_text()
        page.click("#attachment-list a >> text=说明.docx")
        page.wait_for_url("**/attachments/*")
        removed = page.locator("#removed").inner_text()
        assert "hyperlink" in removed and "attachedTemplate" in removed
        judges_copy = page.request.get(base + page.locator("#open-judges").get_attribute("href"))
        assert judges_copy.status == 200 and b"evil.example" not in judges_copy.body()
        screenshot(page, "attachment-review-docx")

        page.goto(f"{base}/organizer/nominations/{nomination_id}")
        page.click("#attachment-list a >> text=申报书.pdf")
        page.wait_for_url("**/attachments/*")
        assert page.locator("#attachment-state").inner_text() == "已拒收"
        assert "密码" in page.locator("#refusal").inner_text()  # the reason, in the reader's language
        screenshot(page, "attachment-review-refused")
        page.set_viewport_size({"width": 390, "height": 900})
        screenshot(page, "attachment-review-refused-390")
        page.set_viewport_size({"width": 1280, "height": 1000})

        page.set_input_files("#replace-form input[name=file]", str(good))
        page.click("#replace-form button[type=submit]")
        page.wait_for_selector("text=已保存")
        assert page.locator("#attachment-state").inner_text() == "已清理"
        assert "ZL201910123456.7" in page.locator("#masked").inner_text()  # masked in the judges' copy
        screenshot(page, "attachment-review-replaced")

        page.goto(f"{base}/organizer/nominations/{nomination_id}")
        page.check("input[name=acknowledge]")
        page.click("#confirm-form button[type=submit]")
        page.wait_for_selector("text=已确认")
    with session_factory() as s:
        states = set(s.scalars(select(Attachment.state).where(Attachment.nomination_id == nomination_id)))
    assert states == {"ok"}
