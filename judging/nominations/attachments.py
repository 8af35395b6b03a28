"""Check attachment types by content, strip identifying metadata, extract text, unpack ZIP uploads safely."""

from __future__ import annotations

import io
import posixpath
import re
import stat
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

from judging.nominations.defuse import DangerousFile, defuse_docx, defuse_pdf

__all__ = [
    "KINDS",
    "AttachmentError",
    "CleanFile",
    "blinded_name",
    "detect_kind",
    "read_zip_archive",
    "sanitize",
]

# User-facing texts in one place, ready for Babel.
MESSAGES = {
    "too_big": "The file is larger than {limit} MB.",
    "empty": "The file is empty.",
    "unknown_type": "Only PDF, Word (.docx), PNG and JPEG files are accepted; this file is none of these.",
    "macro": "Word files with macros (.docm) are not accepted; save the document as .docx.",
    "encrypted_pdf": "The PDF is password-protected; upload it without a password.",
    "broken": "The {kind} file is damaged and cannot be read ({detail}).",
    "too_many_pixels": "The image is too large ({pixels} pixels, at most {limit}).",
    "not_zip": "The archive is not a valid ZIP file.",
    "too_many_files": "The archive holds more than {limit} files.",
    "unsafe_path": "The archive contains an unsafe path (absolute, “..”, drive letter or backslash).",
    "symlink": "The archive contains a symbolic link.",
    "zip_encrypted": "The archive or a file in it is password-protected.",
    "duplicate": "The archive contains this file name twice.",
    "zip_too_big": "The archive unpacks to more than {limit} MB.",
    "zip_file_too_big": "A file in the archive unpacks to more than {limit} MB.",
    "zip_ratio": "The file is compressed suspiciously well (more than {limit}:1); it may be a ZIP bomb.",
    "zip_size_mismatch": "The file is larger than the archive declares; the archive is damaged or malicious.",
    "zip_bad_member": "A file in the archive is damaged ({detail}).",
}

#: kind -> extension used for the renamed, blinded file
KINDS = {"pdf": "pdf", "docx": "docx", "png": "png", "jpeg": "jpg"}

_MB = 1024 * 1024


class AttachmentError(ValueError):
    """An upload that cannot be accepted: `name` is the file (or archive member), `problem` why."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"{name}: {problem}")
        self.name = name
        self.problem = problem


@dataclass(frozen=True)
class CleanFile:
    """An accepted attachment after metadata removal.

    `text` is the extracted text for the leftover check ("" for images).
    """

    kind: str
    ext: str
    data: bytes
    text: str
    declared_name: str
    removed: tuple[str, ...] = ()  # active content taken out (defuse.py), for the organizer's review
    refusal: str = ""  # why the file was refused (then `data` is empty and nothing reaches a judge)


def blinded_name(code: str, index: int, ext: str) -> str:
    """The name a judge sees: the submission code and a number, never the uploader's file name."""
    return f"{code}-{index:02d}.{ext}"


# --- ZIP containers (uploads and DOCX) --------------------------------------------------------

def _member_name(info: zipfile.ZipInfo) -> str:
    """The member's real name, repairing names written by Chinese-locale Windows tools.

    Without the UTF-8 flag (bit 11) the ZIP format says the name is CP437;
    Python decodes it so. Windows' built-in zipper and older WinRAR write the
    system code page (GBK) instead, so re-encode to the raw bytes and decode
    as UTF-8 (macOS and some tools omit the flag) or else GB18030.
    """
    if info.flag_bits & 0x800:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return info.filename


_DRIVE = re.compile(r"^[A-Za-z]:")
_JUNK = re.compile(r"(^|/)(__MACOSX/|\.DS_Store$|Thumbs\.db$|desktop\.ini$)", re.IGNORECASE)


def _check_path(name: str) -> None:
    if (
        not name
        or "\\" in name
        or name.startswith("/")
        or _DRIVE.match(name)
        or any(part == ".." for part in name.split("/"))
        or any(ord(ch) < 32 for ch in name)
    ):
        raise AttachmentError(name, MESSAGES["unsafe_path"])


