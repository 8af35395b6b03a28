"""A city's online nominations: drafts, submission within its quota before the 推荐 deadline, withdrawal, and the
correction of what formal review returned. Services take a Session, never commit, and audit every change.

What a city submits is stored by the intake's own storing path (:func:`judging.nominations.importer.store_entered`):
the same redaction against the edition's names, identity apart, attachments stored twice, duplicate flags, so
the organizer reviews it as any imported nomination."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from judging import audit
from judging.accounts import actor_of
from judging.accounts.models import User
from judging.accounts.permissions import Ask, Refused
from judging.cities import forms
from judging.cities.models import CityEntry, CityFile, CityVersion, EntryStatus
from judging.db.base import utcnow
from judging.editions.models import Category, Edition
from judging.errors import N_, Conflict, JudgingError, NotFound
from judging.formal_review import service as formal_review
from judging.formal_review.models import Decision, Outcome
from judging.nominations import importer, service as intake
from judging.nominations.attachments import KINDS, AttachmentError, CleanFile, sanitize
from judging.nominations.models import Nomination, NominationIdentity, NominationOriginal, NominationStatus, QuotaUnit
from judging.nominations.storage import AttachmentStore
from judging.stages.models import StageKind
from judging.stages.permissions import stage_is_open
from judging.stages.service import stage_rows

MAX_FILE_MB = 20
MAX_FILES = 10


class CityError(Conflict):
    """A city's step that is refused (quota, deadline, state); nothing was changed."""


# ------------------------------------------------------------------------------------------ reading

def _city_of(user: User) -> str:
    if not user.city:
        raise NotFound("city")
    return user.city


def get_entry(session: Session, *, edition: Edition, user: User, entry_id: int) -> CityEntry:
    """The entry of the user's city in this edition; another city's (or edition's) is not there."""
    entry = session.scalar(select(CityEntry).where(CityEntry.id == entry_id, CityEntry.edition_id == edition.id,
                                                   CityEntry.city == _city_of(user)))
    if entry is None:
        raise NotFound("entry")
    return entry


def _category(edition: Edition, category_id: int) -> Category:
    category = next((c for c in edition.categories if c.id == category_id), None)
    if category is None:
        raise NotFound("category")
    return category


def submitted_count(session: Session, *, edition: Edition, city: str, category_id: int) -> int:
    """The city's nominations in the category that count against its quota: not withdrawn, not rejected (as
    formal review's quota check counts them), however they arrived (online or by the office's import)."""
    rejected = exists().where(Decision.nomination_id == Nomination.id, Decision.superseded.is_(False),
                              Decision.outcome == Outcome.REJECTED)
    return int(session.scalar(
        select(func.count()).select_from(Nomination)
        .join(NominationIdentity, NominationIdentity.nomination_id == Nomination.id)
        .where(Nomination.edition_id == edition.id, Nomination.category_id == category_id,
               NominationIdentity.city == city, Nomination.status != NominationStatus.WITHDRAWN, ~rejected)) or 0)


@dataclass(frozen=True)
class QuotaLine:
    category: Category
    quota: int | None  # None: the office has not set the city's quota
    submitted: int
    drafts: int

    @property
    def left(self) -> int | None:
        return None if self.quota is None else max(0, self.quota - self.submitted)


def quota_lines(session: Session, *, edition: Edition, city: str) -> list[QuotaLine]:
    targets = intake.city_category_targets(session, edition=edition)
    drafts = dict(session.execute(select(CityEntry.category_id, func.count()).where(
        CityEntry.edition_id == edition.id, CityEntry.city == city, CityEntry.status == EntryStatus.DRAFT)
        .group_by(CityEntry.category_id)).all())
    return [QuotaLine(c, targets.get(c.id, {}).get(city), submitted_count(session, edition=edition, city=city,
                                                                        category_id=c.id), int(drafts.get(c.id, 0)))
            for c in edition.categories]


@dataclass
class EntryView:
    """What the city (and the office) sees of one entry: its form, files, versions and formal-review state."""

    entry: CityEntry
    category: Category
    state: str  # the entry's status, or once submitted its formal-review state (formal_review.State)
    decision: Decision | None
    versions: list[CityVersion] = field(default_factory=list)
    deadline: dt.date | None = None  # of the 推荐 stage

    @property
    def correctable(self) -> bool:
        return self.state == formal_review.State.AWAITING


