"""Importing nominations: GBK and XLSX tables, attachments archive, row errors, all-or-nothing, keep-valid,
idempotent re-import, duplicate flags, metadata stripped, review and confirmation. Also the helpers the
intake's app tests share (an edition with quota units, sheets, attachment files)."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest
from openpyxl import Workbook
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject, StreamObject
from sqlalchemy import func, select

from judging import audit
from judging.audit.models import AuditEvent
from judging.editions.models import Category, CategoryKey, Edition, EditionStatus, Round, RoundKind, RoundStatus
from judging.errors import Conflict, JudgingError
from judging.nominations import importer, service
from judging.nominations.models import (
    Attachment, BlindCode, Nomination, NominationFlag, NominationIdentity, NominationImport, NominationOriginal,
    NominationStatus,
)
from judging.nominations.storage import AttachmentStore
from judging.i18n import translations

CITIES = {"南京": 412, "无锡": 335, "徐州": 248, "常州": 221, "苏州": 693, "南通": 289, "连云港": 115,
          "淮安": 126, "盐城": 171, "扬州": 142, "镇江": 108, "泰州": 140, "宿迁": 112, "省电力工会": 60}
HEADER = ["类别", "城市", "项目名称", "简介", "正文", "完成人", "工作单位", "所属行业", "专利号", "联系电话", "电子邮箱", "附件"]
ORGANIZER = audit.Actor(None, "organizer-test")

ROW_STEEL = ["十大科技成果", "南京", "高炉煤气余压发电效率提升技术",
             "王建国团队在南京钢铁股份有限公司研发透平叶片在线清洗装置，年创效780万元。",
             "一、背景：南京钢铁高炉煤气余压发电效率偏低。二、内容：王建国提出在线清洗方法，专利ZL201910123456.7。"
             "联系电话13912345678，邮箱wjg@njsteel.com.cn。",
             "王建国、李秀英", "南京钢铁股份有限公司", "钢铁冶金", "ZL201910123456.7", "13912345678",
             "wjg@njsteel.com.cn", "申报书.pdf;现场照片.jpg;说明.docx"]
ROW_METHOD = ["十大先进操作法", "徐州", "液压支架快速检修操作法",
              "刘刚同志总结的检修方法使支架检修时间缩短40%，已在徐州工程机械集团推广。", "", "刘刚",
              "徐州工程机械集团有限公司", "装备制造", "", "0516-83881234", "", ""]
ROW_SUGGEST_A = ["十佳合理化建议", "苏州", "空压机余热回收利用建议",
                 "利用空压机余热加热生活用水，年节电120万千瓦时，节约费用96万元，建议在全公司推广应用。", "",
                 "陈静", "苏州热工研究院有限公司", "电力", "", "", "", ""]
ROW_SUGGEST_B = ["十佳合理化建议", "无锡", "空压机余热回收再利用的建议",
                 "利用空压机余热加热生活用水，年节电125万千瓦时，节约费用98万元，建议在全公司推广应用。", "",
                 "周杰", "无锡一棉纺织集团有限公司", "纺织", "", "", "", ""]


# ---------------------------------------------------------------------------------------- helpers

def make_edition(session, *, year: int = 2030, units: dict[str, int] | None = None, total: int = 100) -> Edition:
    """An edition with the four categories, an open preliminary round and quota units."""
    edition = Edition(year=year, name=f"{year}年度职工科技创新成果评选", status=EditionStatus.RUNNING, settings={})
    session.add(edition)
    for position, key in enumerate(CategoryKey):
        session.add(Category(edition=edition, key=key, name={"achievement": "十大科技成果",
                                                              "operating_method": "十大先进操作法",
                                                              "suggestion": "十佳合理化建议",
                                                              "chief_employee": "首席员工"}[key.value],
                             top_n=10, position=position))
    session.add(Round(edition=edition, kind=RoundKind.PRELIMINARY, name="网络评审", status=RoundStatus.OPEN))
    session.flush()
    units = CITIES if units is None else units
    service.set_quotas(session, edition=edition, total=total,
                       units=[(name, "industry" if name.endswith("工会") else "city", count)
                              for name, count in units.items()], by=ORGANIZER)
    return edition


def csv_bytes(rows, *, header=HEADER, encoding="gbk") -> bytes:
    def cell(value: str) -> str:
        return '"' + value.replace('"', '""') + '"'
    return ("\r\n".join(",".join(cell(c) for c in r) for r in [header, *rows]) + "\r\n").encode(encoding)


def xlsx_bytes(rows, *, header=HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for r in [header, *rows]:
        sheet.append(r)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def pdf_bytes(text: bytes = b"Patent ZL201910123456.7 by the team") -> bytes:
    writer = PdfWriter()
    page = writer.add_blank_page(300, 300)
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})})
    content = StreamObject()
    content.set_data(b"BT /F1 10 Tf 10 250 Td (" + text + b") Tj ET")
    page[NameObject("/Contents")] = writer._add_object(content)
    writer.add_metadata({"/Author": "Wang Jianguo", "/Creator": "Nanjing Steel"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def jpeg_bytes() -> bytes:
    exif = Image.Exif()
    exif[0x013B] = "Wang Jianguo"  # Artist
    out = io.BytesIO()
    Image.new("RGB", (16, 16), "gray").save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def docx_bytes(text: str = "项目说明：在线清洗装置。") -> bytes:
    document = docx.Document()
    document.add_paragraph(text)
    document.core_properties.author = "王建国"
    document.core_properties.last_modified_by = "南京钢铁"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def zip_bytes(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def steel_archive() -> bytes:
    return zip_bytes({"申报书.pdf": pdf_bytes(), "现场照片.jpg": jpeg_bytes(), "说明.docx": docx_bytes()})


def run_import(session, edition, data, *, store, archive=None, keep_valid=False, filename="汇总表.csv"):
    return importer.import_nominations(session, edition=edition, table_data=data, filename=filename,
                                       archive_data=archive, archive_name="附件.zip" if archive else "",
                                       keep_valid=keep_valid, store=store, by=ORGANIZER)


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def store(tmp_path) -> AttachmentStore:
    return AttachmentStore(tmp_path / "var")


def stored_files(store: AttachmentStore) -> list:
    return sorted(store.root.glob("*")) if store.root.exists() else []


# ------------------------------------------------------------------------------------------ tests

def test_gbk_csv_is_imported_redacted_with_the_original_kept_apart(db, store):
    edition = make_edition(db)
    record = run_import(db, edition, csv_bytes([ROW_STEEL, ROW_METHOD]), store=store, archive=steel_archive())
    assert (record.status, record.created, record.errors) == ("imported", 2, [])
    steel = db.scalar(select(Nomination).where(Nomination.title == "高炉煤气余压发电效率提升技术"))
    assert steel.status is NominationStatus.RECEIVED
    for secret in ("王建国", "南京钢铁", "13912345678", "wjg@njsteel.com.cn", "ZL201910123456.7"):
        assert secret not in steel.summary + steel.body
    assert "■■■" in steel.summary and "透平叶片在线清洗装置" in steel.summary
    original = db.get(NominationOriginal, steel.id)
    assert "王建国" in original.summary and original.import_id == record.id and original.source_row == 2
    assert {m["kind"] for m in original.masked} >= {"person", "employer", "patent", "phone", "email"}
    identity = db.get(NominationIdentity, steel.id)
    assert identity.inventors == ["王建国", "李秀英"] and identity.first_inventor == "王建国"
    assert identity.city == "南京" and identity.patents == ["ZL201910123456.7"]
    method = db.scalar(select(Nomination).where(Nomination.title == "液压支架快速检修操作法"))
    assert "刘刚" not in method.summary and "徐州工程机械集团" not in method.summary
    assert db.scalar(select(AuditEvent.action).order_by(AuditEvent.seq.desc()).limit(1)) == "nomination_import.completed"


def test_attachments_are_cleaned_stored_under_random_names_and_leftovers_flagged(db, store):
    edition = make_edition(db)
    run_import(db, edition, csv_bytes([ROW_STEEL]), store=store, archive=steel_archive())
    steel = db.scalar(select(Nomination))
    attachments = db.scalars(select(Attachment).order_by(Attachment.position)).all()
    assert [(a.position, a.kind, a.original_name) for a in attachments] == [
        (1, "pdf", "申报书.pdf"), (2, "jpeg", "现场照片.jpg"), (3, "docx", "说明.docx")]
    assert [a.blinded_name("ABCDEFGHJ") for a in attachments] == ["ABCDEFGHJ-01.pdf", "ABCDEFGHJ-02.jpg",
                                                                   "ABCDEFGHJ-03.docx"]
    files = {a.kind: store.get(a.stored_name) for a in attachments}
    assert all(len(a.stored_name) == 32 and "申报" not in a.stored_name for a in attachments)
    # Metadata read back with the libraries that wrote it.
    assert not PdfReader(io.BytesIO(files["pdf"])).metadata
    assert 0x013B not in Image.open(io.BytesIO(files["jpeg"])).getexif()
    props = docx.Document(io.BytesIO(files["docx"])).core_properties
    assert props.author in (None, "") and props.last_modified_by in (None, "")
    # The PDF's text names the patent: judges get its redacted text, the organizer the sanitized file to compare.
    assert "ZL201910123456.7" not in "".join(p.extract_text() for p in PdfReader(io.BytesIO(files["pdf"])).pages)
    review = PdfReader(io.BytesIO(store.get(attachments[0].review_name)))
    assert "ZL201910123456.7" in "".join(p.extract_text() for p in review.pages)
    assert {"kind": "masked", "what": "patent", "text": "ZL201910123456.7"} in attachments[0].findings
    # The converted PDF and the photo are for the organizer to look at by eye.
    flags = db.scalars(select(NominationFlag).where(NominationFlag.nomination_id == steel.id)
                       .order_by(NominationFlag.attachment_id)).all()
    assert [(f.kind, f.attachment_id) for f in flags] == [("attachment_review", attachments[0].id),
                                                          ("attachment_review", attachments[1].id)]


def test_xlsx_import_and_utf8_bom_csv(db, store):
    edition = make_edition(db)
    assert run_import(db, edition, xlsx_bytes([ROW_METHOD]), store=store, filename="表.xlsx").created == 1
    data = b"\xef\xbb\xbf" + csv_bytes([ROW_SUGGEST_A], encoding="utf-8")
    assert run_import(db, edition, data, store=store).created == 1
    assert count(db, Nomination) == 2


def test_bad_rows_reject_the_whole_import_and_store_nothing(db, store):
    edition = make_edition(db)
    bad_category = ["十大发明", *ROW_METHOD[1:]]
    bad_city = [ROW_METHOD[0], "上海", *ROW_METHOD[2:]]
    no_title = [*ROW_METHOD[:2], "", *ROW_METHOD[3:]]
    exe_attachment = [*ROW_SUGGEST_A[:-1], "程序.pdf"]
    missing_attachment = [*ROW_SUGGEST_B[:-1], "不存在.pdf"]
    archive = zip_bytes({"程序.pdf": b"MZ\x90\x00 this is a windows program", **{"申报书.pdf": pdf_bytes()}})
    record = run_import(db, edition, csv_bytes([ROW_STEEL[:-1] + [""], bad_category, bad_city, no_title,
                                                exe_attachment, missing_attachment]),
                        store=store, archive=archive)
    assert record.status == "rejected"
    by_row = {(e["row"], e["column"]) for e in record.errors}
    # A file that cannot be cleaned (row 6) does not reject its row: it is refused on the nomination.
    assert {(3, "类别"), (4, "城市"), (5, "项目名称"), (7, "附件")} <= by_row and (6, "附件") not in by_row
    problems = " ".join(e["problem"] for e in record.errors)
    assert "Unknown category" in problems and "Unknown city “上海”" in problems
    assert "“不存在.pdf” is not in the archive" in problems
    assert count(db, Nomination) == 0 and count(db, Attachment) == 0 and stored_files(store) == []
    assert db.scalar(select(AuditEvent.action).order_by(AuditEvent.seq.desc()).limit(1)) == \
        "nomination_import.rejected"


def test_problems_are_shown_in_chinese():
    zh = translations("zh_CN").gettext
    assert service.translate_problem("Unknown city “上海”.", zh) == "未知城市“上海”。"
    assert service.translate_problem("程序.pdf: The file is empty.", zh) == "程序.pdf: 文件为空。"
    assert service.translate_problem("something new", zh) == "something new"


def test_missing_columns_are_one_clear_error(db, store):
    edition = make_edition(db)
    record = run_import(db, edition, csv_bytes([["十大先进操作法", "徐州", "题目"]], header=["类别", "城市", "项目名称"]),
                        store=store)
    assert record.status == "rejected" and len(record.errors) == 1
    assert record.errors[0]["row"] == 1 and "Missing required column" in record.errors[0]["problem"]


def test_wrong_encoding_and_old_excel_are_refused(db, store):
    edition = make_edition(db)
    record = run_import(db, edition, "类别,城市\nCafé,Zürich\n".encode("utf-8").replace("é".encode(), b"\xe9"),
                        store=store)  # a Western (cp1252) byte among UTF-8: valid in neither encoding
    assert record.status == "rejected" and "neither UTF-8 nor GB18030" in record.errors[0]["problem"]
    record = run_import(db, edition, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, store=store)
    assert record.status == "rejected" and ".xls" in record.errors[0]["problem"]
    assert count(db, Nomination) == 0


def test_keeping_the_valid_rows(db, store):
    edition = make_edition(db)
    bad_city = [ROW_METHOD[0], "上海", *ROW_METHOD[2:]]
    record = run_import(db, edition, csv_bytes([ROW_SUGGEST_A, bad_city]), store=store, keep_valid=True)
    assert (record.status, record.created) == ("partial", 1)
    assert [(e["row"], e["column"]) for e in record.errors] == [(3, "城市")]
    assert count(db, Nomination) == 1


def test_reimporting_the_same_file_adds_nothing_and_a_corrected_row_updates(db, store):
    edition = make_edition(db)
    data = csv_bytes([ROW_STEEL, ROW_METHOD])
    first = run_import(db, edition, data, store=store, archive=steel_archive())
    again = run_import(db, edition, data, store=store, archive=steel_archive())
    assert (first.created, again.created, again.updated, again.unchanged) == (2, 0, 0, 2)
    assert count(db, Nomination) == 2 and count(db, Attachment) == 3
    corrected = [*ROW_METHOD[:3], "刘刚同志总结的检修方法使支架检修时间缩短45%。", *ROW_METHOD[4:]]
    third = run_import(db, edition, csv_bytes([corrected]), store=store)
    assert (third.created, third.updated) == (0, 1)
    method = db.scalar(select(Nomination).where(Nomination.title == "液压支架快速检修操作法"))
    assert "45%" in method.summary and "刘刚" not in method.summary


def test_changed_row_of_a_confirmed_nomination_is_reported_not_applied(db, store):
    edition = make_edition(db)
    run_import(db, edition, csv_bytes([ROW_METHOD]), store=store)
    method = db.scalar(select(Nomination))
    service.confirm(db, edition=edition, nomination_id=method.id, by=ORGANIZER)
    corrected = [*ROW_METHOD[:3], "完全不同的简介内容。", *ROW_METHOD[4:]]
    record = run_import(db, edition, csv_bytes([corrected]), store=store)
    assert (record.status, record.updated, record.unchanged) == ("imported", 0, 1)
    assert "already confirmed" in record.errors[0]["problem"]
    assert "完全不同" not in db.get(Nomination, method.id).summary


def test_likely_duplicates_are_flagged(db, store):
    edition = make_edition(db)
    same_title_other_city = [ROW_METHOD[0], "南京", *ROW_METHOD[2:6], "徐州工程机械集团有限公司", *ROW_METHOD[7:]]
    same_title_other_city[5] = "张强"
    record = run_import(db, edition, csv_bytes([ROW_METHOD, same_title_other_city, ROW_SUGGEST_A, ROW_SUGGEST_B]),
                        store=store)
    assert record.created == 4
    flags = db.execute(select(NominationFlag.kind, NominationFlag.nomination_id, NominationFlag.other_nomination_id)
                       .order_by(NominationFlag.id)).all()
    kinds = sorted(k for k, _, _ in flags)
    assert kinds.count("same_title_employer") == 2  # both of the pair, pointing at each other
    assert "similar_text" in kinds
    suggestion_ids = set(db.scalars(select(Nomination.id).where(Nomination.title.like("空压机%"))))
    assert any(k == "similar_text" and {a, b} == suggestion_ids for k, a, b in flags)
    report = service.import_flags(db, record=record)
    assert len(report) == len(flags)


def test_unsafe_archives_are_refused_per_file(db, store):
    edition = make_edition(db)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("../../etc/申报书.pdf", pdf_bytes())
    record = run_import(db, edition, csv_bytes([ROW_STEEL]), store=store, archive=out.getvalue())
    assert record.status == "rejected"
    assert any("unsafe path" in e["problem"] and e["column"] == "../../etc/申报书.pdf" for e in record.errors)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("申报书.pdf", b"%PDF-1.4\n" + b"\0" * (20 * 1024 * 1024))
    record = run_import(db, edition, csv_bytes([ROW_STEEL]), store=store, archive=bomb.getvalue())
    assert record.status == "rejected" and any("ZIP bomb" in e["problem"] for e in record.errors)
    assert count(db, Nomination) == 0 and stored_files(store) == []


def test_too_large_attachment_is_refused(db, store, monkeypatch):
    edition = make_edition(db)
    original = importer.sanitize
    monkeypatch.setattr(importer, "sanitize", lambda data, name: original(data, name, max_bytes=1024))
    record = run_import(db, edition, csv_bytes([ROW_STEEL]), store=store, archive=steel_archive())
    # The nomination is stored; the file is refused with the reason and nothing of it is kept for judges.
    assert record.status == "imported" and record.errors == []
    refused = db.scalar(select(Attachment).where(Attachment.state == "refused"))
    assert refused.original_name == "说明.docx" and refused.refusal == "The file is larger than 0 MB."  # 1 KiB
    assert refused.stored_name is None and refused.review_name is None
    nomination = db.get(Nomination, refused.nomination_id)
    with pytest.raises(Conflict, match="refused"):
        service.confirm(db, edition=edition, nomination_id=nomination.id, by=ORGANIZER, acknowledge=True)
    assert nomination.status is NominationStatus.RECEIVED


def test_confirmation_needs_flags_acknowledged_and_issues_the_code(db, store):
    edition = make_edition(db)
    run_import(db, edition, csv_bytes([ROW_STEEL]), store=store, archive=steel_archive())
    steel = db.scalar(select(Nomination))
    with pytest.raises(Conflict):
        service.confirm(db, edition=edition, nomination_id=steel.id, by=ORGANIZER)
    assert steel.status is NominationStatus.RECEIVED
    service.confirm(db, edition=edition, nomination_id=steel.id, by=ORGANIZER, acknowledge=True)
    assert steel.status is NominationStatus.CONFIRMED
    assert db.scalar(select(func.count()).select_from(NominationFlag).where(NominationFlag.resolved_at.is_(None))) == 0
    code = db.scalar(select(BlindCode.code).where(BlindCode.nomination_id == steel.id))
    from judging.nominations.blinding import is_valid_code
    assert code and is_valid_code(code)


def test_edits_are_audited_and_leftovers_block_confirmation(db, store):
    edition = make_edition(db)
    run_import(db, edition, csv_bytes([ROW_METHOD]), store=store)
    method = db.scalar(select(Nomination))
    changed = service.update_nomination(db, edition=edition, nomination_id=method.id,
                                        changes={"summary": "刘刚同志的检修方法。"}, by=ORGANIZER)
    assert changed == ["summary"]
    event = db.scalar(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1))
    assert event.action == "nomination.edited" and event.object_id == str(method.id)
    with pytest.raises(Conflict):  # the organizer typed a name back in
        service.confirm(db, edition=edition, nomination_id=method.id, by=ORGANIZER)
    service.update_nomination(db, edition=edition, nomination_id=method.id,
                              changes={"summary": "该同志的检修方法。"}, by=ORGANIZER)
    service.confirm(db, edition=edition, nomination_id=method.id, by=ORGANIZER)
    # A new inventor sends it back for review; an empty title is refused.
    service.update_nomination(db, edition=edition, nomination_id=method.id, changes={"inventors": "刘刚、王芳"},
                              by=ORGANIZER)
    assert method.status is NominationStatus.RECEIVED
    with pytest.raises(JudgingError):
        service.update_nomination(db, edition=edition, nomination_id=method.id, changes={"title": " "}, by=ORGANIZER)


def test_quotas_sum_exactly_and_follow_employees(db, store):
    edition = make_edition(db, total=100)
    run_import(db, edition, csv_bytes([ROW_STEEL[:-1] + [""], ROW_METHOD, ROW_SUGGEST_A]), store=store)
    report = service.quota_report(db, edition=edition)
    targets = {r.unit.name: r.target for r in report.rows}
    assert sum(targets.values()) == 100
    employees = sum(CITIES.values())
    for name, target in targets.items():
        assert abs(target - 100 * CITIES[name] / employees) < 1
    assert targets["苏州"] > targets["南京"] > targets["宿迁"]
    nanjing = next(r for r in report.rows if r.unit.name == "南京")
    achievement = next(c for c in report.categories if c.key is CategoryKey.ACHIEVEMENT)
    assert nanjing.received == {achievement.id: 1} and nanjing.fulfilment == 1 / targets["南京"]
    assert report.total_received == 3 and sum(report.category_totals.values()) == 3


def test_quota_form_parsing():
    assert service.parse_units("南京,412\n省电力工会，60，industry\n\n苏州\t693") == [
        ("南京", "city", 412), ("省电力工会", "industry", 60), ("苏州", "city", 693)]
    with pytest.raises(JudgingError):
        service.parse_units("南京,很多")
    with pytest.raises(JudgingError):
        service.parse_units("南京,1\n南京,2")


def test_import_without_units_is_refused(db, store):
    edition = make_edition(db, units={"南京": 1})
    db.execute(NominationImport.__table__.delete())
    from judging.nominations.models import QuotaUnit
    db.execute(QuotaUnit.__table__.delete())
    record = run_import(db, edition, csv_bytes([ROW_METHOD]), store=store)
    assert record.status == "rejected" and "quotas page" in record.errors[0]["problem"]


def test_own_strings_in_an_automaton_mask_like_the_identifying_argument():
    from judging.nominations.identity import OwnNames
    from judging.nominations.redaction import NameIndex, redact

    own = {"person": ["王建国", "李娜"], "employer": ["南京钢铁股份有限公司", "南京钢铁", "南钢"],
           "patent": ["ZL201910123456.7"], "phone": ["13912345678"], "email": ["wjg@njsteel.com.cn"]}
    edition = NameIndex.build(persons=["张伟", "赵晓东"], employers=["徐州工程机械集团有限公司"])
    texts = ["王 建 国、李娜在南钢（南京钢铁股份有限公司）完成，专利ＺＬ２０１９１０１２３４５６．７，电话139 1234 5678。",
             "张伟同志与赵晓东在徐州工程机械集团推广；高明的做法。WJG@NJSTEEL.COM.CN", "李娜娜的方法", ""]
    for text in texts:
        expected = redact(text, own, global_names=edition)
        got = redact(text, global_names=OwnNames(own, edition))
        assert got.text == expected.text, text
        assert {h.text for h in got.hits} == {h.text for h in expected.hits}
