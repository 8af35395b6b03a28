"""Attachments: type by content, metadata gone, text extracted; ZIP uploads unpacked safely."""

import io
import stat
import struct
import warnings
import zipfile
import zlib

import docx
import pytest
from PIL import Image, PngImagePlugin
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject, ByteStringObject, DictionaryObject, NameObject, NumberObject, StreamObject, TextStringObject,
)

from judging.nominations.attachments import (
    AttachmentError,
    CleanFile,
    blinded_name,
    detect_kind,
    read_zip_archive,
    sanitize,
)
from judging.nominations.redaction import leftovers

AUTHOR = "王建国"  # the inventor whose name must not survive in metadata
EMPLOYER = "南京钢铁股份有限公司"
PDF_FILE_ID = bytes(range(16))


def identity_absent(data: bytes):
    for needle in (AUTHOR, EMPLOYER):
        for encoding in ("utf-8", "utf-16-be", "gb18030"):
            assert needle.encode(encoding) not in data, (needle, encoding)


# --- PDF -----------------------------------------------------------------------------------------

def make_pdf(text=b"Inventor Wang Jianguo, patent ZL201910123456.7"):
    writer = PdfWriter()
    page = writer.add_blank_page(300, 300)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
    )
    content = StreamObject()
    content.set_data(b"BT /F1 10 Tf 10 250 Td (" + text + b") Tj ET")
    page[NameObject("/Contents")] = writer._add_object(content)
    writer.add_metadata({"/Author": AUTHOR, "/Title": "高炉煤气余压发电", "/Creator": EMPLOYER, "/Producer": "WPS"})
    writer.xmp_metadata = (
        '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:creator><rdf:Seq><rdf:li>{AUTHOR}</rdf:li></rdf:Seq></dc:creator>"
        "</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end=\"w\"?>"
    ).encode()
    writer.add_attachment("原稿.docx", f"{AUTHOR} {EMPLOYER}".encode())
    writer._ID = ArrayObject([ByteStringObject(PDF_FILE_ID), ByteStringObject(PDF_FILE_ID)])  # the file identifier
    annotation = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Text"),
            NameObject("/Rect"): ArrayObject([NumberObject(v) for v in (10, 10, 30, 30)]),
            NameObject("/T"): TextStringObject(AUTHOR),
            NameObject("/Contents"): TextStringObject("请核对数据"),
        }
    )
    page[NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_pdf_fixture_really_carries_the_metadata():
    data = make_pdf()
    reader = PdfReader(io.BytesIO(data))
    assert reader.metadata.author == AUTHOR
    assert reader.xmp_metadata is not None
    assert reader.attachments
    assert [bytes(part.original_bytes) for part in reader.trailer["/ID"]] == [PDF_FILE_ID, PDF_FILE_ID]


def test_pdf_metadata_xmp_attachments_and_annotation_authors_removed():
    original = make_pdf()
    clean = sanitize(original, "申报材料.pdf")
    assert (clean.kind, clean.ext, clean.declared_name) == ("pdf", "pdf", "申报材料.pdf")
    reader = PdfReader(io.BytesIO(clean.data))
    assert not reader.metadata  # no Info dictionary (pypdf gives None)
    assert reader.xmp_metadata is None
    assert reader.attachments == {}
    annotation = reader.pages[0]["/Annots"][0].get_object()
    assert "/T" not in annotation and annotation["/Contents"] == "请核对数据"
    assert "/ID" not in reader.trailer  # the file identifier could link the copy to the original
    identity_absent(clean.data)


def test_pdf_text_is_extracted_for_the_leftover_check():
    clean = sanitize(make_pdf(), "a.pdf")
    assert "Wang Jianguo" in clean.text
    found = leftovers(clean.text, ["Wang Jianguo"])
    assert [h.kind for h in found] == ["own", "patent"]


def test_password_protected_pdf_refused():
    writer = PdfWriter()
    writer.add_blank_page(100, 100)
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(AttachmentError, match="password") as err:
        sanitize(out.getvalue(), "加密.pdf")
    assert err.value.name == "加密.pdf"


def test_damaged_pdf_refused():
    with pytest.raises(AttachmentError, match="damaged"):
        sanitize(b"%PDF-1.7\n garbage without xref", "坏.pdf")


# --- DOCX ----------------------------------------------------------------------------------------

def make_docx():
    document = docx.Document()
    paragraph = document.add_paragraph("本成果由张伟主持完成，年创效780万元。")
    document.add_table(rows=1, cols=2).rows[0].cells[1].text = "专利ZL201910123456.7"
    document.sections[0].header.paragraphs[0].text = "内部资料"
    document.add_comment(paragraph.runs, text="数据请核对", author=AUTHOR, initials="WJG")
    props = document.core_properties
    props.author = AUTHOR
    props.last_modified_by = AUTHOR
    props.title = f"{EMPLOYER}申报书"
    props.subject = "科技成果"
    props.keywords = AUTHOR
    props.comments = EMPLOYER
    props.category = "十大科技成果"
    out = io.BytesIO()
    document.save(out)
    # Word writes the employer into app.xml's <Company>; python-docx cannot, so patch it in.
    source = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    patched = io.BytesIO()
    with zipfile.ZipFile(patched, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "docProps/app.xml":
                content = content.replace(b"</Properties>", f"<Company>{EMPLOYER}</Company><Manager>{AUTHOR}</Manager></Properties>".encode())
            target.writestr(info, content)
    return patched.getvalue()


def test_docx_fixture_really_carries_the_metadata():
    data = make_docx()
    assert docx.Document(io.BytesIO(data)).core_properties.author == AUTHOR
    assert EMPLOYER.encode() in zipfile.ZipFile(io.BytesIO(data)).read("docProps/app.xml")


def test_docx_core_app_and_comment_authors_removed_content_kept():
    clean = sanitize(make_docx(), "申报书.docx")
    assert (clean.kind, clean.ext) == ("docx", "docx")
    document = docx.Document(io.BytesIO(clean.data))
    props = document.core_properties
    for field in ("author", "last_modified_by", "title", "subject", "keywords", "comments", "category"):
        assert getattr(props, field) == "", field
    assert props.created is None and props.modified is None
    assert "张伟主持完成" in document.paragraphs[0].text
    with zipfile.ZipFile(io.BytesIO(clean.data)) as z:
        for name in z.namelist():
            identity_absent(z.read(name))
        assert b"Company" not in z.read("docProps/app.xml")


def test_docx_text_includes_tables_and_headers():
    text = sanitize(make_docx(), "a.docx").text
    assert "张伟主持完成" in text and "ZL201910123456.7" in text and "内部资料" in text


def test_macro_document_refused():
    data = make_docx()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info, source.read(info))
        target.writestr("word/vbaProject.bin", b"\x00" * 100)
    with pytest.raises(AttachmentError, match="macro"):
        sanitize(out.getvalue(), "宏.docm")


def test_other_zip_files_are_not_attachments():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("[Content_Types].xml", "<Types/>")
    assert detect_kind(out.getvalue()) is None
    with pytest.raises(AttachmentError, match="accepted"):
        sanitize(out.getvalue(), "表格.xlsx")


# --- images --------------------------------------------------------------------------------------

def make_jpeg(orientation=1):
    image = Image.new("RGB", (40, 20), (200, 30, 30))
    exif = Image.Exif()
    exif[0x013B] = "Wang Jianguo"  # Artist
    exif[0x010E] = "NISCO lab"  # ImageDescription
    exif[0x0112] = orientation
    exif.get_ifd(0x8825)[2] = (32.0, 4.0, 0.0)  # GPS latitude
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), comment=b"Wang Jianguo", xmp=b"<x:xmpmeta>Wang Jianguo</x:xmpmeta>")
    return out.getvalue()


