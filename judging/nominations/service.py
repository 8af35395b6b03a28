"""Nomination intake: city quotas, the organizer's review of redactions and flags, edits, confirmation,
and the judge's renamed attachments. Services take a Session, never commit, and audit their changes.

The import itself is in :mod:`judging.nominations.importer`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from judging import audit
from judging.db.base import utcnow
from judging.editions.models import Category, Edition, Round, RoundKind
from judging.errors import N_, Conflict, JudgingError, NotFound
from judging.nominations import attachment_review, detector, dictionary, masking
from judging.nominations import attachments as attachments_mod
from judging.nominations import rows as rows_mod
from judging.nominations.codes import ensure_blind_codes
from judging.nominations.models import (
    Attachment, BlindCode, Nomination, NominationFlag, NominationIdentity, NominationImport, NominationOriginal,
    NominationStatus, QuotaUnit,
)
from judging.nominations.quotas import allocate_targets
from judging.nominations.redaction import Hit, NameIndex, leftovers
from judging import tabular
from judging.stages.models import StageKind, StageStatus
from judging.stages.service import Blocker, status_of
from judging.textsim import short_forms

#: Flag kinds, in the order the organizer's page lists them.
FLAG_KINDS = ("same_title_employer", "similar_text", "attachment_leftover", "text_leftover")
TARGET_KEY = "nomination_target"
CATEGORY_TARGETS_KEY = "category_targets"  # {category id: the category's total}, set on the quotas page


# ------------------------------------------------------------------------------------------ quotas

@dataclass(frozen=True)
class QuotaRow:
    unit: QuotaUnit
    target: int
    received: dict[int, int]  # category id -> nominations received (not withdrawn)

    @property
    def total(self) -> int:
        return sum(self.received.values())

    @property
    def fulfilment(self) -> float | None:
        return self.total / self.target if self.target else None


@dataclass(frozen=True)
class QuotaReport:
    edition: Edition
    total_target: int | None
    rows: list[QuotaRow]
    categories: list[Category]
    unknown: dict[str, int] = field(default_factory=dict)  # nominations from units not in the list

    @property
    def category_totals(self) -> dict[int, int]:
        out: dict[int, int] = {}
        for row in self.rows:
            for category_id, count in row.received.items():
                out[category_id] = out.get(category_id, 0) + count
        return out

    @property
    def total_received(self) -> int:
        return sum(r.total for r in self.rows) + sum(self.unknown.values())


def quota_units(session: Session, *, edition: Edition) -> list[QuotaUnit]:
    return list(session.scalars(select(QuotaUnit).where(QuotaUnit.edition_id == edition.id)
                                .order_by(QuotaUnit.position, QuotaUnit.id)))


def parse_units(text: str) -> list[tuple[str, str, int]]:
    """Lines ``name, employees[, industry]`` (comma, tab or full-width comma) from the quota form."""
    units: list[tuple[str, str, int]] = []
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        parts = [p.strip() for p in re.split(r"[,，\t;；]", line) if p.strip()]
        if len(parts) < 2:
            raise JudgingError(N_("Line {line}: write the unit's name and its number of employees."), line=number)
        name, count = parts[0], parts[1].replace(" ", "")
        if not count.isdigit():
            raise JudgingError(N_("Line {line}: “{value}” is not a whole number of employees."), line=number,
                               value=parts[1])
        if name in seen:
            raise JudgingError(N_("Line {line}: “{value}” is listed twice."), line=number, value=name)
        seen.add(name)
        kind = "industry" if len(parts) > 2 and parts[2].lower() in ("industry", "产业", "行业", "产业工会") else "city"
        units.append((name, kind, int(count)))
    return units


def set_quotas(session: Session, *, edition: Edition, units: list[tuple[str, str, int]], total: int,
               by: audit.Actor, category_totals: Mapping[int, int] | None = None) -> None:
    """Replace the edition's nominating units, total target and (optionally) each category's own total
    (audited); targets follow in the report. ``category_totals`` None keeps the categories' totals as they are."""
    if total < 0 or any(count < 0 for count in (category_totals or {}).values()):
        raise JudgingError(N_("The total target must not be negative."))
    if not units:
        raise JudgingError(N_("List at least one city with its number of employees."))
    if sum(count for _, _, count in units) == 0:
        raise JudgingError(N_("At least one unit must have employees."))
    existing = {u.name: u for u in quota_units(session, edition=edition)}
    keep = set()
    for position, (name, kind, count) in enumerate(units):
        unit = existing.get(name)
        if unit is None:
            unit = QuotaUnit(edition_id=edition.id, name=name)
            session.add(unit)
        unit.kind, unit.employees, unit.position = kind, count, position
        keep.add(name)
    for name, unit in existing.items():
        if name not in keep:
            session.delete(unit)
    settings = {**(edition.settings or {}), TARGET_KEY: int(total)}
    if category_totals is not None:
        known = {c.id for c in edition.categories}
        settings[CATEGORY_TARGETS_KEY] = {str(k): int(v) for k, v in category_totals.items() if k in known}
    edition.settings = settings
    session.flush()
    audit.append(session, actor=by, action="edition.quotas_set", object_type="edition", object_id=edition.id,
                 data={"total": int(total), "units": [[n, k, c] for n, k, c in units],
                       **({"category_totals": settings[CATEGORY_TARGETS_KEY]} if category_totals is not None else {})})


