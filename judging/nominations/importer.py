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
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from judging import audit
from judging.accounts.permissions import Ask
from judging.editions.models import Category, Edition
from judging.errors import N_
from judging.nominations import attachment_review, dictionary, masking, service
from judging.nominations.attachments import AttachmentError, CleanFile, read_zip_archive, sanitize
from judging.nominations.models import (
    Attachment, Nomination, NominationFlag, NominationIdentity, NominationImport, NominationOriginal, NominationStatus,
)
from judging.nominations.redaction import NameIndex, redact
from judging.nominations.rows import NominationRow, parse_nomination_rows
from judging.nominations.storage import AttachmentStore
from judging.stages.permissions import Capability, stage_allows
from judging.tabular import TableError, read_table
from judging.textsim import near_duplicates, normalize_company, normalize_text

# User-facing texts in one place (translated by service.translate_problem through nominations.po).
MESSAGES = {
    "missing_attachment": "The attachment “{value}” is not in the archive.",
    "no_archive": "The row lists attachments, but no archive was uploaded.",
    "confirmed_changed": "This nomination is already confirmed; the changed row was not applied. Edit it on its page.",
    "no_units": "Enter the cities and their employee counts (quotas page) before importing.",
    "intake_closed": "{category} no longer takes nominations: intake is only possible while Recommendation or "
                     "Formal review is open (reopen Formal review to take a late nomination in).",
}

MAX_ROWS = 50_000
SIMILARITY = 0.85
MAX_SIMILAR_FLAGS = 5  # per nomination: the most similar others; a template text shared by hundreds says little more
Progress = Callable[[float, str], None]


def _quiet(fraction: float, message: str = "") -> None:
    pass


class _Rejected(Exception):
    """The upload is refused as a whole: nothing is stored but the report with these problems."""

    def __init__(self, problems: list[dict]) -> None:
        super().__init__(problems)
        self.problems = problems


@dataclass
class _Upload:
    """What the upload holds once read: its valid rows, the archive's files and every problem so far."""

    rows: list[NominationRow]
    attachment_header: str  # the attachments column as the user wrote it, for the problems about it
    files: dict[str, bytes]
    archive_given: bool
    categories: dict[str, Category]
    errors: list[dict]


@dataclass
class _Planned:
    row: NominationRow
    existing_id: int | None
    files: list[CleanFile]


@dataclass
class _Plan:
    """What the import would do: the rows to write, how many are left as they are, and why."""

    planned: list[_Planned]
    unchanged: int
    errors: list[dict]   # sorted by row and column
    notices: list[dict]  # confirmed nominations whose changed row is not applied


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
    report = progress or _quiet
    record = NominationImport(edition_id=edition.id, filename=filename[:300], archive_name=archive_name[:300],
                              sha256=hashlib.sha256(table_data + (archive_data or b"")).hexdigest(),
                              keep_valid=keep_valid, status="rejected", created_by_id=by.id, errors=[])
    record.written = written if written is not None else []  # type: ignore[attr-defined]
    record.resubmitted = []  # type: ignore[attr-defined]
    try:
        upload = _read_upload(session, edition=edition, record=record, table_data=table_data, filename=filename,
                              archive_data=archive_data, archive_name=archive_name, report=report)
        plan = _plan_rows(session, edition=edition, upload=upload, correctable=correctable, report=report)
        if plan.errors and not keep_valid:
            raise _Rejected(plan.errors + plan.notices)
    except _Rejected as rejected:
        return _reject(session, record, rejected.problems, by=by)
    upload.rows, upload.files = [], {}  # planned now: the rows to write are in the plan, the rest can go
    writer = _store_nominations(session, edition=edition, record=record, plan=plan, categories=upload.categories,
                                store=store, correctable=correctable, report=report)
    plan.planned = []  # written: the texts are in the database, where the duplicate search reads them
    report(0.85, N_("Looking for duplicates"))
    flagged = _flag_duplicates(session, edition=edition, new_ids=set(writer.created_ids) | set(writer.updated_ids))
    _finish(session, record, plan=plan, writer=writer, keep_valid=keep_valid, duplicate_flags=flagged, by=by)
    report(1.0, N_("Done"))
    return record


