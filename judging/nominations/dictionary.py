"""The edition's dictionary of employers' short names (南钢, 徐工, XCMG): seeded from the shipped list,
learned from past editions, kept by the office; redaction masks every entry. Services take a Session,
never commit, and audit their changes."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from importlib import resources

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from judging import audit
from judging.errors import N_, JudgingError
from judging.nominations.models import EmployerShortName, Nomination, NominationIdentity, NominationOriginal
from judging.textsim import normalize_company

__all__ = ["entries", "import_lines", "learn_from", "parse_lines", "seed", "short_names_by_employer",
           "short_names_for"]

MAX_SHORT = 60


def employer_key(employer: str) -> str:
    return normalize_company(employer)[:200]


def _clean(value: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value or ""))


def parse_lines(text: str) -> list[tuple[str, list[str]]]:
    """Lines ``employer<TAB or comma>short、short …`` (the office's list, or the shipped seed)."""
    out: list[tuple[str, list[str]]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = re.split(r"[\t,，]", line, maxsplit=1)
        if len(parts) < 2 or not parts[0].strip():
            raise JudgingError(N_("Line {line}: write the employer, then its short names separated by 、."),
                               line=number)
        shorts = [_clean(s) for s in re.split(r"[、;；/／,，]", parts[1]) if _clean(s)]
        bad = next((s for s in shorts if len(s) < 2 or len(s) > MAX_SHORT), None)
        if bad is not None or not shorts:
            raise JudgingError(N_("Line {line}: “{value}” is not a short name (2 to 60 characters)."), line=number,
                               value=bad or parts[1].strip())
        out.append((parts[0].strip(), shorts))
    return out


def _add(session: Session, *, edition_id: int, pairs: Iterable[tuple[str, str]], source: str) -> list[list[str]]:
    """Add (employer, short name) pairs that are not in the dictionary yet; returns those added."""
    have = {(k, s) for k, s in session.execute(select(EmployerShortName.employer_key, EmployerShortName.short_name)
                                               .where(EmployerShortName.edition_id == edition_id))}
    added: list[list[str]] = []
    for employer, short in pairs:
        key = employer_key(employer)
        if not key or (key, short) in have:
            continue
        have.add((key, short))
        session.add(EmployerShortName(edition_id=edition_id, employer=employer[:200], employer_key=key,
                                      short_name=short[:MAX_SHORT], source=source))
        added.append([employer, short])
    session.flush()
    return added


def seed(session: Session, *, edition_id: int, by: audit.Actor) -> int:
    """The shipped list of the province's well-known employers (``data/short_names.tsv``), audited."""
    text = resources.files("judging.nominations").joinpath("data/short_names.tsv").read_text("utf-8")
    added = _add(session, edition_id=edition_id, source="seed",
                 pairs=[(e, s) for e, shorts in parse_lines(text) for s in shorts])
    if added:
        audit.append(session, actor=by, action="edition.short_names_added", object_type="edition", object_id=edition_id,
                     data={"source": "seed", "added": added})
    return len(added)


def import_lines(session: Session, *, edition_id: int, text: str, by: audit.Actor) -> int:
    """The office's list (see :func:`parse_lines`), added to the dictionary; audited with what was added."""
    added = _add(session, edition_id=edition_id, source="office",
                 pairs=[(e, s) for e, shorts in parse_lines(text) for s in shorts])
    audit.append(session, actor=by, action="edition.short_names_added", object_type="edition", object_id=edition_id,
                 data={"source": "office", "added": added})
    return len(added)


def remove(session: Session, *, edition_id: int, entry_id: int, by: audit.Actor) -> None:
    entry = session.get(EmployerShortName, entry_id)
    if entry is None or entry.edition_id != edition_id:
        raise JudgingError(N_("No such short name."))
    session.execute(delete(EmployerShortName).where(EmployerShortName.id == entry_id))
    audit.append(session, actor=by, action="edition.short_name_removed", object_type="edition", object_id=edition_id,
                 data={"employer": entry.employer, "short_name": entry.short_name})


def learn_from(session: Session, *, edition_id: int, past_edition_ids: Iterable[int], by: audit.Actor) -> int:
    """What past editions knew: their dictionaries, and the short names their nominations gave
    (the intake column and the abbreviations organizers added on a nomination's page)."""
    past = list(past_edition_ids)
    if not past:
        return 0
    pairs = [(e, s) for e, s in session.execute(select(EmployerShortName.employer, EmployerShortName.short_name)
                                                .where(EmployerShortName.edition_id.in_(past)))]
    for employer, shorts, forms in session.execute(
            select(NominationIdentity.employer, NominationIdentity.short_names, NominationOriginal.employer_forms)
            .join(Nomination, Nomination.id == NominationIdentity.nomination_id)
            .outerjoin(NominationOriginal, NominationOriginal.nomination_id == Nomination.id)
            .where(Nomination.edition_id.in_(past))):
        pairs.extend((employer, _clean(s)) for s in [*(shorts or []), *(forms or [])] if len(_clean(s)) >= 2)
    added = _add(session, edition_id=edition_id, pairs=pairs, source="learned")
    if added:
        audit.append(session, actor=by, action="edition.short_names_added", object_type="edition", object_id=edition_id,
                     data={"source": "learned", "editions": past, "added": added})
    return len(added)


def entries(session: Session, *, edition_id: int) -> list[EmployerShortName]:
    return list(session.scalars(select(EmployerShortName).where(EmployerShortName.edition_id == edition_id)
                                .order_by(EmployerShortName.employer_key, EmployerShortName.short_name)))


def short_names_by_employer(session: Session, *, edition_id: int) -> dict[str, list[str]]:
    """Normalized employer -> its short names, for redaction."""
    out: dict[str, list[str]] = {}
    for key, short in session.execute(select(EmployerShortName.employer_key, EmployerShortName.short_name)
                                      .where(EmployerShortName.edition_id == edition_id)):
        out.setdefault(key, []).append(short)
    return out


def short_names_for(dictionary: dict[str, list[str]], employer: str) -> list[str]:
    return dictionary.get(employer_key(employer), [])