def category_totals(edition: Edition) -> dict[int, int]:
    """Each category's total: its own where the organizer set one, else an equal share of the edition's total
    (largest remainder over the categories in their order), so the city quotas of every category always exist."""
    settings = edition.settings or {}
    total = settings.get(TARGET_KEY)
    own = {int(k): int(v) for k, v in (settings.get(CATEGORY_TARGETS_KEY) or {}).items()}
    categories = list(edition.categories)
    shares = (allocate_targets({f"{c.position:04d}-{c.id}": 1 for c in categories}, int(total))
              if total is not None and categories else {})
    return {c.id: own.get(c.id, shares.get(f"{c.position:04d}-{c.id}", 0)) for c in categories}


def city_category_targets(session: Session, *, edition: Edition) -> dict[int, dict[str, int]]:
    """Per category, each unit's quota: the category's total shared in proportion to employees (largest
    remainder, as the units' overall targets). Empty when no units or employees are set."""
    units = {u.name: u.employees for u in quota_units(session, edition=edition)}
    if not units or not sum(units.values()):
        return {}
    return {category_id: allocate_targets(units, total) for category_id, total in category_totals(edition).items()}


def quota_report(session: Session, *, edition: Edition) -> QuotaReport:
    """Each unit's target (largest remainder on employees), nominations received per category, fulfilment."""
    units = quota_units(session, edition=edition)
    total = (edition.settings or {}).get(TARGET_KEY)
    targets = (allocate_targets({u.name: u.employees for u in units}, int(total))
               if units and total is not None and sum(u.employees for u in units) else {})
    received: dict[str, dict[int, int]] = {}
    for city, category_id, count in session.execute(
            select(NominationIdentity.city, Nomination.category_id, func.count())
            .join(Nomination, Nomination.id == NominationIdentity.nomination_id)
            .where(Nomination.edition_id == edition.id, Nomination.status != NominationStatus.WITHDRAWN)
            .group_by(NominationIdentity.city, Nomination.category_id)):
        received.setdefault(city, {})[category_id] = count
    rows = [QuotaRow(u, targets.get(u.name, 0), received.pop(u.name, {})) for u in units]
    unknown = {city: sum(per.values()) for city, per in received.items()}
    return QuotaReport(edition, total, rows, list(edition.categories), unknown)


def known_units(session: Session, *, edition: Edition) -> list[str]:
    return [u.name for u in quota_units(session, edition=edition)]


# ------------------------------------------------------------------------------- identifying strings

def identifying_strings(identity: NominationIdentity, original: NominationOriginal | None) -> dict[str, list[str]]:
    """The nomination's own strings by kind (as :meth:`NominationRow.identifying_strings`)."""
    out = {
        "person": list(identity.inventors or []),
        "employer": [*short_forms(identity.employer or ""), *((original.employer_forms or []) if original else [])],
        "patent": list(identity.patents or []),
        "phone": [identity.contact_phone] if identity.contact_phone else [],
        "email": [identity.contact_email] if identity.contact_email else [],
    }
    return {kind: strings for kind, strings in out.items() if strings}