def make_png():
    image = Image.new("RGBA", (16, 16), (0, 128, 0, 255))
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Wang Jianguo")
    info.add_itxt("Description", f"{AUTHOR} {EMPLOYER}")
    exif = Image.Exif()
    exif[0x013B] = "Wang Jianguo"
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info, exif=exif.tobytes())
    return out.getvalue()


def test_jpeg_exif_gps_comment_and_xmp_removed():
    original = make_jpeg()
    assert b"Wang Jianguo" in original
    clean = sanitize(original, "现场照片.JPG")
    assert (clean.kind, clean.ext, clean.text) == ("jpeg", "jpg", "")
    assert b"Wang Jianguo" not in clean.data and b"NISCO" not in clean.data
    image = Image.open(io.BytesIO(clean.data))
    assert not image.getexif()
    assert "comment" not in image.info and "xmp" not in image.info
    assert image.size == (40, 20)


def test_jpeg_orientation_applied_before_exif_is_dropped():
    clean = sanitize(make_jpeg(orientation=6), "竖拍.jpg")
    assert Image.open(io.BytesIO(clean.data)).size == (20, 40)


def test_png_text_chunks_and_exif_removed():
    original = make_png()
    clean = sanitize(original, "图.png")
    assert clean.kind == "png"
    identity_absent(clean.data)
    assert b"Wang Jianguo" not in clean.data
    image = Image.open(io.BytesIO(clean.data))
    assert image.text == {} and not image.getexif()
    assert image.getpixel((3, 3)) == (0, 128, 0, 255)


