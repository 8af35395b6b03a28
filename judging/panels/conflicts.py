"""Conflicts of interest: automatic (employer, parent group, city), entered by organizers, declared by judges.

Automatic conflicts are *derived* every time from the data they depend on (the expert's and the
nomination's employer and city, the organizer's group membership, the round's city rule), so they
can never go stale when an employer is corrected; every preview and commit audits how many of each
kind it avoided. Conflicts entered by an organizer or declared by a judge are stored rows
(:class:`~judging.panels.models.Conflict`) with their source, reason and author, and are audited
when they are made.

Employers are compared after :func:`judging.textsim.normalize_company` (full-width/half-width,
spaces, "(集团)" brackets, 有限公司/股份有限公司/… suffixes), so "南京钢铁股份有限公司" and
"南京钢铁有限公司" are the same employer.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from sqlalchemy import select
from sqlalchemy.orm import Session

from judging import audit
from judging.db.base import utcnow
from judging.editions.models import Edition, Round, RoundStatus
from judging.errors import N_, Conflict as ConflictError, JudgingError, NotFound
from judging.nominations.models import Nomination, NominationIdentity
from judging.panels.models import (
    Assignment, Conflict, ConflictSource, EmployerGroup, EmployerGroupMember, Expert,
)
from judging.textsim import normalize_company

# Reasons, in the order they are checked and shown. Message ids are translated where shown.
SAME_EMPLOYER = "same_employer"
SAME_GROUP = "same_group"
SAME_CITY = "same_city"
REASON_LABELS = {
    SAME_EMPLOYER: N_("same employer"),
    SAME_GROUP: N_("same parent group"),
    SAME_CITY: N_("same city"),
    ConflictSource.ORGANIZER.value: N_("entered by the organizer"),
    ConflictSource.DECLARED.value: N_("declared by the judge"),
}


def employer_key(name: str) -> str:
    return normalize_company(name or "")


def city_key(name: str) -> str:
    city = unicodedata.normalize("NFKC", name or "").strip()
    return city[:-1] if len(city) > 2 and city.endswith("市") else city


def same_city_rule(edition: Edition, round_: Round | None = None) -> bool:
    """Whether the same city is a conflict: ``settings["conflict_same_city"]`` is either a bool for
    every round or a mapping of round kind ("preliminary", "final") to a bool."""
    rule = (edition.settings or {}).get("conflict_same_city", False)
    if isinstance(rule, dict):
        return bool(rule.get(round_.kind.value, False)) if round_ is not None else False
    return bool(rule)


def group_index(session: Session) -> dict[str, tuple[int, str]]:
    """Normalized employer name -> (group id, group name), for every employer in a group."""
    rows = session.execute(select(EmployerGroupMember.employer_key, EmployerGroup.id, EmployerGroup.name)
                           .join(EmployerGroup, EmployerGroup.id == EmployerGroupMember.group_id)).all()
    return {key: (gid, name) for key, gid, name in rows}


@dataclass
class ConflictSet:
    """Forbidden (nomination row, expert column) pairs with why, for one assignment instance.

    ``matrix`` is an n x m boolean sparse matrix; ``reasons`` maps (row, col) to the reasons of
    every conflict except same-city ones (which can be millions, so only ``counts`` has them).
    """

    matrix: sp.csr_matrix
    reasons: dict[tuple[int, int], list[str]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def has(self, i: int, j: int) -> bool:
        return bool(self.matrix[i, j])


def conflict_set(session: Session, *, nominations: Sequence[tuple[int, str, str]],
                 experts: Sequence[Expert], same_city: bool,
                 extra_pairs: Iterable[tuple[int, int]] = ()) -> ConflictSet:
    """All conflicts between ``nominations`` ((id, employer, city) rows) and ``experts``.

    ``extra_pairs`` are further (nomination id, expert id) pairs to forbid without a reason
    (e.g. pairs already assigned in the round); they are not counted as conflicts.
    """
    n, m = len(nominations), len(experts)
    groups = group_index(session)
    nom_row = {nid: i for i, (nid, _e, _c) in enumerate(nominations)}
    exp_col = {e.id: j for j, e in enumerate(experts)}
    by_employer: dict[str, list[int]] = defaultdict(list)
    by_group: dict[int, list[int]] = defaultdict(list)
    by_city: dict[str, list[int]] = defaultdict(list)
    for j, expert in enumerate(experts):
        key = employer_key(expert.employer)
        by_employer[key].append(j)
        if key in groups:
            by_group[groups[key][0]].append(j)
        by_city[city_key(expert.city)].append(j)
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    reasons: dict[tuple[int, int], list[str]] = defaultdict(list)
    counts = {SAME_EMPLOYER: 0, SAME_GROUP: 0, SAME_CITY: 0,
              ConflictSource.ORGANIZER.value: 0, ConflictSource.DECLARED.value: 0}
    for i, (_nid, employer, city) in enumerate(nominations):
        key = employer_key(employer)
        same = by_employer.get(key, []) if key else []
        for j in same:
            reasons[(i, j)].append(SAME_EMPLOYER)
        counts[SAME_EMPLOYER] += len(same)
        if key in groups:
            members = [j for j in by_group.get(groups[key][0], []) if j not in set(same)]
            for j in members:
                reasons[(i, j)].append(SAME_GROUP)
            counts[SAME_GROUP] += len(members)
        if same_city:
            cj = by_city.get(city_key(city), [])
            if cj:
                rows.append(np.full(len(cj), i, np.int64))
                cols.append(np.asarray(cj, np.int64))
                counts[SAME_CITY] += len(cj)
    if nominations and experts:
        nids = [nid for nid, _e, _c in nominations]
        stored = session.execute(select(Conflict.nomination_id, Conflict.expert_id, Conflict.source)
                                 .where(Conflict.nomination_id.in_(nids))).all() if n <= 5000 else \
            session.execute(select(Conflict.nomination_id, Conflict.expert_id, Conflict.source)).all()
        for nid, eid, source in stored:
            if nid in nom_row and eid in exp_col:
                reasons[(nom_row[nid], exp_col[eid])].append(ConflictSource(source).value)
                counts[ConflictSource(source).value] += 1
    extra = [(nom_row[a], exp_col[b]) for a, b in extra_pairs if a in nom_row and b in exp_col]
    keys = list(reasons.keys()) + extra
    if keys:
        rows.append(np.fromiter((i for i, _ in keys), np.int64, len(keys)))
        cols.append(np.fromiter((j for _, j in keys), np.int64, len(keys)))
    r = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    c = np.concatenate(cols) if cols else np.zeros(0, np.int64)
    matrix = sp.csr_matrix((np.ones(len(r), bool), (r, c)), shape=(n, m), dtype=bool)
    return ConflictSet(matrix=matrix, reasons=dict(reasons), counts=counts)


def pair_reasons(session: Session, *, nomination_id: int, expert: Expert, same_city: bool) -> list[str]:
    """Every reason why ``expert`` must not judge the nomination (empty when there is none)."""
    identity = session.get(NominationIdentity, nomination_id)
    if identity is None:
        raise NotFound("nomination")
    found = conflict_set(session, nominations=[(nomination_id, identity.employer, identity.city)],
                         experts=[expert], same_city=same_city)
    out = list(found.reasons.get((0, 0), []))
    if found.counts[SAME_CITY]:
        out.append(SAME_CITY)
    return out


# ------------------------------------------------------------------ organizer-entered conflicts


_PICKED = re.compile(r"#\s*(\d+)\s*$")  # "王建国（南京某研究院）#12", as the page's list offers it


def _one(ids: list[int], text: str, *, none: str, several: str) -> int:
    if len(ids) == 1:
        return ids[0]
    raise JudgingError(none if not ids else several, name=text)


def find_expert(session: Session, text: str) -> int:
    """The expert an organizer named: a number, a pick from the page's list (ends in #id), or an exact name."""
    text = text.strip()
    if picked := _PICKED.search(text) or re.fullmatch(r"(\d+)", text):
        return int(picked.group(1))
    ids = list(session.scalars(select(Expert.id).where(Expert.name == text).limit(2)))
    return _one(ids, text, none=N_("No expert is named “{name}”."),
                several=N_("Several experts are named “{name}”: choose one from the list."))


