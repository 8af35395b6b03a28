"""What redaction masks for a nomination: its identity in every form (:mod:`identity`), the edition's
names and the dictionary's short names, gathered from the intake row or from the stored identity."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from judging import audit
from judging.errors import N_, JudgingError, NotFound

from judging.nominations import dictionary, places
from judging.nominations.identity import Identity, OwnNames, traditional
from judging.nominations.models import Nomination, NominationIdentity, NominationOriginal
from judging.nominations.redaction import NameIndex
from judging.nominations.rows import NominationRow

__all__ = ["allow_place", "edition_index", "identity_of", "identity_of_row", "own_names"]


def identity_of_row(row: NominationRow, short_names: dict[str, list[str]]) -> Identity:
    """The identity an import row gives, with the dictionary's short names of its employer."""
    return Identity(
        persons=(*row.inventors, *(name for name, _ in row.team)), employer=row.employer,
        short_names=(*row.short_names, *dictionary.short_names_for(short_names, row.employer)),
        city=row.city, other_cities=(row.employer_city,) if row.employer_city else (), patents=row.patents, phones=(row.phone,) if row.phone else (),
        emails=(row.email,) if row.email else ())


def identity_of(identity: NominationIdentity, original: NominationOriginal | None,
                short_names: dict[str, list[str]]) -> Identity:
    """The identity of a stored nomination (the organizer's abbreviations and exceptions included)."""
    team = [member[0] for member in (identity.team or []) if member]
    # A district let stay is let stay in its bare form too (江宁区 and 江宁).
    exceptions = [form for e in ((original.place_exceptions or []) if original else [])
                  for form in places.district_forms(e.get("text", ""))]
    return Identity(
        persons=(*(identity.inventors or []), *team), employer=identity.employer or "",
        short_names=(*(identity.short_names or []), *((original.employer_forms or []) if original else []),
                     *dictionary.short_names_for(short_names, identity.employer or "")),
        city=identity.city or "", other_cities=(identity.employer_city,) if identity.employer_city else (),
        patents=tuple(identity.patents or []),
        phones=(identity.contact_phone,) if identity.contact_phone else (),
        emails=(identity.contact_email,) if identity.contact_email else (), allowed=tuple(exceptions))


def own_names(identity: Identity, index: NameIndex | None) -> OwnNames:
    """``global_names`` for :func:`redaction.redact`: this nomination's forms and the edition's names."""
    return OwnNames(identity.strings(), index)


def edition_index(session: Session, *, edition_id: int, extra_persons: Iterable[str] = (),
                  extra_employers: Iterable[str] = (), extra_short_names: Iterable[str] = ()) -> NameIndex:
    """Every nominee, team member and employer of the edition (in simplified and traditional
    characters) and every short name of the dictionary, for redaction."""
    persons: set[str] = set(extra_persons)
    employers: set[str] = set(extra_employers)
    shorts: set[str] = set(extra_short_names)
    for inventors, team, employer, own_shorts in session.execute(
            select(NominationIdentity.inventors, NominationIdentity.team, NominationIdentity.employer,
                   NominationIdentity.short_names)
            .join(Nomination, Nomination.id == NominationIdentity.nomination_id)
            .where(Nomination.edition_id == edition_id)):
        persons.update(inventors or [])
        persons.update(member[0] for member in (team or []) if member)
        employers.add(employer)
        shorts.update(own_shorts or [])
    for names in dictionary.short_names_by_employer(session, edition_id=edition_id).values():
        shorts.update(names)
    persons |= {traditional(p) for p in persons}
    shorts |= {traditional(s) for s in shorts}
    return NameIndex.build(persons=sorted(persons), employers=sorted(employers | {traditional(e) for e in employers}),
                           short_names=sorted(shorts))


def allow_place(session: Session, *, edition_id: int, nomination_id: int, text: str, reason: str,
                by: audit.Actor) -> None:
    """Let a place of the nominating city stay in this nomination's text (the category's text needs it:
    a project named after a district); an explicit, audited exception with its reason."""
    nomination = session.get(Nomination, nomination_id)
    identity = session.get(NominationIdentity, nomination_id)
    if nomination is None or identity is None or nomination.edition_id != edition_id:
        raise NotFound("nomination")
    original = session.get(NominationOriginal, nomination_id)
    if original is None:
        raise JudgingError(N_("Only an imported nomination keeps the text a place could stay in."))
    text, reason = text.strip(), reason.strip()
    if not reason:
        raise JudgingError(N_("Give a reason."))
    forms = {*places.city_forms(identity.city), *places.city_forms(identity.employer_city or "")}
    if text not in forms:
        raise JudgingError(N_("“{value}” is not a form of the nominating city or its districts."), value=text)
    original.place_exceptions = [*(original.place_exceptions or []), {"text": text, "reason": reason}]
    session.flush()
    audit.append(session, actor=by, action="nomination.place_allowed", object_type="nomination",
                 object_id=nomination_id, data={"place": text, "reason": reason})