def test_type_is_decided_by_content_not_extension():
    assert sanitize(make_png(), "看起来像.pdf").kind == "png"
    assert detect_kind(make_jpeg()) == "jpeg"
    with pytest.raises(AttachmentError, match="accepted"):
        sanitize(b"MZ\x90\x00 this is an exe", "申报书.pdf")
    with pytest.raises(AttachmentError, match="damaged"):
        sanitize(b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "坏.png")


def test_size_and_pixel_limits():
    with pytest.raises(AttachmentError, match="larger than 1 MB"):
        sanitize(make_png() + b"\x00" * (1024 * 1024), "大.png", max_bytes=1024 * 1024)
    with pytest.raises(AttachmentError, match="too large"):
        sanitize(make_png(), "图.png", max_pixels=100)
    with pytest.raises(AttachmentError, match="empty"):
        sanitize(b"", "空.pdf")


def _png_header(width: int, height: int) -> bytes:
    """A PNG that declares ``width`` x ``height`` pixels but holds almost no data (a decompression bomb's shape)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + chunk(b"IEND", b""))


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # Pillow's own, from Image.open
def test_an_image_past_pillows_bomb_threshold_is_refused_from_its_header_whatever_the_limit():
    assert Image.MAX_IMAGE_PIXELS < 10_000 * 10_000 < 2 * Image.MAX_IMAGE_PIXELS  # Pillow warns, does not refuse
    for max_pixels in (60_000_000, 500_000_000):
        with pytest.raises(AttachmentError, match="100000000 pixels"):
            sanitize(_png_header(10_000, 10_000), "炸弹.png", max_pixels=max_pixels)


def test_blinded_name_hides_the_original_name():
    assert blinded_name("K7QM2XD94", 1, "pdf") == "K7QM2XD94-01.pdf"
    assert isinstance(sanitize(make_png(), "王建国-照片.png"), CleanFile)


# --- ZIP uploads ---------------------------------------------------------------------------------

def zip_of(members, *, compression=zipfile.ZIP_DEFLATED):
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate-name warning, on purpose
        with zipfile.ZipFile(out, "w", compression) as z:
            for name, content in members:
                if isinstance(name, zipfile.ZipInfo):
                    z.writestr(name, content)
                else:
                    z.writestr(name, content)
    return out.getvalue()


def test_archive_unpacks_with_names_and_skips_os_junk():
    data = zip_of([("材料/申报书.pdf", b"%PDF-1.7"), ("材料/", b""), ("__MACOSX/._申报书.pdf", b"x"), (".DS_Store", b"x"), ("照片.jpg", b"jpg")])
    assert read_zip_archive(data) == {"材料/申报书.pdf": b"%PDF-1.7", "照片.jpg": b"jpg"}


@pytest.mark.parametrize("name", ["../evil.pdf", "材料/../../evil.pdf", "/etc/passwd", "C:/Windows/evil.pdf", "..\\evil.pdf", "a\\b.pdf"])
def test_path_traversal_rejected(name):
    with pytest.raises(AttachmentError, match="unsafe path") as err:
        read_zip_archive(zip_of([("ok.pdf", b"x"), (zipfile.ZipInfo(name), b"x")]))
    assert err.value.name == name


def test_symlink_rejected():
    info = zipfile.ZipInfo("link.pdf")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    with pytest.raises(AttachmentError, match="symbolic link"):
        read_zip_archive(zip_of([(info, "/etc/passwd")]))


def test_duplicate_names_rejected_case_insensitively():
    with pytest.raises(AttachmentError, match="twice"):
        read_zip_archive(zip_of([("申报书.pdf", b"1"), ("申报书.pdf", b"2")]))
    with pytest.raises(AttachmentError, match="twice"):
        read_zip_archive(zip_of([("Photo.JPG", b"1"), ("photo.jpg", b"2")]))


def test_zip_bomb_rejected_by_ratio_before_inflating():
    bomb = zip_of([("bomb.pdf", b"\x00" * (20 * 1024 * 1024))])
    assert len(bomb) < 100_000
    with pytest.raises(AttachmentError, match="bomb"):
        read_zip_archive(bomb)


def test_total_and_per_file_limits():
    import os

    two = zip_of([("a.pdf", os.urandom(600_000)), ("b.pdf", os.urandom(600_000))])
    with pytest.raises(AttachmentError, match="more than 1 MB"):
        read_zip_archive(two, max_total_uncompressed=1024 * 1024)
    with pytest.raises(AttachmentError, match="a.pdf"):
        read_zip_archive(two, max_file_size=500_000)


def test_lying_size_header_is_caught_while_reading():
    data = bytearray(zip_of([("bomb.pdf", b"\x00" * 3_000_000)]))
    # Rewrite the declared uncompressed size (local header and central directory) to 1000.
    real = (3_000_000).to_bytes(4, "little")
    assert data.count(real) == 2
    data = bytes(data).replace(real, (1000).to_bytes(4, "little"))
    with pytest.raises(AttachmentError):
        read_zip_archive(data)


def test_too_many_files():
    with pytest.raises(AttachmentError, match="more than 3 files"):
        read_zip_archive(zip_of([(f"{i}.pdf", b"x") for i in range(4)]), max_files=3)


def test_encrypted_member_and_garbage_rejected():
    data = bytearray(zip_of([("a.pdf", b"x")], compression=zipfile.ZIP_STORED))
    # set the "encrypted" flag bit in both headers
    local = data.find(b"PK\x03\x04") + 6
    central = data.find(b"PK\x01\x02") + 8
    data[local] |= 1
    data[central] |= 1
    with pytest.raises(AttachmentError, match="password"):
        read_zip_archive(bytes(data))
    with pytest.raises(AttachmentError, match="not a valid ZIP") as err:
        read_zip_archive(b"not a zip", archive_name="附件.zip")
    assert err.value.name == "附件.zip"


def _with_raw_name(placeholder: str, raw: bytes) -> bytes:
    """A ZIP whose member name is `raw` bytes with the UTF-8 flag clear, as Windows writes it."""
    assert len(placeholder.encode()) == len(raw)
    return zip_of([(placeholder, b"%PDF-1.7")]).replace(placeholder.encode(), raw)


def test_gbk_names_from_chinese_windows_are_decoded():
    raw = "申报书-王建国.pdf".encode("gbk")
    data = _with_raw_name("X" * (len(raw) - 4) + ".pdf", raw)
    assert list(read_zip_archive(data)) == ["申报书-王建国.pdf"]


def test_utf8_names_without_the_flag_are_decoded():
    raw = "证书.pdf".encode("utf-8")
    data = _with_raw_name("Y" * (len(raw) - 4) + ".pdf", raw)
    assert list(read_zip_archive(data)) == ["证书.pdf"]


def test_palette_png_keeps_its_transparency():
    image = Image.new("P", (4, 4), 0)
    image.putpalette([255, 255, 255, 200, 0, 0] + [0] * 762)
    image.putpixel((1, 1), 1)
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Wang Jianguo")
    out = io.BytesIO()
    image.save(out, "PNG", transparency=0, pnginfo=info)
    clean = Image.open(io.BytesIO(sanitize(out.getvalue(), "图.png").data))
    assert clean.info.get("transparency") == 0 and clean.text == {}
    assert clean.convert("RGBA").getpixel((0, 0))[3] == 0


def _has_cjk_font():
    import shutil
    import subprocess

    if shutil.which("fc-list") is None:
        return False
    return bool(subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout.strip())


@pytest.mark.skipif(not _has_cjk_font(), reason="needs a CJK font to render Chinese")
def test_chinese_pdf_from_weasyprint_loses_metadata_and_leftovers_are_flagged():
    weasyprint = pytest.importorskip("weasyprint")
    html = (
        f'<html><head><meta name="author" content="{AUTHOR}"><meta name="generator" content="{EMPLOYER}">'
        "<title>申报书</title></head><body><p>"
        f"第一完成人：{AUTHOR}，{EMPLOYER}。专利ZL201910123456.7。</p></body></html>"
    )
    original = weasyprint.HTML(string=html).write_pdf()
    assert PdfReader(io.BytesIO(original)).metadata.author == AUTHOR
    clean = sanitize(original, "申报书.pdf")
    assert not PdfReader(io.BytesIO(clean.data)).metadata
    assert AUTHOR in clean.text
    found = leftovers(clean.text, {"person": [AUTHOR], "employer": [EMPLOYER]})
    assert [h.kind for h in found] == ["person", "employer", "patent"]


def test_docx_text_includes_comments_for_the_leftover_check():
    text = sanitize(make_docx(), "a.docx").text
    assert "数据请核对" in text  # the comment's text (its author is blanked)


def test_docx_tracked_deletion_author_blanked_and_deleted_text_checked():
    from docx.oxml import parse_xml

    document = docx.Document()
    paragraph = document.add_paragraph("本成果年创效780万元。")
    paragraph._p.append(parse_xml(
        '<w:del xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
        f'w:id="1" w:author="{AUTHOR}" w:date="2026-03-01T00:00:00Z"><w:r><w:delText>南京钢铁研究院</w:delText></w:r></w:del>'
    ))
    out = io.BytesIO()
    document.save(out)
    clean = sanitize(out.getvalue(), "修订.docx")
    with zipfile.ZipFile(io.BytesIO(clean.data)) as z:
        identity_absent(z.read("word/document.xml"))
    assert [h.text for h in leftovers(clean.text, {"employer": ["南京钢铁"]})] == ["南京钢铁"]