def _reject(session: Session, record: NominationImport, problems: list[dict], *, by: audit.Actor) -> NominationImport:
    """Store only the report of a refused upload, so the organizer can read why."""
    record.status, record.errors = "rejected", problems
    session.add(record)
    session.flush()
    audit.append(session, actor=by, action="nomination_import.rejected", object_type="nomination_import",
                 object_id=record.id, data={"file": record.filename, "sha256": record.sha256,
                                            "errors": len(problems)})
    return record


def _read_upload(session: Session, *, edition: Edition, record: NominationImport, table_data: bytes, filename: str,
                 archive_data: bytes | None, archive_name: str, report: Progress) -> _Upload:
    """Read and validate the table and unpack the archive; raises _Rejected when nothing more can be said
    (no cities to check against, an unreadable table, a missing column)."""
    units = service.known_units(session, edition=edition)
    if not units:
        raise _Rejected([_error(None, None, MESSAGES["no_units"])])
    report(0.02, N_("Reading the table"))
    try:
        table = read_table(table_data, filename, max_rows=MAX_ROWS)
    except TableError as exc:
        raise _Rejected([_error(1, None, str(exc))]) from None
    record.rows = len(table.rows)
    categories = {c.key.value: c for c in edition.categories}
    report(0.08, N_("Checking rows"))
    rows, row_errors = parse_nomination_rows(table, known_cities=units, categories=categories)
    errors = [_error(e.row, e.column, e.problem) for e in row_errors]
    if row_errors and row_errors[0].row == 1 and row_errors[0].column is None and not rows:
        raise _Rejected(errors)  # a missing column: nothing else to say

    files: dict[str, bytes] = {}
    if archive_data:
        report(0.15, N_("Unpacking attachments"))
        try:
            files = read_zip_archive(archive_data, archive_name=archive_name or "archive.zip")
        except AttachmentError as exc:
            errors.append(_error(None, exc.name, exc.problem))
    attachment_header = next((h for h in table.headers if h and h.strip() and h.strip() in
                              ("附件", "附件文件", "附件名称", "附件清单", "attachments", "files")), "attachments")
    return _Upload(rows=rows, attachment_header=attachment_header, files=files, archive_given=bool(archive_data),
                   categories=categories, errors=errors)


def _plan_rows(session: Session, *, edition: Edition, upload: _Upload, correctable: Collection[int],
               report: Progress) -> _Plan:
    """Match each row against the edition's nominations by fingerprint: unchanged rows and changed rows of
    confirmed nominations are left alone; the others are planned with their cleaned attachments."""
    existing = {fp: (nid, digest, status) for fp, nid, digest, status in session.execute(
        select(NominationOriginal.fingerprint, NominationOriginal.nomination_id, NominationOriginal.content_digest,
               Nomination.status)
        .join(Nomination, Nomination.id == NominationOriginal.nomination_id)
        .where(NominationOriginal.edition_id == edition.id))}
    errors = upload.errors
    notices: list[dict] = []
    planned: list[_Planned] = []
    unchanged = 0
    archive_failed = any(e["row"] is None for e in errors)
    # A category past its intake (formal review closed, or later stages under way) takes no new or changed
    # row: it would sit 待审查 in a closed formal review, accepted silently.
    closed = {key for key, category in upload.categories.items()
              if not stage_allows(Capability.INTAKE).decide(Ask(None, category.id, session))}
    for position, row in enumerate(upload.rows):
        if position % 500 == 0:
            report(0.15 + 0.25 * position / max(len(upload.rows), 1), N_("Checking attachments"))
        known = existing.get(row.fingerprint)
        if known is not None and known[1] == row.content_digest:
            unchanged += 1
            continue
        if row.category in closed:
            errors.append(_error(row.row, None, MESSAGES["intake_closed"].format(
                category=upload.categories[row.category].name)))
            continue
        if known is not None and known[2] is not NominationStatus.RECEIVED and known[0] not in correctable:
            notices.append(_error(row.row, None, MESSAGES["confirmed_changed"]))
            unchanged += 1
            continue
        cleaned = _clean_attachments(row, upload=upload, archive_failed=archive_failed, errors=errors)
        if cleaned is not None:
            planned.append(_Planned(row, known[0] if known else None, cleaned))
    errors.sort(key=lambda e: (e["row"] or 0, e["column"] or ""))
    return _Plan(planned=planned, unchanged=unchanged, errors=errors, notices=notices)