def name_index(session: Session, *, edition_id: int, extra_persons: Iterable[str] = (),
               extra_employers: Iterable[str] = ()) -> NameIndex:
    """Every nominee, team member, employer and known short name of the edition, for redaction."""
    return masking.edition_index(session, edition_id=edition_id, extra_persons=extra_persons,
                                 extra_employers=extra_employers)


def hits_json(field_name: str, hits: Iterable[Hit]) -> list[dict]:
    return [{"field": field_name, "kind": h.kind, "text": h.text} for h in hits]


# ------------------------------------------------------------------------------------ organizer view

def get_nomination(session: Session, *, edition: Edition, nomination_id: int) -> Nomination:
    nomination = session.scalar(select(Nomination).where(Nomination.id == nomination_id,
                                                         Nomination.edition_id == edition.id))
    if nomination is None:
        raise NotFound("nomination")
    return nomination


@dataclass
class Review:
    """Everything the organizer's (or auditor's) page of one nomination shows."""

    nomination: Nomination
    identity: NominationIdentity
    original: NominationOriginal | None
    category: Category
    flags: list[NominationFlag]
    others: dict[int, Nomination]
    attachments: list[Attachment]
    code: str | None
    leftovers: list[dict]
    detected: list[dict] = field(default_factory=list)  # the review's own detector (detector.py)

    @property
    def open_flags(self) -> list[NominationFlag]:
        return [f for f in self.flags if f.resolved_at is None]


def _preliminary(edition: Edition) -> Round | None:
    return next((r for r in edition.rounds if r.kind is RoundKind.PRELIMINARY), None)


def text_leftovers(nomination: Nomination, identity: NominationIdentity, original: NominationOriginal | None,
                   index: NameIndex | None, short_names: dict[str, list[str]] | None = None) -> list[dict]:
    """Identifying strings still present in the judged (redacted) text."""
    names = masking.own_names(masking.identity_of(identity, original, short_names or {}), index)
    out: list[dict] = []
    for name in ("title", "summary", "body"):
        out.extend(hits_json(name, leftovers(getattr(nomination, name) or "", global_names=names)))
    return out


def review(session: Session, *, edition: Edition, nomination_id: int, with_leftovers: bool = True) -> Review:
    nomination = get_nomination(session, edition=edition, nomination_id=nomination_id)
    identity = session.get(NominationIdentity, nomination.id)
    if identity is None:
        raise NotFound("identity")
    original = session.get(NominationOriginal, nomination.id)
    flags = list(session.scalars(select(NominationFlag).where(NominationFlag.nomination_id == nomination.id)
                                 .order_by(NominationFlag.id)))
    other_ids = {f.other_nomination_id for f in flags if f.other_nomination_id}
    others = ({n.id: n for n in session.scalars(select(Nomination).where(Nomination.id.in_(other_ids)))}
              if other_ids else {})
    preliminary = _preliminary(edition)
    code = session.scalar(select(BlindCode.code).where(BlindCode.nomination_id == nomination.id,
                                                       BlindCode.round_id == preliminary.id)) if preliminary else None
    found = text_leftovers(nomination, identity, original, name_index(session, edition_id=edition.id),
                           dictionary.short_names_by_employer(session, edition_id=edition.id)) \
        if with_leftovers else []
    return Review(nomination, identity, original, session.get(Category, nomination.category_id), flags, others,
                  list(nomination.attachments), code, found, detected_in(nomination))


def detected_in(nomination: Nomination) -> list[dict]:
    """What the review's own detector finds in the judged text (independent of redaction)."""
    return [{"field": f.field, "kind": f.kind, "text": f.text} for f in detector.detect_fields(
        {name: getattr(nomination, name) or "" for name in ("title", "summary", "body")})]


@dataclass(frozen=True)
class ListRow:
    nomination: Nomination
    identity: NominationIdentity
    category: Category
    open_flags: int