def _read_member(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    name: str,
    *,
    budget: int,
    max_file_size: int,
    max_ratio: float,
    ratio_floor: int,
) -> bytes:
    """Read one member in chunks, stopping as soon as any limit is passed."""
    chunks = []
    size = 0
    limit = min(max_file_size, budget, info.file_size)
    try:
        with archive.open(info) as member:
            while True:
                chunk = member.read(64 * 1024)
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    if size > info.file_size:
                        raise AttachmentError(name, MESSAGES["zip_size_mismatch"])
                    if size > max_file_size:
                        raise AttachmentError(name, MESSAGES["zip_file_too_big"].format(limit=max_file_size // _MB))
                    raise AttachmentError(name, MESSAGES["zip_too_big"].format(limit=budget // _MB))
                if size > ratio_floor and size > max_ratio * max(info.compress_size, 1):
                    raise AttachmentError(name, MESSAGES["zip_ratio"].format(limit=int(max_ratio)))
                chunks.append(chunk)
    except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
        raise AttachmentError(name, MESSAGES["zip_bad_member"].format(detail=exc)) from None
    except Exception as exc:  # zlib.error and friends from a corrupt stream
        if isinstance(exc, AttachmentError):
            raise
        raise AttachmentError(name, MESSAGES["zip_bad_member"].format(detail=exc)) from None
    return b"".join(chunks)


def _members_to_read(
    infos: list[zipfile.ZipInfo],
    *,
    max_files: int,
    max_total_uncompressed: int,
    max_file_size: int,
    max_ratio: float,
    ratio_floor: int,
    archive_name: str,
) -> list[tuple[zipfile.ZipInfo, str]]:
    """The members worth reading, with their names; refused on what the archive declares, before
    anything is inflated (see :func:`read_zip_archive` for the limits)."""
    members: list[tuple[zipfile.ZipInfo, str]] = []
    seen: set[str] = set()
    declared_total = 0
    for info in infos:
        name = _member_name(info)
        _check_path(name)
        if stat.S_ISLNK(info.external_attr >> 16):
            raise AttachmentError(name, MESSAGES["symlink"])
        if info.is_dir() or _JUNK.search(name):
            continue
        if info.flag_bits & 0x1:
            raise AttachmentError(name, MESSAGES["zip_encrypted"])
        folded = posixpath.normpath(name).casefold()
        if folded in seen:
            raise AttachmentError(name, MESSAGES["duplicate"])
        seen.add(folded)
        if len(members) >= max_files:
            raise AttachmentError(archive_name, MESSAGES["too_many_files"].format(limit=max_files))
        if info.file_size > max_file_size:
            raise AttachmentError(name, MESSAGES["zip_file_too_big"].format(limit=max_file_size // _MB))
        if info.file_size > ratio_floor and info.file_size > max_ratio * max(info.compress_size, 1):
            raise AttachmentError(name, MESSAGES["zip_ratio"].format(limit=int(max_ratio)))
        declared_total += info.file_size
        if declared_total > max_total_uncompressed:
            raise AttachmentError(
                archive_name, MESSAGES["zip_too_big"].format(limit=max_total_uncompressed // _MB)
            )
        members.append((info, name))
    return members


def read_zip_archive(
    data: bytes,
    *,
    max_files: int = 200,
    max_total_uncompressed: int = 500 * _MB,
    max_file_size: int = 100 * _MB,
    max_ratio: float = 100.0,
    ratio_floor: int = _MB,
    archive_name: str = "archive.zip",
) -> dict[str, bytes]:
    """Unpack an uploaded ZIP safely into ``{name: bytes}``.

    Parameters
    ----------
    data : bytes
        The archive.
    max_files : int
        Most members accepted (directories and OS junk such as ``__MACOSX/``,
        ``.DS_Store`` and ``Thumbs.db`` are skipped and not counted).
    max_total_uncompressed, max_file_size : int
        Byte limits on all members together and on any one member, checked
        on the sizes the archive declares and again while reading.
    max_ratio : float
        Highest accepted uncompressed/compressed ratio, applied once a member
        has unpacked past `ratio_floor` bytes (small files of repeated bytes
        are legitimately very compressible).

    Returns
    -------
    dict of str to bytes
        In archive order, names with "/" separators as stored.

    Raises
    ------
    AttachmentError
        With the offending member's name (or `archive_name`): path traversal
        (``..``, absolute paths, drive letters, backslashes, control
        characters), symbolic links, encryption, duplicate names (compared
        case-insensitively, as Windows would), too many files, size or ratio
        limits, or a damaged archive. Members are read in 64 KiB chunks, so a
        ZIP bomb is stopped at the limit, not after inflating.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise AttachmentError(archive_name, MESSAGES["not_zip"]) from None

    members = _members_to_read(infos, max_files=max_files, max_total_uncompressed=max_total_uncompressed,
                               max_file_size=max_file_size, max_ratio=max_ratio, ratio_floor=ratio_floor,
                               archive_name=archive_name)

    out: dict[str, bytes] = {}
    used = 0
    for info, name in members:
        content = _read_member(
            archive,
            info,
            name,
            budget=max_total_uncompressed - used,
            max_file_size=max_file_size,
            max_ratio=max_ratio,
            ratio_floor=ratio_floor,
        )
        used += len(content)
        out[name] = content
    return out


# --- type detection ----------------------------------------------------------------------------

def detect_kind(data: bytes) -> str | None:
    """"pdf", "docx", "png", "jpeg" judged from the bytes, or None.

    A DOCX is a ZIP holding ``[Content_Types].xml`` and ``word/document.xml``;
    other Office files, and ZIPs in general, are not attachments.
    """
    if data[:1024].find(b"%PDF-") != -1:
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            return None
        if "[Content_Types].xml" in names and "word/document.xml" in names:
            return "docx"
    return None


# --- images --------------------------------------------------------------------------------------

def _clean_image(data: bytes, kind: str, name: str, max_pixels: int) -> bytes:
    """Re-encode from pixels only: EXIF (GPS, camera owner), XMP, comments and text chunks go."""
    from PIL import Image, ImageOps

    fmt = {"png": "PNG", "jpeg": "JPEG"}[kind]
    # Pillow's decompression-bomb threshold (read, never changed: it is process-wide) caps ours, so an image
    # Pillow would only warn about is refused here, from its header, before a pixel is decoded.
    limit = min(max_pixels, Image.MAX_IMAGE_PIXELS or max_pixels)
    try:
        image = Image.open(io.BytesIO(data))
        if image.format != fmt:
            raise AttachmentError(name, MESSAGES["unknown_type"])
        pixels = image.size[0] * image.size[1]
        if pixels > limit:
            raise AttachmentError(name, MESSAGES["too_many_pixels"].format(pixels=pixels, limit=limit))
        image.load()
        if kind == "jpeg":
            # The orientation lives in EXIF; apply it before EXIF is dropped.
            image = ImageOps.exif_transpose(image)
        clean = image.copy()
    except AttachmentError:
        raise
    except Image.DecompressionBombError:
        raise AttachmentError(name, MESSAGES["too_many_pixels"].format(pixels="?", limit=max_pixels)) from None
    except Exception as exc:  # Pillow raises many types for corrupt files
        raise AttachmentError(name, MESSAGES["broken"].format(kind=fmt, detail=exc)) from None
    # Only the transparency key survives: it is pixel data that Pillow happens to keep in info.
    clean.info = {k: v for k, v in clean.info.items() if k == "transparency"}
    out = io.BytesIO()
    if kind == "jpeg":
        if clean.mode not in ("RGB", "L", "CMYK"):
            clean = clean.convert("RGB")
        clean.save(out, "JPEG", quality=92, optimize=True)
    else:
        clean.save(out, "PNG", optimize=True)
    return out.getvalue()


# --- PDF -------------------------------------------------------------------------------------------

def _clean_pdf(data: bytes, name: str, max_text_pages: int) -> tuple[bytes, str, list[str]]:
    from pypdf import PdfReader, PdfWriter
    from pypdf.errors import PdfReadError
    from pypdf.generic import NameObject

    try:
        data, removed = defuse_pdf(data)
    except DangerousFile as exc:
        detail = MESSAGES["encrypted_pdf"] if exc.reason == "encrypted" else \
            MESSAGES["broken"].format(kind="PDF", detail=exc.detail)
        raise AttachmentError(name, detail) from None
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                if not reader.decrypt(""):
                    raise AttachmentError(name, MESSAGES["encrypted_pdf"])
            except (NotImplementedError, PdfReadError):
                raise AttachmentError(name, MESSAGES["encrypted_pdf"]) from None
        pages = list(reader.pages)
        # Scrub the pages in the reader, before copying, so nothing removed is copied.
        for page in pages:
            # /AA: page open/close actions (JavaScript can run there).
            for key in ("/Metadata", "/PieceInfo", "/AA"):
                if key in page:
                    del page[NameObject(key)]
            for annot in page.get("/Annots", None) or []:
                annot = annot.get_object()
                # Markup annotations carry their author in /T (and a /Popup repeating it).
                for key in ("/T", "/Popup", "/M", "/CreationDate", "/NM"):
                    if key in annot:
                        del annot[NameObject(key)]
        # A new document holding only the pages (and what they reference) leaves behind
        # everything hung on the catalog: the Info dictionary, XMP metadata, embedded
        # files (e.g. the original Word file), document JavaScript, bookmarks, the file
        # identifier. Bookmarks are the one loss a reader may notice.
        writer = PdfWriter()
        for page in pages:
            writer.add_page(page)
        writer.metadata = None  # pypdf would otherwise add its own /Producer
        out = io.BytesIO()
        writer.write(out)
        cleaned = out.getvalue()
    except AttachmentError:
        raise
    except Exception as exc:  # pypdf raises many types for corrupt files
        raise AttachmentError(name, MESSAGES["broken"].format(kind="PDF", detail=exc)) from None

    texts = []
    try:
        for page in PdfReader(io.BytesIO(cleaned)).pages[:max_text_pages]:
            texts.append(page.extract_text() or "")
    except Exception:  # text extraction is best effort; the file itself is fine
        pass
    return cleaned, "\f".join(texts), removed


# --- DOCX ------------------------------------------------------------------------------------------

_APP_XML = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"'
    b' xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"/>'
)
_CUSTOM_XML = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"'
    b' xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"/>'
)
# Attributes naming people in comments, tracked changes and the people part (w:author,
# w:initials, w15:author, w15:userId, w15:providerId), blanked wherever they appear.
_PERSON_ATTRIBUTES = {"author", "initials", "userId", "providerId"}


def _blank_person_attributes(xml: bytes) -> bytes:
    from lxml import etree

    try:
        tree = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, huge_tree=False))
    except etree.XMLSyntaxError:
        return xml
    changed = False
    for element in tree.iter():
        for attribute in list(element.attrib):
            if etree.QName(attribute).localname in _PERSON_ATTRIBUTES and element.attrib[attribute]:
                element.attrib[attribute] = ""
                changed = True
    if not changed:
        return xml
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8", standalone=True)


def _docx_text(document) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                parts.append(cell.text)
    for section in document.sections:
        for part in (section.header, section.footer, section.first_page_header, section.first_page_footer):
            try:
                parts.extend(p.text for p in part.paragraphs)
            except Exception:  # an absent header part
                continue
    return "\n".join(p for p in parts if p)


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# Text a reader can reveal but the paragraph API does not return: comments, footnotes,
# endnotes, and tracked deletions (w:delText) anywhere.
_HIDDEN_TEXT_PARTS = ("word/comments.xml", "word/footnotes.xml", "word/endnotes.xml")


def _docx_hidden_text(name: str, xml: bytes) -> list[str]:
    from lxml import etree

    try:
        tree = etree.fromstring(xml, etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError:
        return []
    tags = (f"{_W}t", f"{_W}delText") if name in _HIDDEN_TEXT_PARTS else (f"{_W}delText",)
    texts = []
    for paragraph in tree.iter(f"{_W}p"):
        text = "".join(el.text or "" for el in paragraph.iter(*tags))
        if text:
            texts.append(text)
    return texts


def _clean_docx(data: bytes, name: str, max_bytes: int, max_pixels: int) -> tuple[bytes, str, list[str]]:
    import docx

    # The container is a ZIP from the uploader: same bomb and path checks as an upload.
    entries = read_zip_archive(
        data, max_files=2000, max_total_uncompressed=4 * max_bytes, max_file_size=2 * max_bytes,
        archive_name=name,
    )
    content_types = entries.get("[Content_Types].xml", b"")
    if "word/vbaProject.bin" in entries or b"macroEnabled" in content_types:
        raise AttachmentError(name, MESSAGES["macro"])
    try:
        document = docx.Document(io.BytesIO(data))
        core = document.core_properties._element  # noqa: SLF001 - no public way to drop dates
        for child in list(core):
            core.remove(child)  # author, last modified by, title, subject, keywords, dates …
        out = io.BytesIO()
        document.save(out)
        text = _docx_text(document)
    except AttachmentError:
        raise
    except Exception as exc:  # python-docx raises many types for corrupt files
        raise AttachmentError(name, MESSAGES["broken"].format(kind="Word", detail=exc)) from None

    hidden: list[str] = []
    rewritten = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as saved, zipfile.ZipFile(
        rewritten, "w", zipfile.ZIP_DEFLATED
    ) as target:
        for info in saved.infolist():
            content = saved.read(info)
            lower = info.filename.lower()
            if lower == "docprops/app.xml":
                content = _APP_XML  # Company, Manager, template, editing time
            elif lower == "docprops/custom.xml":
                content = _CUSTOM_XML
            elif lower.startswith("word/") and lower.endswith(".xml"):
                content = _blank_person_attributes(content)
                hidden.extend(_docx_hidden_text(lower, content))
            elif lower.endswith((".jpg", ".jpeg", ".png")):  # word/media/*, docProps/thumbnail.jpeg
                kind = detect_kind(content)
                if kind in ("png", "jpeg"):
                    try:
                        content = _clean_image(content, kind, info.filename, max_pixels)
                    except AttachmentError:
                        pass  # an unreadable embedded picture is kept as Word stored it
            target.writestr(info.filename, content)
    try:
        defused, removed = defuse_docx(rewritten.getvalue())
    except DangerousFile as exc:
        raise AttachmentError(name, MESSAGES["broken"].format(kind="Word", detail=exc.detail)) from None
    return defused, "\n".join([text, *hidden]) if hidden else text, removed


# --- entry point -------------------------------------------------------------------------------------

def sanitize(
    data: bytes,
    declared_name: str,
    *,
    max_bytes: int = 50 * _MB,
    max_pixels: int = 60_000_000,
    max_text_pages: int = 300,
) -> CleanFile:
    """Accept one attachment: check its type by content and strip identifying metadata.

    Parameters
    ----------
    data : bytes
        The uploaded file.
    declared_name : str
        The uploader's file name, used only in errors and kept on the result;
        the judge sees :func:`blinded_name` instead.
    max_bytes : int
        Largest accepted file.
    max_pixels : int
        Largest accepted image (width x height), against decompression bombs.
    max_text_pages : int
        PDF pages whose text is extracted for the leftover check.

    Returns
    -------
    CleanFile

    Notes
    -----
    - PDF: rewritten by pypdf as a new document holding only the pages, so
      the Info dictionary, XMP metadata, embedded files, document JavaScript,
      bookmarks and the file identifier are gone; page metadata and
      annotation authors are removed too.
    - DOCX: all core properties (author, last modified by, title, subject,
      keywords, comments, revision, dates …) are removed with python-docx;
      app properties (Company, Manager …) and custom properties are replaced
      by empty parts; comment and tracked-change authors are blanked; embedded
      PNG/JPEG pictures are re-encoded like images. Macro documents are refused.
      The text for the leftover check also covers tables, headers, footers,
      comments, footnotes, endnotes and tracked deletions, which a reader of
      the file can reveal.
    - PNG/JPEG: re-encoded from the pixels alone, which drops EXIF (including
      GPS), XMP, ICC profiles, comments and PNG text chunks; JPEG orientation
      is applied first so the picture stays upright. JPEGs are re-compressed
      at quality 92.

    Raises
    ------
    AttachmentError
        Unknown type, too large, damaged, encrypted PDF or macro document.
    """
    if not data:
        raise AttachmentError(declared_name, MESSAGES["empty"])
    if len(data) > max_bytes:
        raise AttachmentError(declared_name, MESSAGES["too_big"].format(limit=max_bytes // _MB))
    kind = detect_kind(data)
    if kind is None:
        raise AttachmentError(declared_name, MESSAGES["unknown_type"])
    cleaners: dict[str, Callable[[], tuple[bytes, str, list[str]]]] = {
        "pdf": lambda: _clean_pdf(data, declared_name, max_text_pages),
        "docx": lambda: _clean_docx(data, declared_name, max_bytes, max_pixels),
        "png": lambda: (_clean_image(data, "png", declared_name, max_pixels), "", []),
        "jpeg": lambda: (_clean_image(data, "jpeg", declared_name, max_pixels), "", []),
    }
    cleaned, text, removed = cleaners[kind]()
    return CleanFile(kind, KINDS[kind], cleaned, text, declared_name, tuple(removed))