def _clean_attachments(row: NominationRow, *, upload: _Upload, archive_failed: bool,
                       errors: list[dict]) -> list[CleanFile] | None:
    """The row's attachments found in the archive and cleaned, or None (problems added to `errors`) when
    any is missing or refused: a nomination is never stored without a file it lists."""
    cleaned: list[CleanFile] = []
    row_ok = True
    for name in row.attachments:
        if not upload.archive_given:
            errors.append(_error(row.row, upload.attachment_header, MESSAGES["no_archive"]))
            row_ok = False
            break
        if archive_failed:
            row_ok = False
            break
        member = _find_member(upload.files, name)
        if member is None:
            errors.append(_error(row.row, upload.attachment_header,
                                 MESSAGES["missing_attachment"].format(value=name)))
            row_ok = False
            continue
        try:
            cleaned.append(sanitize(upload.files[member], name))
        except AttachmentError as exc:
            # Refused, not fatal: the nomination is stored and waits in review until the file is replaced.
            cleaned.append(CleanFile("refused", "", b"", "", name, refusal=exc.problem))
    return cleaned if row_ok else None


def _store_nominations(session: Session, *, edition: Edition, record: NominationImport, plan: _Plan,
                       categories: dict[str, Category], store: AttachmentStore, correctable: Collection[int],
                       report: Progress) -> _NominationWriter:
    """Redact every planned row against the whole edition's names (this upload's included), then write it."""
    planned = plan.planned
    report(0.42, N_("Redacting"))
    index = masking.edition_index(
        session, edition_id=edition.id,
        extra_persons=[p for item in planned for p in (*item.row.inventors, *(n for n, _ in item.row.team))],
        extra_employers=[item.row.employer for item in planned],
        extra_short_names=[s for item in planned for s in item.row.short_names])
    session.add(record)
    session.flush()
    writer = _NominationWriter(session, edition=edition, record=record, categories=categories, store=store,
                               correctable=correctable, index=index,
                               short_names=dictionary.short_names_by_employer(session, edition_id=edition.id))
    for position, item in enumerate(planned):
        if position % 500 == 0:
            report(0.42 + 0.4 * position / max(len(planned), 1), N_("Redacting and storing"))
        writer.write(item)
    writer.finish()
    return writer


def _identity_fields(row: NominationRow) -> dict:
    """The identity columns a row sets, the same for a new nomination and an updated one."""
    return dict(inventors=list(row.inventors), employer=row.employer, city=row.city, industry=row.industry,
                patents=list(row.patents), contact_phone=row.phone, contact_email=row.email,
                completed_on=dt.date.fromisoformat(row.completed_on) if row.completed_on else None,
                first_inventor_frontline=row.frontline, short_names=list(row.short_names),
                team=[list(member) for member in row.team], employer_city=row.employer_city)


