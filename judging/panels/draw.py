"""The random draw of experts (专家随机抽取): drawn by specialty from the eligible, confirmed by a supervisor.

A draw is made for one category in one round: the organizer sets how many experts of each specialty
(an entry of the expert's fields) the panel needs. Eligible are the active experts with no conflict,
by the existing rules (same employer, parent group, same city when the round's rule says so, and the
entered or declared ones), with any nomination of the category, whose load in the round leaves room
to judge all of them, and who are not excluded by the caller's filter (the integrity record's flags).

The seed comes from :mod:`secrets` and is stored; each specialty's candidates are ordered by
``sha256(seed:specialty:expert id)`` and the first ones are drawn, so the draw depends only on the
seed, the specialties and the stored candidate lists, and :func:`replay` gives the same experts
whatever the numpy or Python version. A supervisor (an auditor) confirms a pending draw before it
takes effect: the drawn experts are then assigned every nomination of the category. A redraw keeps
the old draw (marked redrawn) and records its reason on the new one. Every step is audited.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from judging import audit
from judging.db.base import utcnow
from judging.errors import N_, Conflict, JudgingError, NotFound
from judging.formal_review.service import admitted_ids
from judging.nominations.codes import ensure_blind_codes
from judging.nominations.models import Nomination
from judging.panels import conflicts as conflicts_mod
from judging.panels.models import Assignment, Expert
from judging.panels.pool_models import DrawStatus, ExpertDraw
from judging.panels.service import get_round_category, identities_of, nominations_to_judge, round_loads


STATUS_LABELS = {DrawStatus.PENDING.value: N_("waiting for the supervisor"),
                 DrawStatus.CONFIRMED.value: N_("confirmed by the supervisor"), DrawStatus.REDRAWN.value: N_("redrawn")}


# Why an expert was left out of a draw (``ExpertDraw.excluded``): the draw's own rules, then the
# record filter's reasons (``judging.integrity.record.pool_exclusions``).
EXCLUDED_LABELS = {"conflict": N_("conflict of interest"), "load": N_("load limit"),
                   "flagged": N_("listed in an integrity report"), "completion": N_("low completion")}


class DrawShortfall(JudgingError):
    """The draw cannot be filled: ``shortfall`` lists, per specialty, how many are wanted and eligible."""

    def __init__(self, shortfall: list[dict[str, Any]]) -> None:
        detail = "; ".join(f"{s['specialty']}: {s['wanted']} / {s['eligible']}" for s in shortfall)
        super().__init__(N_("Not enough eligible experts for this draw (specialty: wanted / eligible): "
                            "{detail}."), detail=detail)
        self.shortfall = shortfall


def parse_spec(text: str) -> dict[str, int]:
    """``"机械:3、电气:2"`` (one ``specialty:number`` per line or separated by 、,;) -> {specialty: number}."""
    spec: dict[str, int] = {}
    for part in text.replace("、", "\n").replace(";", "\n").replace("；", "\n").replace(",", "\n").splitlines():
        part = part.strip()
        if not part:
            continue
        name, sep, number = part.replace("：", ":").rpartition(":")
        name = name.strip()
        if not sep or not name or not number.strip().isdigit() or int(number) < 1:
            raise JudgingError(N_("Write each specialty as \"specialty:number\" with a number of at least 1; "
                                  "“{part}” is not."), part=part)
        spec[name] = spec.get(name, 0) + int(number)
    if not spec:
        raise JudgingError(N_("Name at least one specialty and how many experts of it to draw."))
    return spec


def _order(seed: str, specialty: str, expert_id: int) -> str:
    return hashlib.sha256(f"{seed}:{specialty}:{expert_id}".encode()).hexdigest()


def draw_order(spec: Mapping[str, int], candidates: Mapping[str, list[int]]) -> list[str]:
    """Scarcest specialty first (fewest candidates, then by name), so that an expert of several
    specialties is not spent on a plentiful one that a scarce one needed."""
    return sorted(spec, key=lambda s: (len(candidates.get(s, [])), s))


def pick(seed: str, spec: Mapping[str, int], candidates: Mapping[str, list[int]]) -> dict[str, list[int]]:
    """The draw itself, pure: specialties in :func:`draw_order`, each taking its first ``n``
    candidates by ``sha256(seed:specialty:id)`` among those not drawn for an earlier specialty."""
    taken: set[int] = set()
    drawn: dict[str, list[int]] = {}
    for specialty in draw_order(spec, candidates):
        pool = [e for e in candidates.get(specialty, []) if e not in taken]
        chosen = sorted(pool, key=lambda e: _order(seed, specialty, e))[: spec[specialty]]
        drawn[specialty] = chosen
        taken.update(chosen)
    return drawn


def _shortfall(spec: Mapping[str, int], candidates: Mapping[str, list[int]]) -> list[dict[str, Any]]:
    """Per specialty, the wanted number against its eligible experts."""
    short = []
    for specialty in draw_order(spec, candidates):
        eligible = len(candidates.get(specialty, []))
        if eligible < spec[specialty]:
            short.append({"specialty": specialty, "wanted": spec[specialty], "eligible": eligible})
    return short


def eligible_candidates(session: Session, *, round_id: int, category_id: int, spec: Mapping[str, int],
                        exclude: Mapping[int, str]) -> tuple[dict[str, list[int]], dict[str, str]]:
    """Eligible expert ids per specialty (sorted) and the excluded ones with why."""
    round_, category = get_round_category(session, round_id=round_id, category_id=category_id)
    nominations = nominations_to_judge(session, round_=round_, category=category)
    experts = list(session.scalars(select(Expert).where(Expert.active.is_(True)).order_by(Expert.id)))
    identities = identities_of(session, [n.id for n in nominations])
    rows = [(n.id, identities[n.id].employer if n.id in identities else "",
             identities[n.id].city if n.id in identities else "") for n in nominations]
    same_city = conflicts_mod.same_city_rule(round_.edition, round_)
    cset = conflicts_mod.conflict_set(session, nominations=rows, experts=experts, same_city=same_city)
    conflicted = set(cset.matrix.nonzero()[1].tolist())
    loads = round_loads(session, round_id=round_id)
    excluded: dict[str, str] = {}
    free: list[Expert] = []
    for j, expert in enumerate(experts):
        if j in conflicted:
            excluded[str(expert.id)] = "conflict"
        elif loads.get(expert.id, 0) + len(nominations) > expert.max_load:
            excluded[str(expert.id)] = "load"
        elif expert.id in exclude:
            excluded[str(expert.id)] = exclude[expert.id]
        else:
            free.append(expert)
    candidates = {specialty: [e.id for e in free if specialty in (e.fields or [])] for specialty in spec}
    return candidates, excluded


def draw_experts(session: Session, *, round_id: int, category_id: int, spec: Mapping[str, int], by: audit.Actor,
                 exclude: Mapping[int, str] | None = None, options: Mapping[str, Any] | None = None,
                 replaces: ExpertDraw | None = None, reason: str = "") -> ExpertDraw:
    """Draw a panel at random; the draw is pending until a supervisor confirms it. Audited.

    Raises :class:`DrawShortfall` (nothing stored) when a specialty has fewer eligible experts
    than wanted, or when experts shared between specialties leave one short.
    """
    if any(d.status is DrawStatus.PENDING for d in draws_of(session, round_id=round_id, category_id=category_id)
           if replaces is None or d.id != replaces.id):
        raise Conflict(N_("A draw for this category is waiting for confirmation; confirm it or redraw."))
    candidates, excluded = eligible_candidates(session, round_id=round_id, category_id=category_id, spec=spec,
                                               exclude=exclude or {})
    short = _shortfall(spec, candidates)
    seed = secrets.token_hex(16)
    drawn = pick(seed, spec, candidates)
    # a specialty can also fall short after a scarcer one took experts it shares: then its
    # "eligible" is what was left for it
    short += [{"specialty": s, "wanted": spec[s], "eligible": len(drawn[s])}
              for s in draw_order(spec, candidates)
              if len(drawn[s]) < spec[s] and s not in {x["specialty"] for x in short}]
    if short:
        raise DrawShortfall(short)
    draw = ExpertDraw(round_id=round_id, category_id=category_id, spec=dict(spec), options=dict(options or {}),
                      seed=seed, candidates=candidates, excluded=excluded, drawn=drawn,
                      replaces_id=replaces.id if replaces else None, redraw_reason=reason, created_by_id=by.id)
    session.add(draw)
    session.flush()
    audit.append(session, actor=by, action="expert_draw.drawn", object_type="expert_draw", object_id=draw.id,
                 data={"round": round_id, "category": category_id, "spec": dict(spec), "seed": seed,
                       "options": dict(options or {}), "candidates": candidates, "excluded": excluded,
                       "drawn": drawn, "replaces": draw.replaces_id, "reason": reason})
    return draw


def redraw(session: Session, *, draw_id: int, reason: str, by: audit.Actor,
           exclude: Mapping[int, str] | None = None) -> ExpertDraw:
    """Replace a pending draw by a new one with a new seed; the reason is required and recorded."""
    old = get_draw(session, draw_id)
    if old.status is not DrawStatus.PENDING:
        raise Conflict(N_("Only a draw waiting for confirmation can be redrawn."))
    reason = (reason or "").strip()
    if not reason:
        raise JudgingError(N_("Give the reason for the redraw."))
    new = draw_experts(session, round_id=old.round_id, category_id=old.category_id, spec=old.spec, by=by,
                       exclude=exclude, options=old.options, replaces=old, reason=reason)
    old.status = DrawStatus.REDRAWN
    session.flush()
    audit.append(session, actor=by, action="expert_draw.redrawn", object_type="expert_draw", object_id=old.id,
                 data={"new_draw": new.id, "reason": reason})
    return new


def confirm_draw(session: Session, *, draw_id: int, by: audit.Actor) -> int:
    """The supervisor confirms: the drawn experts are assigned every nomination of the category.

    Refused when the supervisor made the draw, when the category already has assignments in the
    round, or when a drawn expert has since become inactive or conflicted. Returns the pairs made."""
    draw = get_draw(session, draw_id)
    if draw.status is not DrawStatus.PENDING:
        raise Conflict(N_("Only a draw waiting for confirmation can be confirmed."))
    if draw.created_by_id is not None and draw.created_by_id == by.id:
        raise Conflict(N_("The draw must be confirmed by a supervisor other than the person who made it."))
    round_, category = get_round_category(session, round_id=draw.round_id, category_id=draw.category_id)
    active = session.scalar(select(func.count()).select_from(Assignment)
                            .join(Nomination, Nomination.id == Assignment.nomination_id)
                            .where(Assignment.round_id == round_.id, Nomination.category_id == category.id,
                                   Assignment.withdrawn_at.is_(None)))
    if active:
        raise Conflict(N_("This category already has assignments in this round; refill or swap experts instead."))
    expert_ids = sorted({e for ids in draw.drawn.values() for e in ids})
    spec = {s: len(ids) for s, ids in draw.drawn.items()}
    candidates, _ = eligible_candidates(session, round_id=draw.round_id, category_id=draw.category_id,
                                        spec=spec, exclude={})
    now_eligible = {e for ids in candidates.values() for e in ids}
    gone = [e for e in expert_ids if e not in now_eligible]
    if gone:
        raise Conflict(N_("{count} drawn experts are no longer eligible (deactivated, conflicted or at their "
                          "load); redraw with the reason."), count=len(gone))
    nominations = nominations_to_judge(session, round_=round_, category=category)
    now = utcnow()
    pairs = [(n.id, e) for n in nominations for e in expert_ids]
    if pairs:
        session.execute(insert(Assignment), [{"round_id": round_.id, "nomination_id": a, "expert_id": b,
                                              "created_at": now} for a, b in pairs])
        ensure_blind_codes(session, round_id=round_.id,
                           nomination_ids=admitted_ids(session, [n.id for n in nominations]), by=by)
    draw.status = DrawStatus.CONFIRMED
    draw.confirmed_by_id = by.id
    draw.confirmed_at = now
    session.flush()
    audit.append(session, actor=by, action="expert_draw.confirmed", object_type="expert_draw", object_id=draw.id,
                 data={"round": round_.id, "category": category.id, "experts": expert_ids, "pairs": len(pairs),
                       "seed": draw.seed})
    return len(pairs)


def replay(draw: ExpertDraw) -> dict[str, list[int]]:
    """The draw made again from its record (seed, specialties, candidates): equal to ``draw.drawn``."""
    return pick(draw.seed, {s: int(n) for s, n in draw.spec.items()},
                {s: [int(e) for e in ids] for s, ids in draw.candidates.items()})


def get_draw(session: Session, draw_id: int) -> ExpertDraw:
    draw = session.get(ExpertDraw, draw_id)
    if draw is None:
        raise NotFound("expert_draw")
    return draw


def draws_of(session: Session, *, round_id: int, category_id: int) -> list[ExpertDraw]:
    return list(session.scalars(select(ExpertDraw).where(ExpertDraw.round_id == round_id,
                                                         ExpertDraw.category_id == category_id)
                                .order_by(ExpertDraw.id.desc())))