def _state(session: Session, entry: CityEntry, today: dt.date) -> tuple[str, Decision | None]:
    if entry.status is not EntryStatus.SUBMITTED or entry.nomination_id is None:
        return entry.status.value, None
    decision = formal_review.current_decision(session, nomination_id=entry.nomination_id)
    return formal_review.state_of(decision, today), decision


def entry_view(session: Session, entry: CityEntry, *, today: dt.date | None = None) -> EntryView:
    today = today or formal_review.local_today()
    state, decision = _state(session, entry, today)
    versions = list(session.scalars(select(CityVersion).where(CityVersion.entry_id == entry.id)
                                    .order_by(CityVersion.number.desc())))
    stage = stage_rows(session, category_id=entry.category_id).get(StageKind.NOMINATION)
    return EntryView(entry, session.get(Category, entry.category_id), state, decision, versions,
                     stage.planned_end if stage else None)


def city_entries(session: Session, *, edition: Edition, city: str, today: dt.date | None = None) -> list[EntryView]:
    today = today or formal_review.local_today()
    rows = session.scalars(select(CityEntry).where(CityEntry.edition_id == edition.id, CityEntry.city == city)
                           .order_by(CityEntry.category_id, CityEntry.id))
    categories = {c.id: c for c in edition.categories}
    return [EntryView(e, categories[e.category_id], *_state(session, e, today)) for e in rows]


# ------------------------------------------------------------------------------------------ drafts

def _sanitized(uploads: Iterable[tuple[str, bytes]]) -> list[CleanFile]:
    """Every upload through the intake's sanitizer, or :class:`forms.EntryInvalid` naming the first bad file."""
    cleaned = []
    for name, data in uploads:
        try:
            cleaned.append(sanitize(data, name, max_bytes=MAX_FILE_MB * 1024 * 1024))
        except AttachmentError as exc:
            raise forms.EntryInvalid({"attachments": f"{exc.name}: {exc.problem}"}) from None
    return cleaned


def _put_files(entry: CityEntry, cleaned: list[CleanFile], store: AttachmentStore, written: list[str]) -> None:
    position = max((f.position for f in entry.files), default=0)
    for clean in cleaned:
        position += 1
        stored = store.put(clean.data)
        written.append(stored)
        entry.files.append(CityFile(position=position, name=clean.declared_name[:300], kind=clean.kind,
                                    size=len(clean.data), sha256=hashlib.sha256(clean.data).hexdigest(),
                                    stored_name=stored, text=clean.text, removed=list(clean.removed)))


def _editable(session: Session, entry: CityEntry) -> None:
    """A draft may change; a submitted entry only while formal review waits for its correction."""
    if entry.status is EntryStatus.DRAFT:
        return
    if entry.status is EntryStatus.SUBMITTED and entry_view(session, entry).correctable:
        return
    raise CityError(N_("This nomination is submitted; it can only change if formal review returns it."))


def save_draft(session: Session, *, edition: Edition, user: User, values: dict, store: AttachmentStore,
               written: list[str], entry_id: int | None = None, category_id: int | None = None,
               uploads: Iterable[tuple[str, bytes]] = (), remove: Iterable[int] = ()) -> tuple[CityEntry, list[str]]:
    """Create (``category_id``) or update (``entry_id``) a city's form, adding sanitized ``uploads`` and removing the
    files ``remove`` (audited). Returns the entry and the stored names to delete once the change is committed."""
    city = _city_of(user)
    if entry_id is None:
        category = _category(edition, category_id or 0)
        entry = CityEntry(edition_id=edition.id, category_id=category.id, city=city, status=EntryStatus.DRAFT,
                          fields={}, created_by_id=user.id)
        session.add(entry)
    else:
        entry = get_entry(session, edition=edition, user=user, entry_id=entry_id)
        category = _category(edition, entry.category_id)
        _editable(session, entry)
    fields = forms.clean_draft(category.key.value, values)
    cleaned = _sanitized(uploads)
    dropped = [f for f in entry.files if f.id in set(remove)]
    if len(entry.files) - len(dropped) + len(cleaned) > MAX_FILES:
        raise forms.EntryInvalid({"attachments": N_("Attach at most 10 files.")})
    for gone in dropped:
        entry.files.remove(gone)
    _put_files(entry, cleaned, store, written)
    changed = sorted(k for k in fields if fields[k] != (entry.fields or {}).get(k, ""))
    entry.fields, entry.updated_at = fields, utcnow()
    session.flush()
    audit.append(session, actor=actor_of(user), action="city_entry.saved",
                 object_type="city_entry", object_id=entry.id,
                 data={"city": city, "category_id": category.id, "fields_changed": changed,
                       "files_added": [[f.name, f.sha256] for f in entry.files[len(entry.files) - len(cleaned):]],
                       "files_removed": [[f.name, f.sha256] for f in dropped]})
    return entry, [f.stored_name for f in dropped]