def find_nomination(session: Session, text: str, *, edition_id: int | None) -> int:
    """The nomination an organizer named: a number, a pick from the page's list (ends in #id), or its title."""
    text = text.strip()
    if picked := _PICKED.search(text) or re.fullmatch(r"(\d+)", text):
        return int(picked.group(1))
    query = select(Nomination.id).where(Nomination.title == text)
    if edition_id is not None:
        query = query.where(Nomination.edition_id == edition_id)
    ids = list(session.scalars(query.limit(2)))
    return _one(ids, text, none=N_("No nomination has the title “{name}”."),
                several=N_("Several nominations have the title “{name}”: choose one from the list."))


def add_conflict(session: Session, *, expert_id: int, nomination_id: int, reason: str, by: audit.Actor,
                 now: dt.datetime | None = None) -> Conflict:
    """Record a conflict an organizer knows of; its current assignments in rounds that are not
    closed are withdrawn (their sheets never count) so that a refill can replace them. Audited."""
    now = now or utcnow()
    reason = (reason or "").strip()
    if not reason:
        raise JudgingError(N_("Give the reason for the conflict of interest."))
    expert = session.get(Expert, expert_id)
    nomination = session.get(Nomination, nomination_id)
    if expert is None or nomination is None:
        raise NotFound("conflict")
    existing = session.scalar(select(Conflict).where(Conflict.expert_id == expert_id,
                                                     Conflict.nomination_id == nomination_id))
    if existing is not None:
        raise ConflictError(N_("This conflict is already recorded."))
    conflict = Conflict(expert_id=expert_id, nomination_id=nomination_id, source=ConflictSource.ORGANIZER,
                        reason=reason, created_by_id=by.id, created_at=now)
    session.add(conflict)
    withdrawn = []
    for assignment in session.scalars(
            select(Assignment).join(Round, Round.id == Assignment.round_id)
            .where(Assignment.expert_id == expert_id, Assignment.nomination_id == nomination_id,
                   Assignment.withdrawn_at.is_(None), Round.status != RoundStatus.CLOSED)):
        assignment.withdrawn_at = now
        assignment.withdrawn_reason = reason
        withdrawn.append(assignment.id)
    session.flush()
    audit.append(session, actor=by, action="conflict.entered", object_type="conflict", object_id=conflict.id,
                 data={"expert_id": expert_id, "nomination_id": nomination_id, "source": "organizer",
                       "reason": reason, "withdrawn_assignments": withdrawn}, at=now)
    return conflict


