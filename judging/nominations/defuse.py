"""Remove active content from attachments, so a file a judge opens can neither run code nor call home.

PDF (pikepdf, qpdf's object model): document and page actions, JavaScript, Launch, URI, SubmitForm,
GoToR, ImportData and GoToE actions wherever they hang, interactive forms with their scripts,
embedded and attached files, rich media. DOCX (the ZIP and lxml): external relationships (links,
remote images, attachedTemplate, frames, sub-documents), altChunk imports, OLE objects and packages,
ActiveX controls, macros, and fields that fetch or run something (INCLUDEPICTURE, INCLUDETEXT, LINK,
DDE, DDEAUTO, IMPORT). Each returns the cleaned bytes and what it removed, for the organizer's review.
"""

from __future__ import annotations

import io
import re
import zipfile

__all__ = ["DangerousFile", "defuse_docx", "defuse_pdf"]

#: Actions that run code, open files or reach the network.
PDF_ACTIONS = frozenset({"/JavaScript", "/Launch", "/URI", "/SubmitForm", "/GoToR", "/ImportData", "/GoToE",
                         "/Rendition", "/ResetForm", "/Movie", "/Sound", "/RichMediaExecute", "/Hide", "/Named",
                         "/SetOCGState", "/Trans", "/GoTo3DView"})
_PDF_CATALOG_KEYS = ("/OpenAction", "/AA", "/AcroForm", "/Names", "/URI", "/Outlines", "/Threads", "/SpiderInfo",
                     "/Collection", "/XFA")
_PDF_REMOVED_ANNOTS = frozenset({"/FileAttachment", "/Widget", "/Screen", "/Movie", "/Sound", "/RichMedia", "/3D"})


class DangerousFile(ValueError):
    """The file cannot be opened to be cleaned: `reason` is "encrypted" or "broken" (with `detail`)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def _action_kinds(action) -> list[str]:
    """The action's type and those of its /Next chain."""
    import pikepdf

    kinds: list[str] = []
    seen = 0
    while isinstance(action, pikepdf.Dictionary) and seen < 50:
        kinds.append(str(action.get("/S", "")))
        action = action.get("/Next")
        seen += 1
    return kinds


def defuse_pdf(data: bytes) -> tuple[bytes, list[str]]:
    """The PDF without active content, and the list of what was removed ("JavaScript", "URI" …)."""
    import pikepdf

    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError:
        raise DangerousFile("encrypted") from None
    except Exception as exc:  # qpdf reports damage in many ways
        raise DangerousFile("broken", str(exc)[:200]) from None
    removed: list[str] = []
    with pdf:
        root = pdf.Root
        for key in _PDF_CATALOG_KEYS:
            if key in root:
                if key == "/Names":
                    names = root.Names
                    removed.extend(k[1:] for k in ("/JavaScript", "/EmbeddedFiles") if k in names)
                removed.append(key[1:])
                del root[key]
        for page in pdf.pages:
            obj = page.obj
            if "/AA" in obj:
                del obj["/AA"]
                removed.append("page AA")
            annots = obj.get("/Annots")
            if annots is None:
                continue
            keep = pikepdf.Array()
            for annot in annots:
                subtype = str(annot.get("/Subtype", ""))
                if subtype in _PDF_REMOVED_ANNOTS:
                    removed.append(subtype[1:])
                    continue
                for key in ("/A", "/AA", "/PA"):
                    if key in annot:
                        kinds = _action_kinds(annot[key]) if key != "/AA" else ["additional actions"]
                        removed.extend(k.lstrip("/") for k in kinds if k.lstrip("/"))
                        del annot[key]
                if "/FS" in annot:
                    del annot["/FS"]
                    removed.append("file specification")
                keep.append(annot)
            if len(keep):
                obj.Annots = keep
            else:
                del obj["/Annots"]
        out = io.BytesIO()
        pdf.remove_unreferenced_resources()
        pdf.save(out, encryption=False, linearize=False)
    return out.getvalue(), sorted(set(removed))


_NS = {
    "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
    "ct": "http://schemas.openxmlformats.org/package/2006/content-types",
    "o": "urn:schemas-microsoft-com:office:office",
}
_R = "{%s}" % _NS["r"]
_W = "{%s}" % _NS["w"]
# Relationship types whose target is imported or executed, even when it is inside the package.
_ACTIVE_TYPES = re.compile(r"/(?:aFChunk|oleObject|package|control|activeXControl|vbaProject|subDocument|"
                           r"attachedTemplate|frame|wordVbaData)$")
_ACTIVE_PARTS = re.compile(r"^(?:word/(?:embeddings|activeX)/|word/vbaProject\.bin$|word/vbaData\.xml$|"
                           r"word/afchunk|word/[^/]*\.(?:mht|mhtml|html?|rtf)$)", re.IGNORECASE)
# Elements that embed or import: altChunk, OLE objects, ActiveX controls, framesets, attached template.
_ACTIVE_ELEMENTS = ("altChunk", "object", "control", "frameset", "attachedTemplate", "subDoc")
_ACTIVE_FIELD = re.compile(r"^\s*(?:INCLUDEPICTURE|INCLUDETEXT|LINK|DDE|DDEAUTO|IMPORT|HYPERLINK|MACROBUTTON)\b",
                           re.IGNORECASE)