# ------------------------------------------------------------------------------------------ submission

def _require_recommendation(session: Session, *, category: Category, today: dt.date) -> None:
    """A city submits and withdraws only while the category's 推荐 is open (the rule its permissions ask),
    until its scheduled last day."""
    decision = stage_is_open(StageKind.NOMINATION).decide(Ask(None, category.id, session))
    if not decision:
        raise Refused("cities.submit", decision.reason)
    stage = stage_rows(session, category_id=category.id).get(StageKind.NOMINATION)
    if stage is not None and stage.planned_end is not None and today > stage.planned_end:
        raise CityError(N_("The deadline of {category} was {date}: nominations can no longer be submitted or "
                           "withdrawn."), category=category.name, date=stage.planned_end.isoformat())


def _row_of(entry: CityEntry, category: Category):
    return forms.check(category_key=category.key.value, city=entry.city, fields=entry.fields or {},
                       attachments=[f.name for f in entry.files])


def _clean_files(entry: CityEntry, store: AttachmentStore) -> list[CleanFile]:
    return [CleanFile(f.kind, KINDS[f.kind], store.get(f.stored_name), f.text, f.name, tuple(f.removed))
            for f in entry.files]


def _fingerprint_free(session: Session, *, edition: Edition, fingerprint: str, own: int | None) -> None:
    other = session.scalar(select(NominationOriginal.nomination_id).where(
        NominationOriginal.edition_id == edition.id, NominationOriginal.fingerprint == fingerprint))
    if other is not None and other != own:
        raise CityError(N_("A nomination with the same title, employer and first completer has already been "
                           "submitted (#{id})."), id=other)


def _version(session: Session, entry: CityEntry, user: User) -> CityVersion:
    number = (session.scalar(select(func.max(CityVersion.number)).where(CityVersion.entry_id == entry.id)) or 0) + 1
    version = CityVersion(entry_id=entry.id, number=number, fields=dict(entry.fields or {}), submitted_by_id=user.id,
                          files=[{"name": f.name, "kind": f.kind, "size": f.size, "sha256": f.sha256}
                                 for f in entry.files])
    session.add(version)
    return version


def submit(session: Session, *, edition: Edition, user: User, entry_id: int, store: AttachmentStore,
           written: list[str], today: dt.date | None = None) -> CityEntry:
    """Send a draft to the office: before the deadline, complete, and within the city's quota in its category.

    Refusals name the field or the figures ("quota 3, already submitted 3") and change nothing."""
    today = today or formal_review.local_today()
    entry = get_entry(session, edition=edition, user=user, entry_id=entry_id)
    category = _category(edition, entry.category_id)
    if entry.status is not EntryStatus.DRAFT:
        raise CityError(N_("Only a draft can be submitted."))
    _require_recommendation(session, category=category, today=today)
    row = _row_of(entry, category)
    # One submission at a time per city (PostgreSQL locks the unit's row; SQLite has a single writer).
    session.scalar(select(QuotaUnit.id).where(QuotaUnit.edition_id == edition.id, QuotaUnit.name == entry.city)
                   .with_for_update())
    quota = intake.city_category_targets(session, edition=edition).get(category.id, {}).get(entry.city)
    if quota is None:
        raise CityError(N_("The office has not set the quota of {city} yet."), city=entry.city)
    done = submitted_count(session, edition=edition, city=entry.city, category_id=category.id)
    if done >= quota:
        raise CityError(N_("{city} has reached its quota in {category}: quota {quota}, already submitted "
                           "{submitted}."), city=entry.city, category=category.name, quota=quota, submitted=done)
    _fingerprint_free(session, edition=edition, fingerprint=row.fingerprint, own=None)
    actor = actor_of(user)
    record = importer.store_entered(session, edition=edition, rows=[(row, None, _clean_files(entry, store))],
                                    source=f"online: {entry.city} #{entry.id}", store=store, by=actor,
                                    written=written)
    entry.nomination_id, entry.status, entry.submitted_at = record.nomination_ids[0], EntryStatus.SUBMITTED, utcnow()
    version = _version(session, entry, user)
    session.flush()
    audit.append(session, actor=actor, action="city_entry.submitted", object_type="city_entry", object_id=entry.id,
                 data={"city": entry.city, "category_id": category.id, "nomination_id": entry.nomination_id,
                       "version": version.number, "quota": quota, "submitted": done + 1, "import_id": record.id})
    return entry