class _NominationWriter:
    """Writes the planned rows of one import: redacted texts, identity, original text and attachments.

    New nominations are flushed in chunks of 1000, so their ids (which their originals need) come from
    one flush per chunk rather than one per row.
    """

    CHUNK = 1000

    def __init__(self, session: Session, *, edition: Edition, record: NominationImport,
                 categories: dict[str, Category], store: AttachmentStore, correctable: Collection[int],
                 index: NameIndex, short_names: dict[str, list[str]]) -> None:
        self.session, self.edition, self.record = session, edition, record
        self.categories, self.store, self.correctable, self.index = categories, store, correctable, index
        self.short_names = short_names
        self.created_ids: list[int] = []
        self.updated_ids: list[int] = []
        self.leftover_flags: list[tuple[Nomination, Attachment, str, list[dict]]] = []
        self._chunk: list[tuple[Nomination, _Planned, list[dict]]] = []

    def write(self, plan: _Planned) -> None:
        row = plan.row
        names = masking.own_names(masking.identity_of_row(row, self.short_names), self.index)
        masked: list[dict] = []
        texts = {}
        for name in ("title", "summary", "body"):
            result = redact(getattr(row, name), global_names=names)
            texts[name] = result.text
            masked.extend(service.hits_json(name, result.hits))
        category = self.categories[row.category]
        if plan.existing_id is None:
            nomination = Nomination(edition_id=self.edition.id, category_id=category.id,
                                    status=NominationStatus.RECEIVED, **texts)
            nomination.identity = NominationIdentity(**_identity_fields(row))
            self.session.add(nomination)
        else:
            nomination = self._update(plan, texts=texts, masked=masked, category_id=category.id)
        self._attach(nomination, plan.files, names)
        self._chunk.append((nomination, plan, masked))
        if len(self._chunk) >= self.CHUNK:
            self._flush_chunk()

    def _update(self, plan: _Planned, *, texts: dict, masked: list[dict], category_id: int) -> Nomination:
        """Replace a nomination still under review (or returned by formal review) with its changed row."""
        session, record, row = self.session, self.record, plan.row
        nomination = session.get(Nomination, plan.existing_id)
        for name, value in texts.items():
            setattr(nomination, name, value)
        nomination.category_id = category_id
        identity = session.get(NominationIdentity, nomination.id)
        for name, value in _identity_fields(row).items():
            setattr(identity, name, value)
        original = session.get(NominationOriginal, nomination.id)
        original.content_digest, original.title, original.summary, original.body = (
            row.content_digest, row.title, row.summary, row.body)
        original.name_after_creator, original.masked = row.name_after_creator, masked
        original.import_id, original.source_row = record.id, row.row
        nomination.attachments.clear()
        session.flush()
        self.updated_ids.append(nomination.id)
        if nomination.id in self.correctable:
            # The corrected text needs its redaction reviewed again, then a new formal-review decision.
            nomination.status = NominationStatus.RECEIVED
            record.resubmitted.append((nomination.id, f"import {record.id} row {row.row}"))  # type: ignore[attr-defined]
        return nomination

    def _attach(self, nomination: Nomination, files: list[CleanFile], names) -> None:
        """Store each file twice: sanitized (the organizer's review copy) and sanitized and redacted (what
        judges get); a refused file is recorded with its reason and stores nothing."""
        for number, clean in enumerate(files, start=1):
            attachment, flags = attachment_review.store_file(clean, names=names, store=self.store,
                                                             written=self.record.written)  # type: ignore[attr-defined]
            attachment.position = number
            nomination.attachments.append(attachment)
            for kind, detail in flags:
                self.leftover_flags.append((nomination, attachment, kind, detail))

    def _flush_chunk(self) -> None:
        self.session.flush()
        written = []
        for nomination, plan, masked in self._chunk:
            row = plan.row
            if plan.existing_id is None:
                written.append(NominationOriginal(
                    nomination_id=nomination.id, edition_id=self.edition.id, fingerprint=row.fingerprint,
                    content_digest=row.content_digest, title=row.title, summary=row.summary, body=row.body,
                    name_after_creator=row.name_after_creator, employer_forms=[], masked=masked,
                    import_id=self.record.id, source_row=row.row))
                self.created_ids.append(nomination.id)
            written.append(nomination)
        self.session.add_all(o for o in written if isinstance(o, NominationOriginal))
        self.session.flush()
        # Written rows leave the session (a nomination takes its identity and attachments along): an import of
        # 20,000 rows would otherwise keep every one in memory. The leftover flags need only their ids.
        for obj in written:
            self.session.expunge(obj)
        self._chunk.clear()

    def finish(self) -> None:
        """Write what is left of the last chunk, then the leftover flags (their attachments now have ids)."""
        self._flush_chunk()
        self.session.flush()
        for nomination, attachment, kind, found in self.leftover_flags:
            self.session.add(NominationFlag(nomination_id=nomination.id, kind=kind,
                                            attachment_id=attachment.id, detail=found[:50]))


def _finish(session: Session, record: NominationImport, *, plan: _Plan, writer: _NominationWriter,
            keep_valid: bool, duplicate_flags: int, by: audit.Actor) -> None:
    """Complete the import's report row and audit it."""
    errors = plan.errors
    record.created, record.updated, record.unchanged = len(writer.created_ids), len(writer.updated_ids), plan.unchanged
    record.status = "partial" if errors else "imported"
    record.errors = errors + plan.notices
    session.flush()
    audit.append(session, actor=by, action="nomination_import.completed", object_type="nomination_import",
                 object_id=record.id,
                 data={"file": record.filename, "archive": record.archive_name, "sha256": record.sha256,
                       "keep_valid": keep_valid, "created": record.created, "updated": record.updated,
                       "unchanged": plan.unchanged, "errors": len(errors), "duplicate_flags": duplicate_flags,
                       "attachment_flags": len(writer.leftover_flags)})