def _rels_source(rels_name: str) -> str:
    """word/_rels/document.xml.rels → word/document.xml."""
    folder, _, base = rels_name.rpartition("_rels/")
    return folder + base[: -len(".rels")]


def _clean_rels(xml: bytes, removed: list[str]) -> tuple[bytes, set[str], set[str]]:
    """Drop external and active relationships; (new xml, ids dropped, internal targets dropped)."""
    from lxml import etree

    tree = etree.fromstring(xml, etree.XMLParser(resolve_entities=False))
    ids: set[str] = set()
    targets: set[str] = set()
    for rel in list(tree):
        kind = rel.get("Type", "")
        external = rel.get("TargetMode", "") == "External"
        if external or _ACTIVE_TYPES.search(kind):
            ids.add(rel.get("Id", ""))
            removed.append(("external " if external else "") + kind.rsplit("/", 1)[-1])
            if not external:
                targets.add(rel.get("Target", ""))
            tree.remove(rel)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8", standalone=True), ids, targets


def _clean_part(xml: bytes, dropped_ids: set[str], removed: list[str]) -> bytes:
    """A WordprocessingML part without active elements, fetching fields or references to dropped links."""
    from lxml import etree

    try:
        tree = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, huge_tree=False))
    except etree.XMLSyntaxError:
        return xml
    changed = False
    for name in _ACTIVE_ELEMENTS:
        for element in tree.iter(f"{_W}{name}", f"{{{_NS['o']}}}OLEObject"):
            if element.getparent() is not None:
                removed.append(etree.QName(element).localname)
                element.getparent().remove(element)
                changed = True
    for instr in tree.iter(f"{_W}instrText"):
        if instr.text and _ACTIVE_FIELD.match(instr.text):
            removed.append("field " + instr.text.split()[0].upper())
            instr.text = ""
            changed = True
    for simple in tree.iter(f"{_W}fldSimple"):
        if _ACTIVE_FIELD.match(simple.get(f"{_W}instr", "")):
            removed.append("field " + simple.get(f"{_W}instr").split()[0].upper())
            simple.set(f"{_W}instr", "")
            changed = True
    if dropped_ids:
        for element in list(tree.iter()):
            for attribute in list(element.attrib):
                if attribute.startswith(_R) and element.attrib[attribute] in dropped_ids:
                    del element.attrib[attribute]
                    changed = True
                    if element.tag == f"{_W}hyperlink":  # keep the link's text, lose the link
                        parent = element.getparent()
                        index = parent.index(element)
                        for child in list(element):
                            parent.insert(index, child)
                            index += 1
                        parent.remove(element)
                        break
    if not changed:
        return xml
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8", standalone=True)


def defuse_docx(data: bytes) -> tuple[bytes, list[str]]:
    """The DOCX without active content (see the module docstring), and what was removed."""
    try:
        source = zipfile.ZipFile(io.BytesIO(data))
        entries = {info.filename: source.read(info) for info in source.infolist()}
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise DangerousFile("broken", str(exc)[:200]) from None
    removed: list[str] = []
    dropped: dict[str, set[str]] = {}
    dropped_parts: set[str] = set()
    for name in [n for n in entries if n.endswith(".rels")]:
        try:
            entries[name], ids, targets = _clean_rels(entries[name], removed)
        except Exception as exc:  # a relationship part that is not XML: the package is damaged
            raise DangerousFile("broken", f"{name}: {exc}"[:200]) from None
        source_part = _rels_source(name)
        dropped[source_part] = ids
        folder = source_part.rpartition("/")[0]
        dropped_parts.update((f"{folder}/{t}" if folder and not t.startswith("/") else t.lstrip("/"))
                             for t in targets)
    for name in list(entries):
        if name in dropped_parts or _ACTIVE_PARTS.match(name):
            removed.append("part " + name)
            del entries[name]
            entries.pop(_rels_name(name), None)
        elif name.endswith(".xml") and name.startswith("word/"):
            entries[name] = _clean_part(entries[name], dropped.get(name, set()), removed)
    if "[Content_Types].xml" in entries:
        entries["[Content_Types].xml"] = _clean_content_types(entries["[Content_Types].xml"], set(entries))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, content in entries.items():
            target.writestr(name, content)
    return out.getvalue(), sorted(set(removed))


def _rels_name(part: str) -> str:
    folder, _, base = part.rpartition("/")
    return f"{folder}/_rels/{base}.rels" if folder else f"_rels/{base}.rels"


def _clean_content_types(xml: bytes, present: set[str]) -> bytes:
    """No override for a part that is gone, and no macro content type."""
    from lxml import etree

    tree = etree.fromstring(xml, etree.XMLParser(resolve_entities=False))
    for override in list(tree):
        part = (override.get("PartName") or "").lstrip("/")
        if etree.QName(override).localname == "Override" and part and part not in present:
            tree.remove(override)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8", standalone=True)