def delete_conflict(session: Session, *, conflict_id: int, by: audit.Actor) -> None:
    """Remove an organizer-entered conflict (a judge's declaration stays on record). Audited."""
    conflict = session.get(Conflict, conflict_id)
    if conflict is None:
        raise NotFound("conflict")
    if conflict.source is not ConflictSource.ORGANIZER:
        raise ConflictError(N_("Only conflicts entered by an organizer can be removed."))
    data = {"expert_id": conflict.expert_id, "nomination_id": conflict.nomination_id, "reason": conflict.reason}
    session.delete(conflict)
    session.flush()
    audit.append(session, actor=by, action="conflict.removed", object_type="conflict", object_id=conflict_id,
                 data=data)


# ------------------------------------------------------------------------- employer groups


def save_group(session: Session, *, name: str, employers: Iterable[str], by: audit.Actor) -> EmployerGroup:
    """Create a parent group or replace its member employers (one employer per line). Audited.

    Members are matched by normalized name; an employer may belong to one group only.
    """
    name = (name or "").strip()
    if not name:
        raise JudgingError(N_("Give the group's name."))
    members: dict[str, str] = {}
    for employer in employers:
        employer = employer.strip()
        if employer:
            members.setdefault(employer_key(employer), employer)
    if len(members) < 2:
        raise JudgingError(N_("A group needs at least two member employers."))
    group = session.scalar(select(EmployerGroup).where(EmployerGroup.name == name))
    if group is None:
        group = EmployerGroup(name=name)
        session.add(group)
        session.flush()
    taken = session.execute(select(EmployerGroupMember.employer, EmployerGroup.name)
                            .join(EmployerGroup, EmployerGroup.id == EmployerGroupMember.group_id)
                            .where(EmployerGroupMember.employer_key.in_(list(members)),
                                   EmployerGroupMember.group_id != group.id)).first()
    if taken is not None:
        raise ConflictError(N_("{employer} already belongs to the group {group}."),
                            employer=taken[0], group=taken[1])
    group.members.clear()
    session.flush()
    for key, employer in sorted(members.items()):
        group.members.append(EmployerGroupMember(employer=employer, employer_key=key))
    session.flush()
    audit.append(session, actor=by, action="employer_group.saved", object_type="employer_group",
                 object_id=group.id, data={"name": name, "employers": sorted(members.values())})
    return group


def delete_group(session: Session, *, group_id: int, by: audit.Actor) -> None:
    group = session.get(EmployerGroup, group_id)
    if group is None:
        raise NotFound("employer_group")
    name = group.name
    session.delete(group)
    session.flush()
    audit.append(session, actor=by, action="employer_group.deleted", object_type="employer_group",
                 object_id=group_id, data={"name": name})