class _EditionTexts(Sequence[str]):
    """The edition's nomination texts as submitted (title, summary, body), by position in ``ids``, read a
    slice at a time: the near-duplicate search never holds the whole edition's texts."""

    def __init__(self, session: Session, ids: list[int]) -> None:
        self.session, self.ids = session, ids

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, key):
        if isinstance(key, slice):
            return self._read(self.ids[key])
        return self._read([self.ids[key]])[0]

    def _read(self, ids: list[int]) -> list[str]:
        found = {nid: "\n".join([o_title, o_summary, o_body] if o_title is not None else [title, summary, body])
                 for nid, title, summary, body, o_title, o_summary, o_body in self.session.execute(
                     select(Nomination.id, Nomination.title, Nomination.summary, Nomination.body,
                            NominationOriginal.title, NominationOriginal.summary, NominationOriginal.body)
                     .outerjoin(NominationOriginal, NominationOriginal.nomination_id == Nomination.id)
                     .where(Nomination.id.in_(ids)))}
        return [found[nid] for nid in ids]


def _flag_duplicates(session: Session, *, edition: Edition, new_ids: set[int]) -> int:
    """Flag new or updated nominations that look like another of the edition: same title and employer,
    or near-identical text (character 2/3-gram cosine >= 0.85)."""
    if not new_ids:
        return 0
    rows = session.execute(
        select(Nomination.id, func.coalesce(func.nullif(NominationOriginal.title, ""), Nomination.title),
               NominationIdentity.employer)
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
    for nid, title, employer in rows:
        groups.setdefault((normalize_text(title), normalize_company(employer)), []).append(nid)
    del rows
    for members in groups.values():
        if len(members) > 1:
            for nid in members:
                if nid in new_ids:
                    other = next(m for m in members if m != nid)
                    pairs[(nid, other)] = ("same_title_employer", None)
    similar: dict[int, int] = {}
    for pair in near_duplicates(_EditionTexts(session, ids), SIMILARITY):  # most similar first
        a, b = ids[pair.i], ids[pair.j]
        for nid, other in ((a, b), (b, a)):
            if nid in new_ids and (nid, other) not in pairs and similar.get(nid, 0) < MAX_SIMILAR_FLAGS:
                pairs[(nid, other)] = ("similar_text", round(pair.score, 3))
                similar[nid] = similar.get(nid, 0) + 1
    for (nid, other), (kind, score) in pairs.items():
        session.add(NominationFlag(nomination_id=nid, kind=kind, other_nomination_id=other, score=score, detail=[]))
    session.flush()
    return len(pairs)


def store_entered(session: Session, *, edition: Edition, rows: list[tuple[NominationRow, int | None, list[CleanFile]]],
                  source: str, store: AttachmentStore, by: audit.Actor, written: list[str] | None = None,
                  correctable: Collection[int] = frozenset()) -> NominationImport:
    """Store rows validated elsewhere (a city's online form) exactly as an upload's: the same redaction against
    the edition's names, identity apart, attachments stored twice, duplicate flags and an import report.

    ``rows``: each valid row, the nomination it replaces (None: a new one) and its already sanitized files.
    ``source`` names where they came from in the report (``filename``)."""
    digest = hashlib.sha256("".join(row.content_digest for row, _, _ in rows).encode()).hexdigest()
    record = NominationImport(edition_id=edition.id, filename=source[:300], archive_name="", sha256=digest,
                              keep_valid=False, status="rejected", created_by_id=by.id, errors=[], rows=len(rows))
    record.written = written if written is not None else []  # type: ignore[attr-defined]
    record.resubmitted = []  # type: ignore[attr-defined]
    plan = _Plan(planned=[_Planned(row, existing, files) for row, existing, files in rows], unchanged=0, errors=[],
                 notices=[])
    writer = _store_nominations(session, edition=edition, record=record, plan=plan,
                                categories={c.key.value: c for c in edition.categories}, store=store,
                                correctable=correctable, report=_quiet)
    flagged = _flag_duplicates(session, edition=edition, new_ids=set(writer.created_ids) | set(writer.updated_ids))
    _finish(session, record, plan=plan, writer=writer, keep_valid=False, duplicate_flags=flagged, by=by)
    record.nomination_ids = [*writer.created_ids, *writer.updated_ids]  # type: ignore[attr-defined]
    return record
