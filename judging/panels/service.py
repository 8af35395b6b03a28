"""Assigning nominations to experts in the app: preview, commit, refill, swap, drop-out.

Services take a Session, write their audit event in the caller's transaction and never commit.

* :func:`preview_plan` builds the instance of one round and category (eligible nominations,
  active experts, affinity, conflicts, caps), runs the solver (k judges each, or panels over
  blocks) and stores the plan with its figures, or with what falls short when none exists.
* :func:`commit_plan` turns a previewed plan into assignments (and blind codes), after checking
  again that no pair is conflicted and no cap is exceeded.
* :func:`refill_round` tops every nomination of a round back up to k active assignments after
  withdrawals (a declared conflict, a drop-out), never touching an existing pair.
* :func:`swap_expert` replaces one expert on one nomination, checked for conflicts and caps.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from judging import audit, notifications
from judging.db.base import utcnow
from judging.editions.models import Category, Edition, Round, RoundKind, RoundStatus
from judging.errors import N_, Conflict, JudgingError, NotFound
from judging.formal_review.service import admitted, admitted_ids
from judging.nominations.codes import ensure_blind_codes
from judging.nominations.models import BlindCode, Nomination, NominationIdentity, NominationStatus
from judging.panels import conflicts as conflicts_mod
from judging.panels.affinity import NominationText, affinity_matrix, explain
from judging.panels.assignment import InfeasibleAssignment, solve
from judging.panels.models import Assignment, AssignmentPlan, Expert, PlanStatus
from judging.panels.plan_settings import PlanSettings

Progress = Callable[[float, str], None]
_LIST_LIMIT = 50
_quiet: Progress = lambda fraction, message="": None  # noqa: E731 (no one listens)


# ---------------------------------------------------------------------------- the instance


def get_round_category(session: Session, *, round_id: int, category_id: int) -> tuple[Round, Category]:
    round_ = session.get(Round, round_id)
    category = session.get(Category, category_id)
    if round_ is None or category is None or category.edition_id != round_.edition_id:
        raise NotFound("round")
    return round_, category


def eligible_nominations(session: Session, *, round_: Round, category: Category) -> list[Nomination]:
    """CONFIRMED nominations of the round's edition and category that the formal review let through; in a
    final round, only those advanced to it: ``results.advance`` (approved runs only) issues the final
    round's codes to exactly the nominations that go on, so that code is the ticket."""
    query = (select(Nomination).where(Nomination.edition_id == round_.edition_id,
                                      Nomination.category_id == category.id,
                                      Nomination.status == NominationStatus.CONFIRMED, admitted())
             .order_by(Nomination.id))
    if round_.kind is RoundKind.FINAL:
        query = query.where(Nomination.id.in_(_ticketed(round_.id)))
    return list(session.scalars(query))


def nominations_to_judge(session: Session, *, round_: Round, category: Category) -> list[Nomination]:
    """:func:`eligible_nominations`, refused (saying why) when there are none: a panel planned or drawn
    for nobody could check no conflict and would leave its judges nothing to score."""
    if nominations := eligible_nominations(session, round_=round_, category=category):
        return nominations
    if round_.kind is RoundKind.FINAL:
        raise Conflict(N_("No nomination of this category has advanced to the final round: approve a run of "
                          "the preliminary round and advance its top nominations first."))
    raise JudgingError(N_("There are no confirmed nominations to assign in this category."))


def _ticketed(round_id: int):  # the nominations holding a code of the round (final: those advanced to it)
    return select(BlindCode.nomination_id).where(BlindCode.round_id == round_id)


def identities_of(session: Session, ids: Sequence[int]) -> dict[int, NominationIdentity]:
    """The identity rows of the nominations ``ids`` (for conflicts and the organizer's pages, never judges)."""
    out: dict[int, NominationIdentity] = {}
    for start in range(0, len(ids), 5000):
        out.update({i.nomination_id: i for i in session.scalars(
            select(NominationIdentity).where(NominationIdentity.nomination_id.in_(ids[start:start + 5000])))})
    return out