def withdraw(session: Session, *, edition: Edition, user: User, entry_id: int, reason: str,
             today: dt.date | None = None) -> CityEntry:
    """The city takes back a draft, or a submitted nomination before the deadline (the nomination is withdrawn)."""
    today = today or formal_review.local_today()
    entry = get_entry(session, edition=edition, user=user, entry_id=entry_id)
    category = _category(edition, entry.category_id)
    if entry.status is EntryStatus.WITHDRAWN:
        raise CityError(N_("This nomination is already withdrawn."))
    actor = actor_of(user)
    if entry.status is EntryStatus.SUBMITTED:
        _require_recommendation(session, category=category, today=today)
        if not reason.strip():
            raise JudgingError(N_("Give a reason."))
        intake.withdraw(session, edition=edition, nomination_id=entry.nomination_id, reason=reason, by=actor)
    entry.status, entry.updated_at = EntryStatus.WITHDRAWN, utcnow()
    session.flush()
    audit.append(session, actor=actor, action="city_entry.withdrawn", object_type="city_entry", object_id=entry.id,
                 data={"city": entry.city, "category_id": category.id, "nomination_id": entry.nomination_id,
                       "reason": reason.strip()})
    return entry


def resubmit(session: Session, *, edition: Edition, user: User, entry_id: int, store: AttachmentStore,
             written: list[str], today: dt.date | None = None) -> CityEntry:
    """Send the correction of a returned nomination (until the return's deadline): the same nomination is
    replaced through the intake's storing path, and formal review takes it up again (``mark_resubmitted``)."""
    today = today or formal_review.local_today()
    entry = get_entry(session, edition=edition, user=user, entry_id=entry_id)
    category = _category(edition, entry.category_id)
    # Returned, not yet corrected, and its deadline not passed (formal review's AWAITING).
    if entry.status is not EntryStatus.SUBMITTED or not entry_view(session, entry, today=today).correctable:
        raise CityError(N_("Only a nomination returned for correction can be resubmitted, until its deadline."))
    row = _row_of(entry, category)
    _fingerprint_free(session, edition=edition, fingerprint=row.fingerprint, own=entry.nomination_id)
    actor = actor_of(user)
    record = importer.store_entered(
        session, edition=edition, rows=[(row, entry.nomination_id, _clean_files(entry, store))],
        source=f"online: {entry.city} #{entry.id}", store=store, by=actor, written=written,
        correctable={entry.nomination_id})
    # A corrected title or first completer is still the same nomination: it is known by its new fingerprint.
    session.get(NominationOriginal, entry.nomination_id).fingerprint = row.fingerprint
    version = _version(session, entry, user)
    entry.submitted_at = utcnow()
    session.flush()
    for nomination_id, _source in record.resubmitted:
        formal_review.mark_resubmitted(session, nomination_id=nomination_id, by=actor,
                                       source=f"online: {entry.city} #{entry.id} version {version.number}")
    audit.append(session, actor=actor, action="city_entry.submitted", object_type="city_entry", object_id=entry.id,
                 data={"city": entry.city, "category_id": category.id, "nomination_id": entry.nomination_id,
                       "version": version.number, "correction": True, "import_id": record.id})
    return entry


def office_entry(session: Session, *, edition: Edition, entry_id: int) -> CityEntry:
    entry = session.scalar(select(CityEntry).where(CityEntry.id == entry_id, CityEntry.edition_id == edition.id,
                                                   CityEntry.status != EntryStatus.DRAFT))
    if entry is None:
        raise NotFound("entry")
    return entry



def office_entries(session: Session, *, edition: Edition, today: dt.date | None = None) -> list[EntryView]:
    """Every entry a city has sent (submitted or withdrawn since), by city: drafts stay the city's own."""
    today = today or formal_review.local_today()
    rows = session.scalars(select(CityEntry).where(CityEntry.edition_id == edition.id,
                                                   CityEntry.status != EntryStatus.DRAFT)
                           .order_by(CityEntry.city, CityEntry.id))
    categories = {c.id: c for c in edition.categories}
    return [EntryView(e, categories[e.category_id], *_state(session, e, today)) for e in rows]