def list_nominations(session: Session, *, edition: Edition, category_id: int | None = None, city: str = "",
                     status: str = "", flagged: bool = False, q: str = "", offset: int = 0,
                     limit: int = 100) -> tuple[list[ListRow], int]:
    """The organizer's (and auditor's) filtered list, scoped to the edition; (page, total count)."""
    open_flags = (select(NominationFlag.nomination_id, func.count().label("n"))
                  .where(NominationFlag.resolved_at.is_(None)).group_by(NominationFlag.nomination_id).subquery())
    query = (select(Nomination, NominationIdentity, Category, func.coalesce(open_flags.c.n, 0))
             .join(NominationIdentity, NominationIdentity.nomination_id == Nomination.id)
             .join(Category, Category.id == Nomination.category_id)
             .outerjoin(open_flags, open_flags.c.nomination_id == Nomination.id)
             .where(Nomination.edition_id == edition.id))
    if category_id:
        query = query.where(Nomination.category_id == category_id)
    if city:
        query = query.where(NominationIdentity.city == city)
    if status in {s.value for s in NominationStatus}:
        query = query.where(Nomination.status == NominationStatus(status))
    if flagged:
        query = query.where(open_flags.c.n > 0)
    if q:
        like = f"%{q}%"
        original_title = select(NominationOriginal.title).where(
            NominationOriginal.nomination_id == Nomination.id).scalar_subquery()
        query = query.where(or_(Nomination.title.like(like), original_title.like(like),
                                NominationIdentity.employer.like(like),
                                Nomination.id == (int(q) if q.isdigit() else -1)))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.execute(query.order_by(Nomination.id).offset(offset).limit(limit)).all()
    return [ListRow(n, i, c, int(f)) for n, i, c, f in rows], int(total or 0)


def status_counts(session: Session, *, edition: Edition) -> dict[str, int]:
    return {status.value: count for status, count in session.execute(
        select(Nomination.status, func.count()).where(Nomination.edition_id == edition.id)
        .group_by(Nomination.status))}


# --------------------------------------------------------------------------------- edit and confirm

EDITABLE_TEXT = ("title", "summary", "body")
EDITABLE_IDENTITY = ("employer", "city", "industry", "contact_phone", "contact_email")


def _split_list(value: str) -> list[str]:
    return [p.strip() for p in re.split(r"[、,，;；\n]+", value) if p.strip()]


def update_nomination(session: Session, *, edition: Edition, nomination_id: int, changes: Mapping[str, str],
                      by: audit.Actor) -> list[str]:
    """Edit the judged (redacted) text and/or the identity; audited with what changed. Returns the changed fields.

    A change of the judged text of a confirmed nomination keeps it confirmed: the organizer who
    edits is the reviewer. Changing who made it (inventors, employer …) sends a confirmed
    nomination back for review, since the redaction must be checked against the new names.
    """
    nomination = get_nomination(session, edition=edition, nomination_id=nomination_id)
    identity = session.get(NominationIdentity, nomination.id)
    original = session.get(NominationOriginal, nomination.id)
    changed: dict[str, object] = {}
    for name in EDITABLE_TEXT:
        if name in changes:
            value = str(changes[name]).replace("\r\n", "\n").strip()
            if name == "title" and not value:
                raise JudgingError(N_("The title must not be empty."))
            limit = rows_mod.LIMITS[name]
            if len(value) > limit:
                raise JudgingError(N_("{field} is too long ({length} characters, at most {limit})."),
                                   field=name, length=len(value), limit=limit)
            if value != getattr(nomination, name):
                setattr(nomination, name, value)
                changed[name] = value
    identity_changed = False
    if "inventors" in changes:
        inventors = _split_list(str(changes["inventors"]))
        if not inventors:
            raise JudgingError(N_("Name at least one inventor."))
        if inventors != list(identity.inventors or []):
            identity.inventors = inventors
            changed["inventors"] = inventors
            identity_changed = True
    if "patents" in changes:
        patents = _split_list(str(changes["patents"]).replace(" ", ","))
        if patents != list(identity.patents or []):
            identity.patents = patents
            changed["patents"] = patents
            identity_changed = True
    for name in EDITABLE_IDENTITY:
        if name in changes:
            value = str(changes[name]).strip()
            if name in ("employer", "city") and not value:
                raise JudgingError(N_("{field} must not be empty."), field=name)
            if name == "city" and value not in known_units(session, edition=edition):
                raise JudgingError(N_("Unknown city “{value}”."), value=value)
            if value != getattr(identity, name):
                setattr(identity, name, value)
                changed[name] = value
                identity_changed = True
    if "employer_forms" in changes and original is not None:
        forms = _split_list(str(changes["employer_forms"]))
        if forms != list(original.employer_forms or []):
            original.employer_forms = forms
            changed["employer_forms"] = forms
            identity_changed = True
    if not changed:
        return []
    if identity_changed and nomination.status is NominationStatus.CONFIRMED:
        nomination.status = NominationStatus.RECEIVED
        changed["status"] = NominationStatus.RECEIVED.value
    session.flush()
    audit.append(session, actor=by, action="nomination.edited", object_type="nomination", object_id=nomination.id,
                 data={"changes": changed})
    return sorted(changed)