def nomination_text(nomination: Nomination, identity: NominationIdentity | None) -> NominationText:
    return NominationText(industry=identity.industry if identity else "",
                          text="\n".join([nomination.title, nomination.summary or "", nomination.body or ""]))


def round_loads(session: Session, *, round_id: int, category_id: int | None = None) -> Counter:
    """Active (not withdrawn) assignments per expert in the round (optionally one category)."""
    query = (select(Assignment.expert_id, func.count()).where(Assignment.round_id == round_id,
                                                              Assignment.withdrawn_at.is_(None))
             .group_by(Assignment.expert_id))
    if category_id is not None:
        query = query.join(Nomination, Nomination.id == Assignment.nomination_id).where(
            Nomination.category_id == category_id)
    return Counter(dict(session.execute(query).all()))


def active_experts(session: Session) -> list[Expert]:
    return list(session.scalars(select(Expert).where(Expert.active.is_(True)).order_by(Expert.id)))


@dataclass
class Instance:
    round: Round
    category: Category
    nominations: list[Nomination]
    identities: dict[int, NominationIdentity]
    experts: list[Expert]
    affinity: np.ndarray | sp.csr_matrix
    conflicts: conflicts_mod.ConflictSet
    same_city: bool


def build_instance(session: Session, *, round_: Round, category: Category, nominations: list[Nomination],
                   experts: list[Expert], same_city: bool, forbid: Sequence[tuple[int, int]] = (),
                   progress: Progress = _quiet) -> Instance:
    ids = [n.id for n in nominations]
    identities = identities_of(session, ids)
    progress(0.02, N_("Computing affinities"))
    texts = [nomination_text(n, identities.get(n.id)) for n in nominations]
    affinity = affinity_matrix(texts, [e.fields for e in experts], category.key.value)
    progress(0.08, N_("Finding conflicts of interest"))
    rows = [(n.id, identities[n.id].employer if n.id in identities else "",
             identities[n.id].city if n.id in identities else "") for n in nominations]
    cset = conflicts_mod.conflict_set(session, nominations=rows, experts=experts, same_city=same_city,
                                      extra_pairs=forbid)
    return Instance(round=round_, category=category, nominations=nominations, identities=identities,
                    experts=experts, affinity=affinity, conflicts=cset, same_city=same_city)


# ------------------------------------------------------------------------------- settings


