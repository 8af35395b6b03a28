"""Redact the text of a cleaned attachment the way judged text is redacted.

DOCX: every paragraph's text (body, tables, headers, footers, footnotes, endnotes, comments, tracked
deletions, picture descriptions) is masked in place, across run boundaries. PDF: when its text holds
anything to mask, the judges' copy becomes a text PDF of the redacted pages (WeasyPrint), since
masking glyphs inside a PDF's content streams cannot be done reliably; pictures and layout are lost,
which the review says. Pages without a text layer and pictures are noted for the organizer to look at.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field

from judging.nominations.attachments import CleanFile, sanitize
from judging.nominations.redaction import DEFAULT_MASK, Hit, find_identifiers

__all__ = ["RedactedFile", "redact_file"]

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_DOCPR = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr"
_TEXT_PARTS = re.compile(r"^word/(?:document|header\d*|footer\d*|footnotes|endnotes|comments\w*)\.xml$")
MIN_PAGE_TEXT = 20  # characters: a page with less is probably a scan (an image of text)
LARGE_PICTURE = 300_000  # bytes: a picture this large in a Word file is likely a scanned page or certificate


@dataclass
class RedactedFile:
    """What judges receive (`data`), the hits masked, and notes for the organizer (``{"kind", "text"}``)."""

    data: bytes
    hits: list[Hit] = field(default_factory=list)
    notes: list[dict] = field(default_factory=list)
    converted: bool = False  # a PDF whose judges' copy is the redacted text alone


def redact_file(clean: CleanFile, names) -> RedactedFile:
    """Redact `clean` with `names` (a ``global_names`` for :func:`redaction.find_identifiers`)."""
    notes = [{"kind": "removed", "text": item} for item in clean.removed]
    if clean.kind == "docx":
        result = _redact_docx(clean.data, names)
    elif clean.kind == "pdf":
        result = _redact_pdf(clean, names)
    else:
        result = RedactedFile(clean.data, notes=[{"kind": "image", "text": ""}])
    result.notes[:0] = notes
    return result


def _mask_paragraph(nodes: list, names) -> list[Hit]:
    """Mask the hits of one paragraph whose text is spread over `nodes` (w:t / w:delText elements)."""
    texts = [node.text or "" for node in nodes]
    joined = "".join(texts)
    hits = list(find_identifiers(joined, global_names=names))
    if not hits:
        return []
    starts = []
    position = 0
    for text in texts:
        starts.append(position)
        position += len(text)
    chars = [list(text) for text in texts]
    for hit in hits:
        first = True
        for index, start in enumerate(starts):
            end = start + len(texts[index])
            lo, hi = max(hit.start, start), min(hit.end, end)
            if lo >= hi:
                continue
            for offset in range(lo - start, hi - start):
                chars[index][offset] = ""
            if first:  # one mask per hit, in the run where it begins
                chars[index][lo - start] = DEFAULT_MASK
                first = False
    for node, new in zip(nodes, chars, strict=True):
        node.text = "".join(new)
    return hits


def _redact_docx_part(xml: bytes, names, hits: list[Hit]) -> bytes:
    from lxml import etree

    try:
        tree = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, huge_tree=False))
    except etree.XMLSyntaxError:
        return xml
    found = 0
    for paragraph in tree.iter(f"{_W}p"):
        nodes = [el for el in paragraph.iter(f"{_W}t", f"{_W}delText")]
        if nodes:
            new = _mask_paragraph(nodes, names)
            hits.extend(new)
            found += len(new)
    for picture in tree.iter(_DOCPR):
        for attribute in ("descr", "title", "name"):
            value = picture.get(attribute)
            if value and find_identifiers(value, global_names=names):
                picture.set(attribute, "")
                found += 1
    if not found:
        return xml
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8", standalone=True)


def _redact_docx(data: bytes, names) -> RedactedFile:
    hits: list[Hit] = []
    notes: list[dict] = []
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if _TEXT_PARTS.match(info.filename):
                content = _redact_docx_part(content, names, hits)
            elif info.filename.startswith("word/media/") and info.file_size >= LARGE_PICTURE:
                notes.append({"kind": "image", "text": info.filename.rsplit("/", 1)[-1]})
            target.writestr(info, content)
    return RedactedFile(out.getvalue(), hits, notes)


def _redact_pdf(clean: CleanFile, names) -> RedactedFile:
    pages = clean.text.split("\f") if clean.text else []
    notes = [{"kind": "scanned_page", "text": str(number)} for number, text in enumerate(pages, start=1)
             if len(text.strip()) < MIN_PAGE_TEXT]
    hits: list[Hit] = []
    redacted_pages = []
    from judging.nominations.redaction import redact

    for text in pages:
        result = redact(text, global_names=names)
        hits.extend(result.hits)
        redacted_pages.append(result.text)
    if not hits:
        return RedactedFile(clean.data, [], notes)
    from judging.documents.rendering import render_pdf

    pdf = render_pdf("reports/attachment_text.html", {"pages": redacted_pages, "name": ""})
    notes.append({"kind": "converted", "text": str(len(pages))})
    # Through the same cleaning as an upload, so the new file carries no producer or date either.
    return RedactedFile(sanitize(pdf.content, "converted.pdf").data, hits, notes, converted=True)