def confirm(session: Session, *, edition: Edition, nomination_id: int, by: audit.Actor,
            acknowledge: bool = False, index: NameIndex | None = None) -> Nomination:
    """The organizer's review ends: the redacted text is what judges will read (audited).

    Refused while identifying strings are left in the judged text or flags are open, unless the
    organizer acknowledges them (the flags are then resolved with this act). Issues the nomination's
    blind code in the preliminary round, so the review page shows what judges will see.
    """
    nomination = get_nomination(session, edition=edition, nomination_id=nomination_id)
    if nomination.status is NominationStatus.WITHDRAWN:
        raise Conflict(N_("A withdrawn nomination cannot be confirmed."))
    identity = session.get(NominationIdentity, nomination.id)
    original = session.get(NominationOriginal, nomination.id)
    index = index if index is not None else name_index(session, edition_id=edition.id)
    found = text_leftovers(nomination, identity, original, index,
                           dictionary.short_names_by_employer(session, edition_id=edition.id))
    blocked = attachment_review.refused(session, nomination_id=nomination.id)
    if blocked:
        raise Conflict(N_("{count} attachment(s) were refused; replace them before confirming."), count=len(blocked))
    detected = detected_in(nomination)
    flags = list(session.scalars(select(NominationFlag).where(NominationFlag.nomination_id == nomination.id,
                                                              NominationFlag.resolved_at.is_(None))))
    if (found or flags or detected) and not acknowledge:
        raise Conflict(N_("Check the {count} flagged item(s) first, then confirm that they may stay."),
                       count=len(found) + len(flags) + len(detected))
    now = utcnow()
    for flag in flags:
        flag.resolved_at, flag.resolved_by_id = now, by.id
    nomination.status = NominationStatus.CONFIRMED
    if original is not None:
        original.confirmed_at, original.confirmed_by_id = now, by.id
    session.flush()
    audit.append(session, actor=by, action="nomination.confirmed", object_type="nomination",
                 object_id=nomination.id, data={"acknowledged_flags": [f.id for f in flags],
                                                "acknowledged_leftovers": found, "acknowledged_detected": detected})
    preliminary = _preliminary(edition)
    # Once formal review is under way, a nomination gets its code when it passes (formal review issues it).
    reviewed = status_of(session, category_id=nomination.category_id, kind=StageKind.FORMAL_REVIEW) \
        not in (StageStatus.PENDING, StageStatus.SKIPPED)
    if preliminary is not None and not reviewed:
        ensure_blind_codes(session, round_id=preliminary.id, nomination_ids=[nomination.id], by=by)
    return nomination


def confirm_clean(session: Session, *, edition: Edition, by: audit.Actor,
                  progress: Callable[[float, str], None] | None = None) -> int:
    """Confirm every received nomination with no open flag and nothing left in its text (audited each)."""
    flagged = set(session.scalars(select(NominationFlag.nomination_id).where(NominationFlag.resolved_at.is_(None))))
    ids = [i for i in session.scalars(select(Nomination.id).where(Nomination.edition_id == edition.id,
                                                                   Nomination.status == NominationStatus.RECEIVED)
                                      .order_by(Nomination.id)) if i not in flagged]
    index = name_index(session, edition_id=edition.id)
    done = 0
    for position, nomination_id in enumerate(ids):
        try:
            confirm(session, edition=edition, nomination_id=nomination_id, by=by, index=index)
            done += 1
        except Conflict:
            continue
        if progress and position % 200 == 0:
            progress(position / max(len(ids), 1), "")
    return done


