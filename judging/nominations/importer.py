"""Import nominations from a CSV/XLSX table and a ZIP of attachments: all or nothing, or the valid rows.

One call, one transaction (the caller's): read and validate every row, unpack and clean every
referenced attachment, then — only if nothing is wrong, or the organizer chose to keep the valid
rows — redact and store. A rejected import stores nothing but its own report (the
``nomination_imports`` row with the errors). Re-importing the same rows changes nothing: a row is
known by its fingerprint (category, city, title, employer, first inventor); a changed row updates a
nomination still under review and is reported, not applied, for a confirmed one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import posixpath
from collections.abc import Callable, Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from judging import audit
from judging.editions.models import Edition
from judging.nominations import service
from judging.nominations.attachments import AttachmentError, CleanFile, read_zip_archive, sanitize
from judging.nominations.models import (
    Attachment, Nomination, NominationFlag, NominationIdentity, NominationImport, NominationOriginal, NominationStatus,
)
from judging.nominations.redaction import leftovers, redact
from judging.nominations.rows import NominationRow, parse_nomination_rows
from judging.nominations.storage import AttachmentStore
from judging.tabular import TableError, read_table
from judging.textsim import near_duplicates, normalize_company, normalize_text

# User-facing texts in one place (translated by service.translate_problem through nominations.po).
MESSAGES = {
    "missing_attachment": "The attachment “{value}” is not in the archive.",
    "no_archive": "The row lists attachments, but no archive was uploaded.",
    "confirmed_changed": "This nomination is already confirmed; the changed row was not applied. Edit it on its page.",
    "no_units": "Enter the cities and their employee counts (quotas page) before importing.",
}

MAX_ROWS = 50_000
SIMILARITY = 0.85
MAX_SIMILAR_FLAGS = 5  # per nomination: the most similar others; a template text shared by hundreds says little more
Progress = Callable[[float, str], None]


@dataclass
class _Planned:
    row: NominationRow
    existing_id: int | None
    files: list[CleanFile]


def _find_member(files: dict[str, bytes], name: str) -> str | None:
    if name in files:
        return name
    folded = name.casefold()
    by_full = {k.casefold(): k for k in files}
    if folded in by_full:
        return by_full[folded]
    base = posixpath.basename(folded)
    matches = [k for k in files if posixpath.basename(k).casefold() == base]
    return matches[0] if len(matches) == 1 else None


def _error(row: int | None, column: str | None, problem: str) -> dict:
    return {"row": row, "column": column, "problem": problem}


def import_nominations(
    session: Session,
    *,
    edition: Edition,
    table_data: bytes,
    filename: str,
    archive_data: bytes | None = None,
    archive_name: str = "",
    keep_valid: bool = False,
    store: AttachmentStore,
    by: audit.Actor,
    progress: Progress | None = None,
    written: list[str] | None = None,
    correctable: Collection[int] = frozenset(),
) -> NominationImport:
    """Import one upload into `edition` (see the module docstring); returns the import's report row.

    Files written to `store` belong to this transaction: if the caller rolls back, it should remove
    ``record.written`` (kept on the returned object) from the store. ``correctable``: nominations whose
    corrected row may still arrive (formal review returned them); an updated one goes back to RECEIVED
    and is listed in ``record.resubmitted`` as ``(nomination id, source)`` for the caller to record.
    """
    report = progress or (lambda fraction, message="": None)
    record = NominationImport(edition_id=edition.id, filename=filename[:300], archive_name=archive_name[:300],
                              sha256=hashlib.sha256(table_data + (archive_data or b"")).hexdigest(),
                              keep_valid=keep_valid, status="rejected", created_by_id=by.id, errors=[])
    record.written = written if written is not None else []  # type: ignore[attr-defined]
    record.resubmitted = []  # type: ignore[attr-defined]
    errors: list[dict] = []
    notices: list[dict] = []

    def reject(problems: list[dict]) -> NominationImport:
        record.status, record.errors = "rejected", problems
        session.add(record)
        session.flush()
        audit.append(session, actor=by, action="nomination_import.rejected", object_type="nomination_import",
                     object_id=record.id, data={"file": record.filename, "sha256": record.sha256,
                                                "errors": len(problems)})
        return record

    units = service.known_units(session, edition=edition)
    if not units:
        return reject([_error(None, None, MESSAGES["no_units"])])
    report(0.02, "reading the table")
    try:
        table = read_table(table_data, filename, max_rows=MAX_ROWS)
    except TableError as exc:
        return reject([_error(1, None, str(exc))])
    record.rows = len(table.rows)
    categories = {c.key.value: c for c in edition.categories}
    report(0.08, "checking rows")
    rows, row_errors = parse_nomination_rows(table, known_cities=units, categories=categories)
    errors.extend(_error(e.row, e.column, e.problem) for e in row_errors)
    if row_errors and row_errors[0].row == 1 and row_errors[0].column is None and not rows:
        return reject(errors)  # a missing column: nothing else to say

    files: dict[str, bytes] = {}
    if archive_data:
        report(0.15, "unpacking attachments")
        try:
            files = read_zip_archive(archive_data, archive_name=archive_name or "archive.zip")
        except AttachmentError as exc:
            errors.append(_error(None, exc.name, exc.problem))

    existing = {fp: (nid, digest, status) for fp, nid, digest, status in session.execute(
        select(NominationOriginal.fingerprint, NominationOriginal.nomination_id, NominationOriginal.content_digest,
               Nomination.status)
        .join(Nomination, Nomination.id == NominationOriginal.nomination_id)
        .where(NominationOriginal.edition_id == edition.id))}
    attachment_header = next((h for h in table.headers if h and h.strip() and h.strip() in
                              ("附件", "附件文件", "附件名称", "附件清单", "attachments", "files")), "attachments")
    planned: list[_Planned] = []
    unchanged = 0
    archive_failed = any(e["row"] is None for e in errors)
    for position, row in enumerate(rows):
        if position % 500 == 0:
            report(0.15 + 0.25 * position / max(len(rows), 1), "checking attachments")
        known = existing.get(row.fingerprint)
        if known is not None and known[1] == row.content_digest:
            unchanged += 1
            continue
        if known is not None and known[2] is not NominationStatus.RECEIVED and known[0] not in correctable:
            notices.append(_error(row.row, None, MESSAGES["confirmed_changed"]))
            unchanged += 1
            continue
        cleaned: list[CleanFile] = []
        row_ok = True
        for name in row.attachments:
            if not archive_data:
                errors.append(_error(row.row, attachment_header, MESSAGES["no_archive"]))
                row_ok = False
                break
            if archive_failed:
                row_ok = False
                break
            member = _find_member(files, name)
            if member is None:
                errors.append(_error(row.row, attachment_header, MESSAGES["missing_attachment"].format(value=name)))
                row_ok = False
                continue
            try:
                cleaned.append(sanitize(files[member], name))
            except AttachmentError as exc:
                errors.append(_error(row.row, attachment_header, f"{exc.name}: {exc.problem}"))
                row_ok = False
        if row_ok:
            planned.append(_Planned(row, known[0] if known else None, cleaned))

    errors.sort(key=lambda e: (e["row"] or 0, e["column"] or ""))
    if errors and not keep_valid:
        return reject(errors + notices)

    # ---- store: redact against the whole edition's names, then write
    report(0.42, "redacting")
    index = service.name_index(session, edition_id=edition.id,
                               extra_persons=[p for plan in planned for p in plan.row.inventors],
                               extra_employers=[plan.row.employer for plan in planned])
    session.add(record)
    session.flush()
    created_ids: list[int] = []
    updated_ids: list[int] = []
    leftover_flags: list[tuple[Nomination, Attachment, list[dict]]] = []
    chunk: list[tuple[Nomination, _Planned, dict]] = []

    def flush_chunk() -> None:
        session.flush()
        for nomination, plan, masked in chunk:
            row = plan.row
            if plan.existing_id is None:
                session.add(NominationOriginal(
                    nomination_id=nomination.id, edition_id=edition.id, fingerprint=row.fingerprint,
                    content_digest=row.content_digest, title=row.title, summary=row.summary, body=row.body,
                    name_after_creator=row.name_after_creator, employer_forms=[], masked=masked,
                    import_id=record.id, source_row=row.row))
                created_ids.append(nomination.id)
        chunk.clear()

    for position, plan in enumerate(planned):
        if position % 500 == 0:
            report(0.42 + 0.4 * position / max(len(planned), 1), "redacting and storing")
        row = plan.row
        own = row.identifying_strings()
        names = service.OwnAndEditionNames(own, index)
        masked: list[dict] = []
        texts = {}
        for name in ("title", "summary", "body"):
            result = redact(getattr(row, name), global_names=names)
            texts[name] = result.text
            masked.extend(service.hits_json(name, result.hits))
        category = categories[row.category]
        if plan.existing_id is None:
            nomination = Nomination(edition_id=edition.id, category_id=category.id, status=NominationStatus.RECEIVED,
                                    **texts)
            nomination.identity = NominationIdentity(
                inventors=list(row.inventors), employer=row.employer, city=row.city, industry=row.industry,
                patents=list(row.patents), contact_phone=row.phone, contact_email=row.email,
                completed_on=dt.date.fromisoformat(row.completed_on) if row.completed_on else None,
                first_inventor_frontline=row.frontline)
            session.add(nomination)
        else:
            nomination = session.get(Nomination, plan.existing_id)
            for name, value in texts.items():
                setattr(nomination, name, value)
            nomination.category_id = category.id
            identity = session.get(NominationIdentity, nomination.id)
            identity.inventors, identity.employer, identity.city = list(row.inventors), row.employer, row.city
            identity.industry, identity.patents = row.industry, list(row.patents)
            identity.contact_phone, identity.contact_email = row.phone, row.email
            identity.completed_on = dt.date.fromisoformat(row.completed_on) if row.completed_on else None
            identity.first_inventor_frontline = row.frontline
            original = session.get(NominationOriginal, nomination.id)
            original.content_digest, original.title, original.summary, original.body = (
                row.content_digest, row.title, row.summary, row.body)
            original.name_after_creator, original.masked = row.name_after_creator, masked
            original.import_id, original.source_row = record.id, row.row
            nomination.attachments.clear()
            session.flush()
            updated_ids.append(nomination.id)
            if nomination.id in correctable:
                # The corrected text needs its redaction reviewed again, then a new formal-review decision.
                nomination.status = NominationStatus.RECEIVED
                record.resubmitted.append((nomination.id, f"import {record.id} row {row.row}"))
        for number, clean in enumerate(plan.files, start=1):
            stored = store.put(clean.data)
            record.written.append(stored)  # type: ignore[attr-defined]
            attachment = Attachment(position=number, original_name=clean.declared_name[:300], stored_name=stored,
                                    kind=clean.kind, size=len(clean.data),
                                    sha256=hashlib.sha256(clean.data).hexdigest())
            nomination.attachments.append(attachment)
            if clean.text:
                found = leftovers(clean.text, global_names=names)
                if found:
                    leftover_flags.append((nomination, attachment, service.hits_json("attachment", found)))
        chunk.append((nomination, plan, masked))
        if len(chunk) >= 1000:
            flush_chunk()
    flush_chunk()
    session.flush()
    for nomination, attachment, found in leftover_flags:
        session.add(NominationFlag(nomination_id=nomination.id, kind="attachment_leftover",
                                   attachment_id=attachment.id, detail=found[:50]))

    report(0.85, "looking for duplicates")
    flagged = _flag_duplicates(session, edition=edition, new_ids=set(created_ids) | set(updated_ids))

    record.created, record.updated, record.unchanged = len(created_ids), len(updated_ids), unchanged
    record.status = "partial" if errors else "imported"
    record.errors = errors + notices
    session.flush()
    audit.append(session, actor=by, action="nomination_import.completed", object_type="nomination_import",
                 object_id=record.id,
                 data={"file": record.filename, "archive": record.archive_name, "sha256": record.sha256,
                       "keep_valid": keep_valid, "created": record.created, "updated": record.updated,
                       "unchanged": unchanged, "errors": len(errors), "duplicate_flags": flagged,
                       "attachment_flags": len(leftover_flags)})
    report(1.0, "done")
    return record


def _flag_duplicates(session: Session, *, edition: Edition, new_ids: set[int]) -> int:
    """Flag new or updated nominations that look like another of the edition: same title and employer,
    or near-identical text (character 2/3-gram cosine >= 0.85)."""
    if not new_ids:
        return 0
    rows = session.execute(
        select(Nomination.id, Nomination.title, Nomination.summary, Nomination.body, NominationIdentity.employer,
               NominationOriginal.title, NominationOriginal.summary, NominationOriginal.body)
        .join(NominationIdentity, NominationIdentity.nomination_id == Nomination.id)
        .outerjoin(NominationOriginal, NominationOriginal.nomination_id == Nomination.id)
        .where(Nomination.edition_id == edition.id, Nomination.status != NominationStatus.WITHDRAWN)
        .order_by(Nomination.id)).all()
    session.execute(NominationFlag.__table__.delete().where(
        NominationFlag.nomination_id.in_(new_ids), NominationFlag.kind.in_(["same_title_employer", "similar_text"]),
        NominationFlag.resolved_at.is_(None)))
    ids = [r[0] for r in rows]
    pairs: dict[tuple[int, int], tuple[str, float | None]] = {}
    groups: dict[tuple[str, str], list[int]] = {}
    texts = []
    for nid, title, summary, body, employer, o_title, o_summary, o_body in rows:
        key = (normalize_text(o_title or title), normalize_company(employer))
        groups.setdefault(key, []).append(nid)
        texts.append("\n".join([o_title or title, o_summary if o_title is not None else summary,
                                o_body if o_title is not None else body]))
    for members in groups.values():
        if len(members) > 1:
            for nid in members:
                if nid in new_ids:
                    other = next(m for m in members if m != nid)
                    pairs[(nid, other)] = ("same_title_employer", None)
    similar: dict[int, int] = {}
    for pair in near_duplicates(texts, SIMILARITY):  # most similar first
        a, b = ids[pair.i], ids[pair.j]
        for nid, other in ((a, b), (b, a)):
            if nid in new_ids and (nid, other) not in pairs and similar.get(nid, 0) < MAX_SIMILAR_FLAGS:
                pairs[(nid, other)] = ("similar_text", round(pair.score, 3))
                similar[nid] = similar.get(nid, 0) + 1
    for (nid, other), (kind, score) in pairs.items():
        session.add(NominationFlag(nomination_id=nid, kind=kind, other_nomination_id=other, score=score, detail=[]))
    session.flush()
    return len(pairs)