def default_settings(session: Session, *, round_: Round, category: Category) -> PlanSettings:
    """Sensible starting values for the form: the last plan's settings, else k=5 (preliminary) and
    panels of 7 (final), the round's city rule, loads that spread the work evenly."""
    last = session.scalar(select(AssignmentPlan).where(AssignmentPlan.round_id == round_.id,
                                                       AssignmentPlan.category_id == category.id)
                          .order_by(AssignmentPlan.id.desc()).limit(1))
    if last is not None:
        known = {k: v for k, v in last.settings.items() if k in PlanSettings.__dataclass_fields__}
        return PlanSettings(**known)
    n = len(eligible_nominations(session, round_=round_, category=category))
    m = max(1, len(active_experts(session)))
    k = 5
    edition = session.get(Edition, round_.edition_id)
    return PlanSettings(mode="blocks" if round_.kind is RoundKind.FINAL else "k", k=k,
                        max_load=max(1, math.ceil(n * k / m) + 2), min_load=0, panel_size=7,
                        n_panels=max(1, min(4, n // 10)), overlap=1,
                        same_city=conflicts_mod.same_city_rule(edition, round_), seed=round_.id)


# --------------------------------------------------------------------------------- preview


def _label(nomination: Nomination) -> str:
    return f"#{nomination.id} {nomination.title}"


def _infeasible_figures(inst: Instance, *, k: int, caps: np.ndarray, exc: InfeasibleAssignment) -> dict:
    """Which nominations cannot be covered and by how much capacity falls short."""
    n, m = len(inst.nominations), len(inst.experts)
    allowed = np.ones((n, m), bool) if n * m <= 4_000_000 else None
    if allowed is not None:
        allowed &= ~inst.conflicts.matrix.toarray()
        allowed &= (caps > 0)[None, :]
        candidates = allowed.sum(axis=1)
    else:
        candidates = np.full(n, m)
    short = [{"id": inst.nominations[i].id, "label": _label(inst.nominations[i]),
              "candidates": int(candidates[i]), "missing": int(k - candidates[i])}
             for i in np.flatnonzero(candidates < k)[:_LIST_LIMIT]]
    named = [int(i) for i in exc.nominations[:_LIST_LIMIT]] if len(exc.nominations) else []
    need = n * k
    capacity = int(caps.sum())
    set_need = set_allow = None
    if named and allowed is not None and not short:
        sub = allowed[named]
        used = sub.any(axis=0)
        set_need = len(named) * k
        set_allow = int(np.minimum(caps[used], sub[:, used].sum(axis=0)).sum())
    return {"need": need, "capacity": capacity, "shortfall": max(0, need - capacity),
            "short_nominations": short, "n_short": int(np.sum(candidates < k)),
            "named": [{"id": inst.nominations[i].id, "label": _label(inst.nominations[i])} for i in named],
            "set_need": set_need, "set_allow": set_allow, "detail": str(exc)}


def _pair_values(affinity, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Affinities of many (row, col) pairs at once (0 for a pair that is not a candidate)."""
    if len(rows) == 0:
        return np.zeros(0)
    if isinstance(affinity, np.ndarray):
        return affinity[rows, cols].astype(float)
    return np.asarray(affinity.tocsr()[rows, cols]).ravel().astype(float)


def _avoided(inst: Instance, pairs: np.ndarray) -> list[dict]:
    """Conflicted pairs (other than same city) that scored at least as well as the nomination's
    weakest assigned expert: the ones the solver would have picked had they been allowed."""
    n = len(inst.nominations)
    weakest = np.full(n, np.inf)
    if len(pairs):
        np.minimum.at(weakest, pairs[:, 0], _pair_values(inst.affinity, pairs[:, 0], pairs[:, 1]))
    keys = sorted(inst.conflicts.reasons)
    if not keys:
        return []
    kr = np.fromiter((i for i, _ in keys), np.int64, len(keys))
    kc = np.fromiter((j for _, j in keys), np.int64, len(keys))
    values = _pair_values(inst.affinity, kr, kc)
    preferred = values >= weakest[kr]
    order = np.lexsort((-values, ~preferred))[:_LIST_LIMIT]
    return [{"nomination": _label(inst.nominations[kr[t]]), "nomination_id": inst.nominations[kr[t]].id,
             "expert": inst.experts[kc[t]].name, "expert_id": inst.experts[kc[t]].id,
             "reasons": inst.conflicts.reasons[keys[t]], "affinity": round(float(values[t]), 4),
             "preferred": bool(preferred[t])} for t in order.tolist()]


def check_can_preview(session: Session, *, round_: Round, category: Category) -> list[Nomination]:
    """Refuse (JudgingError) a preview that cannot lead anywhere, before any solving starts; else the nominees."""
    if round_.status is RoundStatus.CLOSED:
        raise Conflict(N_("The round is closed."))
    if _active_count(session, round_id=round_.id, category_id=category.id):
        raise Conflict(N_("This category already has assignments in this round; refill or swap experts instead."))
    nominations = nominations_to_judge(session, round_=round_, category=category)
    if not session.scalar(select(func.count()).select_from(Expert).where(Expert.active.is_(True))):
        raise JudgingError(N_("There are no active experts in the pool."))
    return nominations


def preview_plan(session: Session, *, round_id: int, category_id: int, settings: PlanSettings,
                 by: audit.Actor, progress: Progress | None = None,
                 release_while_solving: bool = False) -> AssignmentPlan:
    """Compute and store a plan for one round and category (status PREVIEW, or INFEASIBLE with what
    falls short). Nothing is assigned until :func:`commit_plan`. Audited.

    ``progress`` is only called while no transaction is open when ``release_while_solving`` is
    set: then the objects read are detached and the read transaction ended before the solver
    runs, so a job's progress updates (their own transactions) never wait on this session's
    lock (SQLite takes the write lock at BEGIN). The plan is stored in a new transaction.
    """
    report = progress if (progress is not None and release_while_solving) else _quiet
    settings.check()
    round_, category = get_round_category(session, round_id=round_id, category_id=category_id)
    nominations = check_can_preview(session, round_=round_, category=category)
    experts = active_experts(session)
    inst = build_instance(session, round_=round_, category=category, nominations=nominations, experts=experts,
                          same_city=settings.same_city)
    loads = round_loads(session, round_id=round_.id)
    own_room = np.array([max(0, e.max_load - loads.get(e.id, 0)) for e in experts], np.int64)
    if release_while_solving:
        session.expunge_all()  # keep what was read, loaded, and end the read transaction
        session.rollback()
    report(0.1, f"{len(nominations)} nominations, {len(experts)} experts")
    plan = AssignmentPlan(round_id=round_.id, category_id=category.id, mode=settings.mode,
                          settings=settings.as_dict(), created_by_id=by.id, pairs=[], figures={})
    report(0.12, "solving")
    solver_progress = lambda f, msg: report(0.12 + 0.8 * f, msg)  # noqa: E731
    try:
        if settings.mode == "k":
            pairs, figures = _solve_k_each(inst, settings, own_room=own_room, progress=solver_progress)
        else:
            pairs, figures = _solve_panels(inst, settings, own_room=own_room, progress=solver_progress)
    except InfeasibleAssignment as exc:
        _store_infeasible(session, plan, inst, settings, own_room=own_room, exc=exc, by=by)
        return plan  # no progress report after writing: see the docstring
    report(0.94, "summarising")
    pair_ids = [[nominations[i].id, experts[j].id] for i, j in pairs.tolist()]
    figures.update({
        "n_nominations": len(nominations), "n_experts": len(experts),
        "experts_used": int(len(set(int(j) for j in pairs[:, 1]))) if len(pairs) else 0,
        "conflict_counts": inst.conflicts.counts,
        "avoided": _avoided(inst, pairs),
        "weakest": _weakest(inst, pairs),
    })
    plan.pairs = pair_ids
    plan.figures = figures
    _discard_previews(session, round_id=round_id, category_id=category_id)
    session.add(plan)
    session.flush()
    audit.append(session, actor=by, action="assignment_plan.previewed", object_type="assignment_plan", object_id=plan.id,
                 data={"round_id": round_.id, "category_id": category.id, "settings": settings.as_dict(),
                       "pairs": len(pair_ids), "digest": pairs_digest(pair_ids),
                       "conflicts_avoided": inst.conflicts.counts})
    return plan  # no progress report after writing: the job marks the end itself


def _solve_k_each(inst: Instance, settings: PlanSettings, *, own_room: np.ndarray,
                  progress: Progress) -> tuple[np.ndarray, dict]:
    """k experts per nomination, each within the lower of the plan's cap and the expert's own room;
    the figures say who ended at their cap and whose cap was their own."""
    experts = inst.experts
    caps = np.minimum(own_room, settings.max_load)
    result = solve(inst.affinity if isinstance(inst.affinity, np.ndarray) else inst.affinity,
                   k=settings.k, max_load=caps, min_load=np.minimum(caps, settings.min_load),
                   conflicts=inst.conflicts.matrix, max_probability=settings.max_probability,
                   fairness=settings.fairness, seed=settings.seed, progress=progress)
    figures = {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
               for k, v in result.summary().items()}
    at_cap = [j for j in range(len(experts)) if caps[j] > 0 and result.loads[j] >= caps[j]]
    figures["at_cap"] = [{"expert_id": experts[j].id, "name": experts[j].name, "load": int(result.loads[j]),
                          "cap": int(caps[j]), "own_cap": bool(own_room[j] < settings.max_load)}
                         for j in at_cap][:200]
    figures["n_at_cap"] = len(at_cap)
    return result.pairs, figures


def _solve_panels(inst: Instance, settings: PlanSettings, *, own_room: np.ndarray,
                  progress: Progress) -> tuple[np.ndarray, dict]:
    """Panels of experts over blocks of nominations (the final round); the figures describe the panels."""
    from judging.panels.blocks import solve_blocks

    nominations, experts = inst.nominations, inst.experts
    caps = own_room
    A = inst.affinity if isinstance(inst.affinity, np.ndarray) else inst.affinity.toarray()
    if settings.n_panels > len(nominations):
        raise JudgingError(N_("There are more panels than nominations."))
    # An expert on a panel scores its whole block: experts without room are left out.
    usable = np.flatnonzero(caps >= math.ceil(len(nominations) / settings.n_panels) * 2)
    if len(usable) < len(experts):
        usable = np.flatnonzero(caps >= math.ceil(len(nominations) / settings.n_panels))
    sub_conf = inst.conflicts.matrix[:, usable]
    result = solve_blocks(A[:, usable], panel_size=settings.panel_size, n_panels=settings.n_panels,
                          conflicts=sub_conf, overlap=settings.overlap, seed=settings.seed,
                          fairness=settings.fairness, progress=progress)
    pairs = np.stack([result.pairs[:, 0], usable[result.pairs[:, 1]]], 1)
    figures = {"method": result.method, "pairs": int(len(pairs)), "objective": result.objective,
               "worst_nomination_affinity": result.worst_nomination_affinity,
               "n_components": result.n_components, "connected": result.connected,
               "overlaps": result.overlaps.tolist(), "solve_seconds": result.solve_seconds,
               "panels": [{"experts": [{"expert_id": experts[usable[j]].id, "name": experts[usable[j]].name}
                                       for j in members.tolist()],
                           "block": int(np.sum(result.block == p))}
                          for p, members in enumerate(result.panels)],
               "at_cap": [], "n_at_cap": 0}
    loads_plan = np.bincount(pairs[:, 1], minlength=len(experts))
    used = loads_plan[loads_plan > 0]
    figures.update(load_min=int(used.min()) if len(used) else 0, load_max=int(used.max()) if len(used) else 0)
    return pairs, figures


def _store_infeasible(session: Session, plan: AssignmentPlan, inst: Instance, settings: PlanSettings, *,
                      own_room: np.ndarray, exc: InfeasibleAssignment, by: audit.Actor) -> None:
    """Keep a plan that cannot be made, with what falls short, so the organizer sees why (audited)."""
    plan.status = PlanStatus.INFEASIBLE
    _discard_previews(session, round_id=inst.round.id, category_id=inst.category.id)
    k = settings.k if settings.mode == "k" else settings.panel_size
    caps_used = np.minimum(own_room, settings.max_load) if settings.mode == "k" else own_room
    plan.figures = {"infeasible": _infeasible_figures(inst, k=k, caps=caps_used, exc=exc),
                    "n_nominations": len(inst.nominations), "n_experts": len(inst.experts),
                    "conflict_counts": inst.conflicts.counts}
    session.add(plan)
    session.flush()
    audit.append(session, actor=by, action="assignment_plan.found_infeasible", object_type="assignment_plan",
                 object_id=plan.id, data={"round_id": inst.round.id, "category_id": inst.category.id,
                                          "settings": settings.as_dict(), "detail": str(exc)})


def _discard_previews(session: Session, *, round_id: int, category_id: int) -> None:
    for old in session.scalars(select(AssignmentPlan).where(AssignmentPlan.round_id == round_id,
                                                            AssignmentPlan.category_id == category_id,
                                                            AssignmentPlan.status == PlanStatus.PREVIEW)):
        old.status = PlanStatus.DISCARDED


def _weakest(inst: Instance, pairs: np.ndarray) -> list[dict]:
    """The ten nominations with the lowest total affinity of their experts."""
    if not len(pairs):
        return []
    totals = np.bincount(pairs[:, 0], weights=_pair_values(inst.affinity, pairs[:, 0], pairs[:, 1]),
                         minlength=len(inst.nominations))
    worst = np.lexsort((np.arange(len(totals)), totals))[:10]
    return [{"nomination_id": inst.nominations[i].id, "label": _label(inst.nominations[i]),
             "total": round(float(totals[i]), 4)} for i in worst.tolist()]


def pairs_digest(pairs: Sequence[Sequence[int]]) -> str:
    body = json.dumps(sorted([int(a), int(b)] for a, b in pairs), separators=(",", ":")).encode()
    return hashlib.sha256(body).hexdigest()


def _active_count(session: Session, *, round_id: int, category_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Assignment)
                          .join(Nomination, Nomination.id == Assignment.nomination_id)
                          .where(Assignment.round_id == round_id, Nomination.category_id == category_id,
                                 Assignment.withdrawn_at.is_(None)))


def get_plan(session: Session, plan_id: int) -> AssignmentPlan:
    plan = session.get(AssignmentPlan, plan_id)
    if plan is None:
        raise NotFound("assignment_plan")
    return plan


# ---------------------------------------------------------------------------------- commit


def commit_plan(session: Session, *, plan_id: int, by: audit.Actor, now: dt.datetime | None = None) -> int:
    """Make a previewed plan the round's assignments; returns the number of pairs. Audited.

    Checked again at commit: the plan is the latest preview, the category has no assignments
    yet, every expert is still active and within their own cap, and no pair is conflicted (a
    conflict entered or declared since the preview refuses the commit: preview again).
    """
    now = now or utcnow()
    plan = get_plan(session, plan_id)
    if plan.status is not PlanStatus.PREVIEW:
        raise Conflict(N_("Only the latest preview can be committed."))
    round_, category = get_round_category(session, round_id=plan.round_id, category_id=plan.category_id)
    if round_.status is RoundStatus.CLOSED:
        raise Conflict(N_("The round is closed."))
    if _active_count(session, round_id=round_.id, category_id=category.id):
        raise Conflict(N_("This category already has assignments in this round; refill or swap experts instead."))
    pairs = [(int(a), int(b)) for a, b in plan.pairs]
    if not pairs:
        raise Conflict(N_("This plan assigns nobody; preview again."))
    nomination_ids = sorted({a for a, _ in pairs})
    if round_.kind is RoundKind.FINAL:
        advanced = set(session.scalars(_ticketed(round_.id).where(BlindCode.nomination_id.in_(nomination_ids))))
        if len(advanced) != len(nomination_ids):
            raise Conflict(N_("{count} nominations of this plan have not advanced to the final round; advance them "
                              "from an approved preliminary run, then preview again."),
                           count=len(nomination_ids) - len(advanced))
    expert_ids = sorted({b for _, b in pairs})
    experts = list(session.scalars(select(Expert).where(Expert.id.in_(expert_ids)).order_by(Expert.id)))
    if len(experts) != len(expert_ids) or not all(e.active for e in experts):
        raise Conflict(N_("An expert of this plan has been deactivated since the preview; preview again."))
    nominations = list(session.scalars(select(Nomination).where(Nomination.id.in_(nomination_ids))
                                       .order_by(Nomination.id)))
    if len(admitted_ids(session, nomination_ids)) != len(nomination_ids):
        raise Conflict(N_("Some nominations of this plan have not passed the formal review; preview again."))
    identities = identities_of(session, nomination_ids)
    rows = [(n.id, identities[n.id].employer if n.id in identities else "",
             identities[n.id].city if n.id in identities else "") for n in nominations]
    cset = conflicts_mod.conflict_set(session, nominations=rows, experts=experts,
                                      same_city=bool(plan.settings.get("same_city")))
    pair_array = np.array(pairs, dtype=np.int64)
    rows = np.searchsorted(np.array([n.id for n in nominations]), pair_array[:, 0])  # both lists sorted by id
    cols = np.searchsorted(np.array([e.id for e in experts]), pair_array[:, 1])
    bad = int(np.count_nonzero(cset.matrix[rows, cols]))
    if bad:
        raise Conflict(N_("{count} pairs of this plan are now conflicted (a conflict was entered or declared "
                          "since the preview); preview again."), count=bad)
    loads = round_loads(session, round_id=round_.id)
    new = Counter(b for _, b in pairs)
    over = [e for e in experts if loads.get(e.id, 0) + new[e.id] > e.max_load]
    if over and plan.mode == "k":
        raise Conflict(N_("{name} would exceed their load cap; preview again."), name=over[0].name)
    session.execute(insert(Assignment), [{"round_id": round_.id, "nomination_id": a, "expert_id": b,
                                          "created_at": now} for a, b in pairs])
    ensure_blind_codes(session, round_id=round_.id, nomination_ids=admitted_ids(session, nomination_ids), by=by)
    plan.status = PlanStatus.COMMITTED
    plan.committed_at = now
    session.flush()
    audit.append(session, actor=by, action="round.assignments_committed", object_type="round", object_id=round_.id,
                 data={"plan_id": plan.id, "category_id": category.id, "pairs": len(pairs), "mode": plan.mode,
                       "k": plan.settings.get("k"), "seed": plan.settings.get("seed"),
                       "digest": pairs_digest(pairs), "conflicts_avoided": cset.counts}, at=now)
    _tell_new_items(session, new, round_=round_, by=by)
    return len(pairs)


def _tell_new_items(session: Session, counts: Counter, *, round_: Round, by: audit.Actor) -> None:
    """Each judge hears of their new items (``counts``: per expert id), by mail or on their home page."""
    judges = dict(session.execute(select(Expert.user_id, Expert.id).where(  # one lookup: a round has thousands
        Expert.id.in_(sorted(counts)), Expert.user_id.is_not(None))).all())
    for recipient in notifications.users(session, judges):
        notifications.queue(session, event="items_assigned", to=[recipient], by=by, link="/judge",
                            count=counts[judges[recipient.user_id]], round=round_.name, deadline=round_.deadline_at)


def committed_plan(session: Session, *, round_id: int, category_id: int) -> AssignmentPlan | None:
    return session.scalar(select(AssignmentPlan).where(AssignmentPlan.round_id == round_id,
                                                       AssignmentPlan.category_id == category_id,
                                                       AssignmentPlan.status == PlanStatus.COMMITTED)
                          .order_by(AssignmentPlan.id.desc()).limit(1))


# ---------------------------------------------------------------------------------- refill


def _target(session: Session, *, round_: Round, category: Category, active: dict[int, int]) -> tuple[int, PlanSettings]:
    plan = committed_plan(session, round_id=round_.id, category_id=category.id)
    if plan is not None:
        known = {k: v for k, v in plan.settings.items() if k in PlanSettings.__dataclass_fields__}
        settings = PlanSettings(**known)
        return (settings.k if settings.mode == "k" else settings.panel_size), settings
    edition = session.get(Edition, round_.edition_id)
    k = max(active.values(), default=0)
    return k, PlanSettings(k=k, max_load=10**6, same_city=conflicts_mod.same_city_rule(edition, round_))


@dataclass(frozen=True)
class RefillShortfall:
    nomination_id: int
    missing: int


def refill_round(session: Session, *, round_id: int, by: audit.Actor, category_id: int | None = None,
                 progress: Progress | None = None) -> list[tuple[int, int]]:
    """Give every nomination of the round fewer than k active assignments new experts.

    k is the committed plan's (else the most any nomination of the category has). Only the
    missing slots are solved for: existing pairs, active or withdrawn, are never touched nor
    repeated; every conflict counts (the declared one included); experts stay within the plan's
    cap and their own. Returns the new (nomination id, expert id) pairs; audited per category.
    Raises JudgingError naming the nominations that cannot be refilled (nothing is changed then).
    """
    report = progress or _quiet
    round_ = session.get(Round, round_id)
    if round_ is None:
        raise NotFound("round")
    if round_.status is RoundStatus.CLOSED:
        raise Conflict(N_("The round is closed."))
    edition = session.get(Edition, round_.edition_id)
    categories = [c for c in edition.categories if category_id is None or c.id == category_id]
    added: list[tuple[int, int]] = []
    for index, category in enumerate(categories):
        rows = session.execute(select(Assignment.nomination_id, Assignment.expert_id, Assignment.withdrawn_at)
                               .join(Nomination, Nomination.id == Assignment.nomination_id)
                               .where(Assignment.round_id == round_.id, Nomination.category_id == category.id)).all()
        if not rows:
            continue
        active: dict[int, int] = defaultdict(int)
        for nid, _eid, withdrawn in rows:
            active[nid] += 0 if withdrawn else 1
        k, settings = _target(session, round_=round_, category=category, active=active)
        deficit = {nid: k - count for nid, count in active.items() if count < k}
        if not deficit:
            continue
        report(index / max(1, len(categories)), f"refilling {len(deficit)} nominations")
        nominations = list(session.scalars(select(Nomination).where(Nomination.id.in_(sorted(deficit)), admitted())
                                           .order_by(Nomination.id)))
        nominations = [n for n in nominations if n.status is NominationStatus.CONFIRMED]
        if not nominations:
            continue
        experts = active_experts(session)
        inst = build_instance(session, round_=round_, category=category, nominations=nominations, experts=experts,
                              same_city=settings.same_city, forbid=[(nid, eid) for nid, eid, _w in rows])
        loads_round = round_loads(session, round_id=round_.id)
        loads_cat = round_loads(session, round_id=round_.id, category_id=category.id)
        caps = np.array([max(0, min(e.max_load - loads_round.get(e.id, 0),
                                    (settings.max_load if settings.mode == "k" else e.max_load)
                                    - loads_cat.get(e.id, 0))) for e in experts], np.int64)
        by_need: dict[int, list[int]] = defaultdict(list)
        for i, n in enumerate(nominations):
            by_need[deficit[n.id]].append(i)
        A = inst.affinity if isinstance(inst.affinity, np.ndarray) else inst.affinity.toarray()
        new_pairs: list[tuple[int, int]] = []
        for need, idx in sorted(by_need.items(), reverse=True):
            sub_a = A[idx]
            sub_c = inst.conflicts.matrix[idx]
            try:
                plan = solve(sub_a, k=need, max_load=caps, conflicts=sub_c, seed=settings.seed)
            except InfeasibleAssignment as exc:
                names = [_label(nominations[idx[int(i)]]) for i in exc.nominations[:10]] or \
                    [_label(nominations[i]) for i in idx[:10]]
                raise JudgingError(N_("Cannot refill {nominations}: too few experts without a conflict have room "
                                      "left ({room} places free for {need} missing)."),
                                   nominations="; ".join(names), room=int(caps.sum()),
                                   need=need * len(idx)) from None
            for r, j in plan.pairs.tolist():
                new_pairs.append((nominations[idx[r]].id, experts[j].id))
                caps[j] -= 1
        session.execute(insert(Assignment), [{"round_id": round_.id, "nomination_id": a, "expert_id": b,
                                              "created_at": utcnow()} for a, b in new_pairs])
        ensure_blind_codes(session, round_id=round_.id,
                           nomination_ids=admitted_ids(session, [a for a, _ in new_pairs]), by=by)
        session.flush()
        audit.append(session, actor=by, action="round.assignments_refilled", object_type="round", object_id=round_.id,
                     data={"category_id": category.id, "k": k,
                           "pairs": [[a, b] for a, b in sorted(new_pairs)]})
        added.extend(new_pairs)
    _tell_new_items(session, Counter(b for _, b in added), round_=round_, by=by)
    report(1.0, "done")
    return added


def explain_pair(session: Session, *, nomination_id: int, expert_id: int, category: Category):
    nomination = session.get(Nomination, nomination_id)
    expert = session.get(Expert, expert_id)
    if nomination is None or expert is None or nomination.category_id != category.id:
        raise NotFound("pair")
    identity = session.get(NominationIdentity, nomination_id)
    return nomination, expert, explain(nomination_text(nomination, identity), expert.fields or [],
                                       category.key.value)