def withdraw(session: Session, *, edition: Edition, nomination_id: int, reason: str, by: audit.Actor) -> Nomination:
    nomination = get_nomination(session, edition=edition, nomination_id=nomination_id)
    if not reason.strip():
        raise JudgingError(N_("Give a reason."))
    nomination.status = NominationStatus.WITHDRAWN
    session.flush()
    audit.append(session, actor=by, action="nomination.withdrawn", object_type="nomination",
                 object_id=nomination.id, data={"reason": reason.strip()})
    return nomination


def resolve_flag(session: Session, *, edition: Edition, flag_id: int, by: audit.Actor) -> NominationFlag:
    flag = session.scalar(select(NominationFlag).join(Nomination, Nomination.id == NominationFlag.nomination_id)
                          .where(NominationFlag.id == flag_id, Nomination.edition_id == edition.id))
    if flag is None:
        raise NotFound("flag")
    if flag.resolved_at is None:
        flag.resolved_at, flag.resolved_by_id = utcnow(), by.id
        session.flush()
        audit.append(session, actor=by, action="nomination.flag_resolved", object_type="nomination",
                     object_id=flag.nomination_id, data={"flag": flag.id, "kind": flag.kind})
    return flag


def get_import(session: Session, *, edition: Edition, import_id: int) -> NominationImport:
    record = session.scalar(select(NominationImport).where(NominationImport.id == import_id,
                                                           NominationImport.edition_id == edition.id))
    if record is None:
        raise NotFound("import")
    return record


def import_flags(session: Session, *, record: NominationImport) -> list[tuple[NominationFlag, Nomination]]:
    """Flags raised on the nominations this import created or updated."""
    return [tuple(row) for row in session.execute(
        select(NominationFlag, Nomination).join(Nomination, Nomination.id == NominationFlag.nomination_id)
        .join(NominationOriginal, NominationOriginal.nomination_id == Nomination.id)
        .where(NominationOriginal.import_id == record.id).order_by(NominationFlag.id).limit(1000))]


# ---------------------------------------------------------------------------------- the stage

def intake_blockers(session: Session, category: Category) -> list[Blocker]:
    counts = dict(session.execute(select(Nomination.status, func.count()).where(Nomination.category_id == category.id)
                                  .group_by(Nomination.status)).all())
    found = []
    if not sum(counts.values()):
        found.append(Blocker(N_("no nomination has been received")))
    if counts.get(NominationStatus.RECEIVED):
        found.append(Blocker(N_("{count} nominations wait for the organizer's confirmation"),
                             {"count": counts[NominationStatus.RECEIVED]}))
    return found


# ---------------------------------------------------------------------------------- error messages

_TEMPLATES: list[tuple[re.Pattern[str], str, list[str]]] = []


def _compile_templates() -> None:
    from judging.nominations import importer

    sources = [rows_mod.MESSAGES, attachments_mod.MESSAGES, tabular.MESSAGES, importer.MESSAGES]
    for messages in sources:
        for template in messages.values():
            names: list[str] = []

            def group(match: re.Match[str]) -> str:
                name = match.group(1).split("!")[0].split(":")[0]
                names.append(name)
                return f"(?P<{name}_{len(names)}>.*?)"

            pattern = re.sub(r"\\\{(\w+(?:![rs])?)\\\}", group, re.escape(template))
            _TEMPLATES.append((re.compile(f"^{pattern}$", re.S), template, names))


def translate_problem(problem: str, gettext: Callable[[str], str]) -> str:
    """Show a stored (English) row or file problem in the reader's language.

    Problems are stored as the English text the pure modules produce; each is matched back to
    its template, whose translation is then filled with the same values.
    """
    if not _TEMPLATES:
        _compile_templates()
    prefix = ""
    match_prefix = re.match(r"^(.{1,200}?): (.*)$", problem, re.S)
    candidates = [(problem, "")]
    if match_prefix:
        candidates.append((match_prefix.group(2), match_prefix.group(1) + ": "))
    for text, prefix in candidates:
        for pattern, template, names in _TEMPLATES:
            m = pattern.match(text)
            if m:
                values = {name: m.group(f"{name}_{i + 1}") for i, name in enumerate(names)}
                try:
                    return prefix + gettext(template).replace("{value!r}", "{value}").format(**values)
                except (KeyError, IndexError, ValueError):
                    return problem
    return problem
