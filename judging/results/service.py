"""Result runs: gather the exact submitted scores, compute with judgestats, store immutably, approve,
recompute, advance, unblind and publish. Services take a Session, never commit, and audit their changes.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import event, exists, func, select
from sqlalchemy.orm import Session

import judgestats
from judgestats.reliability import judge_consistency, krippendorff_alpha
from judging import audit
from judging.audit.chain import canonical_json
from judging.editions.models import Category, CategoryKey, Criterion, Edition, Round, RoundKind, ScaleKind
from judging.errors import Conflict, JudgingError, N_, NotFound
from judging.nominations.blinding import new_code
from judging.nominations.models import BlindCode, Nomination, NominationIdentity, NominationStatus
from judging.panels.models import Assignment
from judging.results.models import (
    Advancement, JudgeDiagnostic, NamedMethod, Publication, ResultEntry, ResultRun, RunApproval, RunCheck, Unblinding,
)
from judging.scoring.models import CriterionScore, ScoreSheet, SheetStatus
from judging.scoring.rules import CONFIDENCE_WEIGHTS, weighted_total

METHODS = ("mean", "trimmed_mean", "trimmed", "zscore", "additive", "confidence", "affine", "mixed", "rasch")
TIE_RULES = ("shared", "item_se", "raw_mean", "item_order")
DEFAULT_REPS = 200
MAY_DAY_CATEGORIES = (CategoryKey.ACHIEVEMENT, CategoryKey.OPERATING_METHOD)
MAY_DAY_TOP = 10

Progress = Callable[[float, str], None]


def _no_progress(fraction: float, message: str = "") -> None:
    pass


def sha256_json(value: Any) -> str:
    return hashlib.sha256(canonical_json(value)).hexdigest()


def _dec(value: Decimal) -> str:
    return format(Decimal(value).quantize(Decimal("0.001")), "f")


def _num(value) -> float | None:
    """A JSON-safe float: NaN/inf become None (never NaN in a digest or a report)."""
    if value is None:
        return None
    value = float(value)
    return value if np.isfinite(value) else None


# --------------------------------------------------------------------------- the scores


def familiarity_confidence() -> dict[str, float]:
    """The scoring part's familiarity -> confidence mapping (weights of the ``confidence`` method)."""
    return {str(k): float(v) for k, v in CONFIDENCE_WEIGHTS.items()}


@dataclass
class Inputs:
    """The exact scores of a round and category, in canonical form, and the arrays for the engine."""

    document: dict
    digest: str
    unsubmitted: int
    nominations: list[int]
    codes: list[str]
    experts: list[int]
    item: np.ndarray
    judge: np.ndarray
    score: np.ndarray
    confidence: np.ndarray | None


def gather_inputs(session: Session, *, round_: Round, category: Category) -> Inputs:
    """Submitted sheets of non-withdrawn assignments in ``round_`` for ``category``, canonically ordered."""
    criteria = list(category.rubric.criteria) if category.rubric else []
    base = (select(Assignment.id, Assignment.nomination_id, Assignment.expert_id)
            .join(Nomination, Nomination.id == Assignment.nomination_id)
            .where(Assignment.round_id == round_.id, Nomination.category_id == category.id,
                   Assignment.withdrawn_at.is_(None), Nomination.status != NominationStatus.WITHDRAWN))
    assignments = session.execute(base).all()
    sheets = {row.assignment_id: row for row in session.execute(
        select(ScoreSheet.id, ScoreSheet.assignment_id, ScoreSheet.familiarity)
        .where(ScoreSheet.assignment_id.in_(base.with_only_columns(Assignment.id)),
               ScoreSheet.status == SheetStatus.SUBMITTED))}
    values: dict[int, dict[int, Decimal]] = {}
    grades: dict[int, dict[int, str]] = {}
    for sheet_id, criterion_id, value, grade in session.execute(
            select(CriterionScore.sheet_id, CriterionScore.criterion_id, CriterionScore.value, CriterionScore.grade)
            .join(ScoreSheet, ScoreSheet.id == CriterionScore.sheet_id)
            .where(ScoreSheet.assignment_id.in_(base.with_only_columns(Assignment.id)),
                   ScoreSheet.status == SheetStatus.SUBMITTED)):
        values.setdefault(sheet_id, {})[criterion_id] = value
        if grade is not None:
            grades.setdefault(sheet_id, {})[criterion_id] = grade
    codes = dict(session.execute(select(BlindCode.nomination_id, BlindCode.code)
                                 .where(BlindCode.round_id == round_.id)).all())
    mapping = familiarity_confidence()
    rows = []
    for assignment_id, nomination_id, expert_id in sorted(assignments, key=lambda a: (a[1], a[2], a[0])):
        sheet = sheets.get(assignment_id)
        if sheet is None:
            continue
        sheet_values, sheet_grades = values.get(sheet.id, {}), grades.get(sheet.id, {})
        row = {
            "assignment": assignment_id, "nomination": nomination_id,
            "code": codes.get(nomination_id, f"N{nomination_id}"), "expert": expert_id,
            "familiarity": sheet.familiarity,
            "values": {str(c.position): _dec(sheet_values[c.id]) for c in criteria if c.id in sheet_values},
            "total": _dec(weighted_total(criteria, sheet_values)),
        }
        if sheet_grades:  # the grades chosen beside their numbers (documents without grade scales are unchanged)
            row["grades"] = {str(c.position): sheet_grades[c.id] for c in criteria if c.id in sheet_grades}
        rows.append(row)
    document = {
        "round": round_.id, "category": category.id,
        "criteria": [_criterion_document(c) for c in criteria],
        "sheets": rows,
    }
    nominations = sorted({r["nomination"] for r in rows})
    experts = sorted({r["expert"] for r in rows})
    n_index = {n: i for i, n in enumerate(nominations)}
    e_index = {e: i for i, e in enumerate(experts)}
    item = np.array([n_index[r["nomination"]] for r in rows], dtype=np.int64)
    judge = np.array([e_index[r["expert"]] for r in rows], dtype=np.int64)
    # The engine gets the exact decimal total converted once to the nearest float.
    score = np.array([float(Decimal(r["total"])) for r in rows], dtype=np.float64)
    confidence = None
    if rows:
        confidence = np.array([mapping.get(r["familiarity"] or "", 1.0) for r in rows], dtype=np.float64)
    first_code = {}
    for r in rows:
        first_code.setdefault(r["nomination"], r["code"])
    return Inputs(document=document, digest=sha256_json(document),
                  unsubmitted=len(assignments) - len(rows), nominations=nominations,
                  codes=[first_code[n] for n in nominations], experts=experts,
                  item=item, judge=judge, score=score, confidence=confidence)


def _criterion_document(criterion: Criterion) -> dict:
    """A criterion as a run's inputs record it; a grade scale adds its table of grades and numbers."""
    document = {"position": criterion.position, "name": criterion.name, "weight": _dec(criterion.weight),
                "min": _dec(criterion.scale_min), "max": _dec(criterion.scale_max)}
    if criterion.scale_kind is ScaleKind.GRADE:
        document["kind"] = criterion.scale_kind.value
        document["grades"] = [{"label": g.label, "value": _dec(g.value)} for g in criterion.grades]
    return document


@dataclass(frozen=True)
class Preflight:
    """What an organizer must know before a run: missing sheets and the design's components."""

    n_scores: int
    unsubmitted: int
    n_components: int
    components: list[dict] = field(default_factory=list)


def preflight(session: Session, *, round_: Round, category: Category) -> Preflight:
    inputs = gather_inputs(session, round_=round_, category=category)
    if inputs.item.size == 0:
        return Preflight(0, inputs.unsubmitted, 0)
    conn = judgestats.connectivity(inputs.item, inputs.judge)
    components = []
    if conn.n_components > 1:
        for c in range(conn.n_components):
            items = np.flatnonzero(conn.item_component == c)
            components.append({"component": c + 1, "items": int(items.size),
                               "judges": int(np.sum(conn.judge_component == c)),
                               "codes": [inputs.codes[i] for i in items[:6]]})
    return Preflight(int(inputs.item.size), inputs.unsubmitted, conn.n_components, components)


# --------------------------------------------------------------------------- computing


def tie_rule_of(edition: Edition) -> str:
    rule = (edition.settings or {}).get("tie_rule", "shared")
    return rule if rule in TIE_RULES else "shared"


def _judge_codes(n: int) -> list[str]:
    width = max(2, len(str(n)))
    return [f"J{i + 1:0{width}d}" for i in range(n)]


def compute(inputs: Inputs, *, method: str, options: dict, seed: int, reps: int, top_n: int, tie_rule: str,
            within_components: bool, progress: Progress = _no_progress) -> tuple[dict, dict]:
    """Run the engine on ``inputs``: returns (stored options, outputs). Pure: no database."""
    if method not in METHODS:
        raise JudgingError(N_("Unknown method {method}."), method=method)
    if inputs.item.size == 0:
        raise JudgingError(N_("There are no submitted scores to compute from."))
    item, judge, score = inputs.item, inputs.judge, inputs.score
    confidence = inputs.confidence if method == "confidence" else None
    caught: list[str] = []
    progress(0.1, "calibrating")
    try:
        with warnings.catch_warnings(record=True) as records:
            warnings.simplefilter("always")
            cal = judgestats.calibrate(item, judge, score, method=method, confidence=confidence,
                                       within_components=within_components, **options)
            ranking = judgestats.rank(cal, top_n=top_n, tie_rule=tie_rule)
            raw = judgestats.rank(judgestats.calibrate(item, judge, score, method="mean"), top_n=top_n,
                                  tie_rule="item_order")
            progress(0.3, "bootstrap")
            boot = judgestats.bootstrap(item, judge, score, method=method, top_n=top_n, reps=reps, seed=seed,
                                        confidence=confidence, within_components=within_components, **options)
            progress(0.8, "diagnostics")
            consistency = judge_consistency(cal, item, judge, score)
            matrix = np.full((cal.n_judges, cal.n_items), np.nan)
            matrix[judge, item] = score
            try:
                alpha = krippendorff_alpha(matrix, "interval").alpha
            except ValueError:
                alpha = None
            caught = sorted({str(r.message) for r in records})
    except judgestats.DisconnectedDesignError as exc:
        raise JudgingError(N_("The design is disconnected ({count} components); compute per component only "
                              "if you accept that values are comparable only within a component."),
                           count=exc.n_components) from None
    except ValueError as exc:
        raise JudgingError(N_("The engine refused the data: {detail}"), detail=str(exc)) from None
    stored_options = {
        "method_options": {k: v for k, v in dict(cal.options).items()},
        "requested": dict(options), "top_n": top_n, "tie_rule": tie_rule, "reps": reps,
        "within_components": within_components,
        "confidence": None if confidence is None else familiarity_confidence(),
        "score": "weighted_total_0_100",
    }
    n_items, n_judges = cal.n_items, cal.n_judges
    in_top = set(int(i) for i in ranking.top)
    scale = cal.judge_scale
    outputs = {
        "engine_version": cal.version,
        "calibration_digest": cal.digest(),
        "items": {
            "nomination": inputs.nominations, "code": inputs.codes,
            "value": [_num(v) for v in cal.item_value],
            "se": [_num(v) for v in cal.item_se] if cal.item_se is not None else [None] * n_items,
            "raw_mean": [_num(v) for v in cal.item_raw_mean],
            "n_scores": [int(v) for v in cal.item_n_scores],
            "component": [int(v) for v in cal.item_component],
            "rank": [int(v) for v in ranking.rank],
            "raw_rank": [int(v) for v in raw.rank],
            "rank_ci90": [[int(a), int(b)] for a, b in boot.rank_ci90],
            "rank_ci95": [[int(a), int(b)] for a, b in boot.rank_ci95],
            "rank_median": [_num(v) for v in boot.rank_median],
            "p_top": [_num(v) for v in boot.p_top],
            "in_top": [i in in_top for i in range(n_items)],
        },
        "judges": {
            "expert": inputs.experts, "code": _judge_codes(n_judges),
            "severity": [_num(v) for v in cal.judge_severity],
            "scale": [_num(v) for v in scale] if scale is not None else [None] * n_judges,
            "n_scores": [int(v) for v in consistency.n_scores],
            "correlation": [_num(v) for v in consistency.correlation],
            "rms_residual": [_num(v) for v in consistency.rms_residual],
            "mean_residual": [_num(v) for v in consistency.mean_residual],
        },
        "ranking": {"top": [inputs.codes[int(i)] for i in ranking.top], "top_n": top_n, "tie_rule": tie_rule,
                    "ties": [[inputs.codes[int(i)] for i in group] for group in ranking.ties],
                    "tie_at_cutoff": ranking.tie_at_cutoff},
        "bootstrap": {"reps": reps, "seed": seed, "scheme": boot.scheme},
        "reliability": {"krippendorff_alpha": _num(alpha), "sigma": _num(cal.sigma),
                        "n_components": int(cal.n_components), "converged": bool(cal.converged),
                        "iterations": int(cal.iterations),
                        "judges_per_item": _num(np.mean(cal.item_n_scores))},
        "warnings": caught,
    }
    progress(0.9, "storing")
    return stored_options, outputs


def _find(session: Session, model, object_id: int, what: str):
    obj = session.get(model, object_id)
    if obj is None:
        raise NotFound(what)
    return obj


@dataclass
class RunPlan:
    """What a run will be computed from, read in one transaction (plain values only)."""

    edition_id: int
    round_id: int
    category_id: int
    inputs: Inputs
    method: str
    options: dict
    seed: int
    reps: int
    top_n: int
    tie_rule: str
    within_components: bool


def plan_run(session: Session, *, round_id: int, category_id: int, method: str, options: dict | None = None,
             seed: int = 20260501, reps: int = DEFAULT_REPS, confirm_incomplete: bool = False,
             within_components: bool = False) -> RunPlan:
    """Read the exact scores and the rules of a run; refuse missing sheets unless confirmed."""
    round_ = _find(session, Round, round_id, "round")
    category = _find(session, Category, category_id, "category")
    if category.edition_id != round_.edition_id:
        raise NotFound("category")
    if method not in METHODS:
        raise JudgingError(N_("Unknown method {method}."), method=method)
    edition = session.get(Edition, round_.edition_id)
    inputs = gather_inputs(session, round_=round_, category=category)
    if inputs.unsubmitted and not confirm_incomplete:
        raise Conflict(N_("{count} assigned sheets are not submitted; confirm to compute without them."),
                       count=inputs.unsubmitted)
    return RunPlan(edition.id, round_.id, category.id, inputs, method, dict(options or {}), int(seed), int(reps),
                   category.top_n or 10, tie_rule_of(edition), bool(within_components))


def compute_plan(plan: RunPlan, progress: Progress = _no_progress) -> tuple[dict, dict]:
    """The engine's work (no database: run it outside any transaction)."""
    return compute(plan.inputs, method=plan.method, options=plan.options, seed=plan.seed, reps=plan.reps,
                   top_n=plan.top_n, tie_rule=plan.tie_rule, within_components=plan.within_components,
                   progress=progress)


def store_run(session: Session, *, plan: RunPlan, stored_options: dict, outputs: dict, by: audit.Actor) -> ResultRun:
    """Write the run, its rows and its audit event in the caller's transaction (written once, never updated)."""
    inputs = plan.inputs
    run = ResultRun(edition_id=plan.edition_id, round_id=plan.round_id, category_id=plan.category_id,
                    method=plan.method, options=stored_options, seed=plan.seed,
                    engine_version=outputs["engine_version"], input_digest=inputs.digest,
                    calibration_digest=outputs["calibration_digest"], output_digest=sha256_json(outputs),
                    inputs=inputs.document, outputs=outputs, unsubmitted=inputs.unsubmitted,
                    n_items=len(inputs.nominations), n_judges=len(inputs.experts), n_scores=int(inputs.item.size),
                    created_by_id=by.id)
    items, judges = outputs["items"], outputs["judges"]
    for i, nomination_id in enumerate(items["nomination"]):
        run.entries.append(ResultEntry(
            nomination_id=nomination_id, code=items["code"][i], value=items["value"][i], se=items["se"][i],
            raw_mean=items["raw_mean"][i], rank=items["rank"][i], raw_rank=items["raw_rank"][i],
            rank_low=items["rank_ci90"][i][0], rank_high=items["rank_ci90"][i][1], p_top=items["p_top"][i],
            n_scores=items["n_scores"][i], component=items["component"][i], in_top=items["in_top"][i]))
    for j, expert_id in enumerate(judges["expert"]):
        run.judges.append(JudgeDiagnostic(
            expert_id=expert_id, code=judges["code"][j], n_scores=judges["n_scores"][j],
            severity=judges["severity"][j], scale=judges["scale"][j], correlation=judges["correlation"][j],
            rms_residual=judges["rms_residual"][j] or 0.0))
    session.add(run)
    session.flush()
    audit.append(session, actor=by, action="result_run.created", object_type="result_run", object_id=run.id,
                 data={"round": plan.round_id, "category": plan.category_id, "method": plan.method,
                       "options": stored_options, "seed": plan.seed, "engine_version": run.engine_version,
                       "input_digest": run.input_digest, "output_digest": run.output_digest,
                       "unsubmitted": inputs.unsubmitted})
    return run


def create_run(session: Session, *, round_id: int, category_id: int, method: str, options: dict | None = None,
               seed: int = 20260501, reps: int = DEFAULT_REPS, confirm_incomplete: bool = False,
               within_components: bool = False, by: audit.Actor, progress: Progress = _no_progress) -> ResultRun:
    """Plan, compute and store a run in the caller's transaction (the background job splits these steps)."""
    plan = plan_run(session, round_id=round_id, category_id=category_id, method=method, options=options, seed=seed,
                    reps=reps, confirm_incomplete=confirm_incomplete, within_components=within_components)
    stored_options, outputs = compute_plan(plan, progress)
    run = store_run(session, plan=plan, stored_options=stored_options, outputs=outputs, by=by)
    progress(1.0, "done")
    return run


def get_run(session: Session, run_id: int) -> ResultRun:
    return _find(session, ResultRun, run_id, "run")


def runs_for(session: Session, *, edition: Edition) -> list[ResultRun]:
    return list(session.scalars(select(ResultRun).where(ResultRun.edition_id == edition.id)
                                .order_by(ResultRun.id.desc())))


def stored_outputs_verify(run: ResultRun) -> bool:
    """The stored outputs still hash to the stored output digest (a database round trip changed nothing)."""
    return sha256_json(run.outputs) == run.output_digest and sha256_json(run.inputs) == run.input_digest


# --------------------------------------------------------------------------- recompute


def _score_index(document: dict) -> dict[int, dict]:
    return {row["assignment"]: row for row in document.get("sheets", [])}


def score_changes(stored: dict, current: dict, *, limit: int = 200) -> list[dict]:
    """Scores that differ between two input documents, by blind code and criterion position."""
    before, after = _score_index(stored), _score_index(current)
    changes = []
    for assignment in sorted(set(before) | set(after)):
        a, b = before.get(assignment), after.get(assignment)
        row = a or b
        if a is None or b is None:
            changes.append({"assignment": assignment, "code": row["code"], "expert": row["expert"],
                            "criterion": None, "stored": a["total"] if a else None,
                            "now": b["total"] if b else None})
            continue
        for position in sorted(set(a["values"]) | set(b["values"]), key=int):
            if a["values"].get(position) != b["values"].get(position):
                changes.append({"assignment": assignment, "code": row["code"], "expert": row["expert"],
                                "criterion": int(position), "stored": a["values"].get(position),
                                "now": b["values"].get(position)})
        if a.get("familiarity") != b.get("familiarity"):
            changes.append({"assignment": assignment, "code": row["code"], "expert": row["expert"],
                            "criterion": "familiarity", "stored": a.get("familiarity"), "now": b.get("familiarity")})
    return changes[:limit]


def recompute_inputs(session: Session, *, run: ResultRun) -> Inputs:
    return gather_inputs(session, round_=session.get(Round, run.round_id),
                         category=session.get(Category, run.category_id))


def recompute_outputs(run_options: dict, method: str, seed: int, inputs: Inputs,
                      progress: Progress = _no_progress) -> str:
    """The output digest the stored run's method, options and seed give on ``inputs`` (no database)."""
    if not inputs.item.size:
        return ""
    _, outputs = compute(inputs, method=method, options=dict(run_options.get("requested", {})), seed=seed,
                         reps=run_options["reps"], top_n=run_options["top_n"], tie_rule=run_options["tie_rule"],
                         within_components=run_options.get("within_components", False), progress=progress)
    return sha256_json(outputs)


def store_check(session: Session, *, run: ResultRun, inputs: Inputs, output_digest: str,
                by: audit.Actor) -> RunCheck:
    changes = score_changes(run.inputs, inputs.document) if inputs.digest != run.input_digest else []
    check = RunCheck(run_id=run.id, input_digest=inputs.digest, output_digest=output_digest,
                     inputs_match=inputs.digest == run.input_digest, outputs_match=output_digest == run.output_digest,
                     changes=changes, checked_by_id=by.id)
    session.add(check)
    session.flush()
    audit.append(session, actor=by, action="result_run.recomputed", object_type="result_run", object_id=run.id,
                 data={"check": check.id, "input_digest": check.input_digest, "output_digest": check.output_digest,
                       "inputs_match": check.inputs_match, "outputs_match": check.outputs_match,
                       "changed_scores": len(changes)})
    return check


# --------------------------------------------------------------------------- approval and freezing


def approval_for(session: Session, *, round_id: int, category_id: int) -> RunApproval | None:
    return session.scalar(select(RunApproval).where(RunApproval.round_id == round_id,
                                                    RunApproval.category_id == category_id))


def approve_run(session: Session, *, run: ResultRun, by: audit.Actor) -> RunApproval:
    """Approve ``run``: one per round and category; its scores are frozen from now on."""
    audit.lock_chain_head(session)  # no score may change between the digest check below and the commit
    if approval_for(session, round_id=run.round_id, category_id=run.category_id) is not None:
        raise Conflict(N_("A run of this round and category is already approved."))
    _ensure_lists_open(session, category_id=run.category_id)  # a new approved run would change the awards
    round_ = session.get(Round, run.round_id)
    category = session.get(Category, run.category_id)
    current = gather_inputs(session, round_=round_, category=category)
    if current.digest != run.input_digest:
        raise Conflict(N_("Scores changed after this run was computed; compute a new run and approve that."))
    approval = RunApproval(run=run, round_id=run.round_id, category_id=run.category_id, approved_by_id=by.id)
    session.add(approval)
    session.flush()
    audit.append(session, actor=by, action="result_run.approved", object_type="result_run", object_id=run.id,
                 data={"round": run.round_id, "category": run.category_id, "input_digest": run.input_digest,
                       "output_digest": run.output_digest})
    return approval


def is_frozen(session: Session, assignment_id: int) -> bool:
    """True when the assignment's round and category have an approved run: its sheet may not change."""
    with session.no_autoflush:
        return bool(session.scalar(select(exists().where(
            Assignment.id == assignment_id,
            Nomination.id == Assignment.nomination_id,
            RunApproval.round_id == Assignment.round_id,
            RunApproval.category_id == Nomination.category_id))))


def ensure_not_frozen(session: Session, assignment_id: int) -> None:
    """Raise Conflict when the sheet of ``assignment_id`` is frozen by an approved run."""
    if is_frozen(session, assignment_id):
        raise Conflict(N_("The results of this round and category are approved; its scores can no longer change."))


# session.info key: [transaction, approved runs when it first looked, approvals it flushed since]
_APPROVALS = "results.approvals"
_TOUCHED = "results.scores_touched"  # session.info key: what the transaction changed of sheets and scores
_CLEARED = "results.assignments_cleared"  # session.info key: assignments found not frozen in the transaction


def _approvals(session: Session) -> int:
    """How many runs are approved as the transaction sees them: counted once per transaction (an
    autosave's guarded UPDATE and its flush would otherwise ask twice), plus the ones it approved."""
    transaction = session.get_transaction()
    state = session.info.get(_APPROVALS)
    if state is None or state[0] is not transaction:
        counted = session.scalar(select(func.count()).select_from(RunApproval))
        state = session.info[_APPROVALS] = [transaction, counted, 0]
    return state[1] + state[2]


def _count_own_approvals(session: Session, flush_context) -> None:
    state = session.info.get(_APPROVALS)
    if state is not None and state[0] is session.get_transaction():
        state[2] += sum(isinstance(obj, RunApproval) for obj in session.new)


def _touched(session: Session) -> dict:
    return session.info.setdefault(_TOUCHED, {"assignments": set(), "sheets": set(), "statements": []})


def _frozen_guard(session: Session, flush_context, instances) -> None:
    """Refuse any flush that adds, changes or deletes a frozen sheet or its criterion scores.

    A safety net under the scoring service (which should ask ``ensure_not_frozen`` first and show
    the message): whatever code path tries to change a frozen score, the database write is refused.
    """
    with session.no_autoflush:
        _check_frozen_objects(session)


def _check_frozen_objects(session: Session) -> None:
    assignment_ids: set[int] = set()
    sheet_ids: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, ScoreSheet):
            if obj in session.dirty and not session.is_modified(obj, include_collections=False):
                continue
            if obj.assignment_id is not None:
                assignment_ids.add(obj.assignment_id)
        elif isinstance(obj, CriterionScore):
            if obj in session.dirty and not session.is_modified(obj):
                continue
            if obj.sheet is not None and obj.sheet.assignment_id is not None:
                assignment_ids.add(obj.sheet.assignment_id)
            elif obj.sheet_id is not None:
                sheet_ids.add(obj.sheet_id)
    if not assignment_ids and not sheet_ids:
        return
    touched = _touched(session)
    touched["assignments"] |= assignment_ids
    touched["sheets"] |= sheet_ids
    if _approvals(session):
        _ensure_assignments_open(session, assignment_ids, sheet_ids)


def _ensure_assignments_open(session: Session, assignment_ids: set[int], sheet_ids: set[int], *,
                             fresh: bool = False) -> None:
    """``ensure_not_frozen`` for each; within a transaction an assignment found open is not asked again
    while the number of approvals it saw holds (``fresh``: ask anyway)."""
    if sheet_ids:
        assignment_ids = assignment_ids | set(session.scalars(
            select(ScoreSheet.assignment_id).where(ScoreSheet.id.in_(sheet_ids))))
    key = (session.get_transaction(), _approvals(session))
    cleared = session.info.get(_CLEARED)
    if fresh or cleared is None or cleared[0] != key:
        cleared = session.info[_CLEARED] = (key, set())
    for assignment_id in sorted(assignment_ids - cleared[1]):
        ensure_not_frozen(session, assignment_id)
        cleared[1].add(assignment_id)


def _assignments_of_statement(session: Session, entity: type, where) -> set[int]:
    if entity is ScoreSheet:
        stmt = select(ScoreSheet.assignment_id)
    else:
        stmt = select(ScoreSheet.assignment_id).join(CriterionScore, CriterionScore.sheet_id == ScoreSheet.id)
    return set(session.scalars(stmt.where(where) if where is not None else stmt))


def _frozen_statement_guard(state) -> None:
    """The same refusal for ORM-enabled UPDATE/DELETE statements on sheets and criterion scores."""
    if not (state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    entity = mapper.class_ if mapper is not None else None
    if entity not in (ScoreSheet, CriterionScore):
        return
    session = state.session
    where = state.statement.whereclause
    _touched(session)["statements"].append((entity, where))
    with session.no_autoflush:
        if _approvals(session):
            _ensure_assignments_open(session, _assignments_of_statement(session, entity, where), set())


def _frozen_commit_guard(session: Session) -> None:
    """Check again, under the chain lock, a transaction that changed scores: an approval committed
    since the checks above (they run before the lock, so that saves do not queue behind each other
    for longer than their audit append) is seen here, and approve_run holds the lock from before its
    digest check, so none can commit between this check and this commit."""
    if session.new or session.dirty or session.deleted:
        session.flush()
    if _TOUCHED not in session.info:
        return
    touched = session.info.pop(_TOUCHED)
    audit.lock_chain_head(session)  # normally held already: the change's audit event took it
    counted = _approvals(session)
    now = session.scalar(select(func.count()).select_from(RunApproval))
    if now == counted:
        return  # no other transaction approved a run meanwhile
    assignments = set(touched["assignments"])
    with session.no_autoflush:
        for entity, where in touched["statements"]:
            assignments |= _assignments_of_statement(session, entity, where)
        _ensure_assignments_open(session, assignments, touched["sheets"], fresh=True)


def _forget_touched(session: Session, *args) -> None:
    session.info.pop(_TOUCHED, None)


event.listen(Session, "before_flush", _frozen_guard)
event.listen(Session, "do_orm_execute", _frozen_statement_guard)
event.listen(Session, "after_flush", _count_own_approvals)
event.listen(Session, "before_commit", _frozen_commit_guard)
event.listen(Session, "after_rollback", _forget_touched)


# --------------------------------------------------------------------------- comparing runs


def compare_runs(session: Session, *, base: ResultRun, other: ResultRun, limit: int = 30) -> list[dict]:
    """Who moves between two runs of the same round and category, by how much, and the judges behind it.

    For each nomination the judges whose severity (in ``other``) is largest in magnitude among the
    judges who scored it are named: under an additive model the calibrated value is the raw mean
    plus the mean severity of its judges, so they are what moved it.
    """
    if (base.round_id, base.category_id) != (other.round_id, other.category_id):
        raise Conflict(N_("Only runs of the same round and category can be compared."))
    a = {e.nomination_id: e for e in base.entries}
    severity = {d.expert_id: (d.code, d.severity) for d in other.judges}
    judges_of: dict[int, list[int]] = {}
    for row in other.inputs.get("sheets", []):
        judges_of.setdefault(row["nomination"], []).append(row["expert"])
    rows = []
    for entry in other.entries:
        before = a.get(entry.nomination_id)
        if before is None:
            continue
        judges = sorted((severity[e] for e in judges_of.get(entry.nomination_id, []) if e in severity),
                        key=lambda cs: -abs(cs[1]))
        mean_sev = sum(s for _c, s in judges) / len(judges) if judges else 0.0
        rows.append({"code": entry.code, "nomination_id": entry.nomination_id, "rank_before": before.rank,
                     "rank_after": entry.rank, "move": before.rank - entry.rank,
                     "value_before": before.value, "value_after": entry.value,
                     "mean_severity": mean_sev, "judges": judges[:2]})
    rows.sort(key=lambda r: (-abs(r["move"]), r["rank_after"]))
    return rows[:limit]


def raw_vs_calibrated(run: ResultRun, *, limit: int = 30) -> list[dict]:
    """Movers within one run: raw-mean rank against calibrated rank, with the judges behind each move."""
    severity = {d.expert_id: (d.code, d.severity) for d in run.judges}
    judges_of: dict[int, list[int]] = {}
    for row in run.inputs.get("sheets", []):
        judges_of.setdefault(row["nomination"], []).append(row["expert"])
    rows = []
    for entry in run.entries:
        judges = sorted((severity[e] for e in judges_of.get(entry.nomination_id, []) if e in severity),
                        key=lambda cs: -abs(cs[1]))
        mean_sev = sum(s for _c, s in judges) / len(judges) if judges else 0.0
        rows.append({"code": entry.code, "nomination_id": entry.nomination_id, "rank_before": entry.raw_rank,
                     "rank_after": entry.rank, "move": entry.raw_rank - entry.rank, "value_before": entry.raw_mean,
                     "value_after": entry.value, "mean_severity": mean_sev, "judges": judges[:2]})
    rows.sort(key=lambda r: (-abs(r["move"]), r["rank_after"]))
    return [r for r in rows if r["move"]][:limit]


# --------------------------------------------------------------------------- advancing to the final


def advance(session: Session, *, run: ResultRun, top_m: int, by: audit.Actor) -> list[Advancement]:
    """The top ``top_m`` of an approved preliminary run advance to the final round (new blind codes)."""
    round_ = session.get(Round, run.round_id)
    if round_.kind is not RoundKind.PRELIMINARY:
        raise Conflict(N_("Only a preliminary run can send nominations to the final round."))
    if run.approval is None:
        raise Conflict(N_("Approve the run before advancing nominations from it."))
    if top_m < 1:
        raise JudgingError(N_("Give how many nominations advance (at least 1)."))
    final = session.scalar(select(Round).where(Round.edition_id == run.edition_id, Round.kind == RoundKind.FINAL))
    if final is None:
        raise NotFound("round")
    already = session.scalar(select(func.count()).select_from(Advancement).join(
        Nomination, Nomination.id == Advancement.nomination_id).where(
        Advancement.round_id == final.id, Nomination.category_id == run.category_id))
    if already:
        raise Conflict(N_("Nominations of this category have already advanced to the final round."))
    chosen = [e for e in sorted(run.entries, key=lambda e: e.rank) if e.rank <= top_m]
    existing = set(session.scalars(select(BlindCode.code).where(BlindCode.round_id == final.id)))
    has_code = set(session.scalars(select(BlindCode.nomination_id).where(BlindCode.round_id == final.id)))
    rows = []
    for entry in chosen:
        if entry.nomination_id not in has_code:
            code = new_code(existing)
            existing.add(code)
            session.add(BlindCode(round_id=final.id, nomination_id=entry.nomination_id, code=code))
        row = Advancement(run_id=run.id, round_id=final.id, nomination_id=entry.nomination_id, rank=entry.rank,
                          created_by_id=by.id)
        session.add(row)
        rows.append(row)
    session.flush()
    audit.append(session, actor=by, action="results.advanced", object_type="result_run", object_id=run.id,
                 data={"final_round": final.id, "top_m": top_m,
                       "nominations": [e.nomination_id for e in chosen]})
    return rows


# --------------------------------------------------------------------------- unblinding, outcomes, publication


def unblinding_for(session: Session, *, round_id: int, category_id: int) -> Unblinding | None:
    return session.scalar(select(Unblinding).where(Unblinding.round_id == round_id,
                                                   Unblinding.category_id == category_id))


def unblind(session: Session, *, run: ResultRun, reason: str, by: audit.Actor) -> Unblinding:
    """After approval, an organizer may see who made the nominations of this round and category (audited)."""
    if run.approval is None:
        raise Conflict(N_("Identities can be revealed only after the run is approved."))
    if not reason.strip():
        raise JudgingError(N_("Give a reason for revealing identities."))
    if unblinding_for(session, round_id=run.round_id, category_id=run.category_id) is not None:
        raise Conflict(N_("Identities of this round and category are already revealed."))
    row = Unblinding(run_id=run.id, round_id=run.round_id, category_id=run.category_id, reason=reason.strip(),
                     unblinded_by_id=by.id)
    session.add(row)
    session.flush()
    audit.append(session, actor=by, action="results.unblinded", object_type="result_run", object_id=run.id,
                 data={"round": run.round_id, "category": run.category_id, "reason": row.reason})
    return row


def identities(session: Session, nomination_ids: list[int]) -> dict[int, NominationIdentity]:
    """Identity rows; callers decide who may see them (auditors; organizers after unblinding)."""
    if not nomination_ids:
        return {}
    return {i.nomination_id: i for i in session.scalars(
        select(NominationIdentity).where(NominationIdentity.nomination_id.in_(nomination_ids)))}


def may_see_identities(session: Session, *, run: ResultRun, role: str) -> bool:
    if role == "auditor":
        return True
    return role == "organizer" and unblinding_for(session, round_id=run.round_id,
                                                  category_id=run.category_id) is not None


def _ensure_lists_open(session: Session, *, category_id: int) -> None:
    """After the committee's approval (审定) a category's lists are read-only (judging.notices)."""
    from judging.notices.service import ensure_lists_open

    ensure_lists_open(session, category_id=category_id)


def award_run(session: Session, *, category: Category) -> ResultRun | None:
    """The approved run that decides a category's awards: the final round's if approved, else the preliminary's."""
    rows = session.execute(select(ResultRun, Round.kind).join(RunApproval, RunApproval.run_id == ResultRun.id)
                           .join(Round, Round.id == ResultRun.round_id)
                           .where(ResultRun.category_id == category.id)).all()
    by_kind = {kind: run for run, kind in rows}
    return by_kind.get(RoundKind.FINAL) or by_kind.get(RoundKind.PRELIMINARY)


@dataclass(frozen=True)
class Award:
    place: int
    entry: ResultEntry
    nomination: Nomination
    identity: NominationIdentity | None
    named_as: str | None


def award_list(session: Session, *, category: Category, role: str) -> tuple[ResultRun | None, list[Award]]:
    """The category's winners (top N of the approved award run); identities only where the role may see them."""
    run = award_run(session, category=category)
    if run is None:
        return None, []
    top = [e for e in run.entries if e.in_top]
    top.sort(key=lambda e: e.rank)
    ids = [e.nomination_id for e in top]
    nominations = {n.id: n for n in session.scalars(select(Nomination).where(Nomination.id.in_(ids)))}
    people = identities(session, ids) if may_see_identities(session, run=run, role=role) else {}
    named = dict(session.execute(select(NamedMethod.nomination_id, NamedMethod.name)
                                 .where(NamedMethod.nomination_id.in_(ids))).all())
    return run, [Award(e.rank, e, nominations[e.nomination_id], people.get(e.nomination_id),
                       named.get(e.nomination_id)) for e in top]


@dataclass(frozen=True)
class MedalCandidate:
    category: Category
    place: int
    title: str
    first_inventor: str
    employer: str
    city: str
    nomination_id: int


def may_day_list(session: Session, *, edition: Edition, role: str) -> list[MedalCandidate]:
    """First inventor of each of the top 10 achievements and top 10 operating methods (approved runs only)."""
    out = []
    for category in edition.categories:
        if category.key not in MAY_DAY_CATEGORIES:
            continue
        run, awards = award_list(session, category=category, role=role)
        for award in awards:
            if award.place > MAY_DAY_TOP or award.identity is None:
                continue
            out.append(MedalCandidate(category, award.place, award.named_as or award.nomination.title,
                                      award.identity.first_inventor or "", award.identity.employer,
                                      award.identity.city, award.nomination.id))
    return out


def name_method(session: Session, *, nomination_id: int, by: audit.Actor) -> NamedMethod:
    """Publish an operating method under its first inventor's name (e.g. 张三操作法), as the nomination asks."""
    nomination = _find(session, Nomination, nomination_id, "nomination")
    category = session.get(Category, nomination.category_id)
    if category.key is not CategoryKey.OPERATING_METHOD:
        raise Conflict(N_("Only operating methods are named after their creator."))
    _ensure_lists_open(session, category_id=category.id)
    run = award_run(session, category=category)
    if run is None or unblinding_for(session, round_id=run.round_id, category_id=run.category_id) is None:
        raise Conflict(N_("Identities can be revealed only after the run is approved."))
    identity = identities(session, [nomination_id]).get(nomination_id)
    if identity is None or not identity.first_inventor:
        raise NotFound("identity")
    if session.scalar(select(NamedMethod).where(NamedMethod.nomination_id == nomination_id)) is not None:
        raise Conflict(N_("This method is already named."))
    suffix = next((form for form in ("操作法", "作业法", "工作法", "检修法") if nomination.title.endswith(form)), "操作法")
    row = NamedMethod(nomination_id=nomination_id, name=f"{identity.first_inventor}{suffix}", created_by_id=by.id)
    session.add(row)
    session.flush()
    audit.append(session, actor=by, action="results.method_named", object_type="nomination", object_id=nomination_id,
                 data={"name": row.name})
    return row


def _winners(session: Session, *, category: Category) -> list[tuple[int, Nomination, str, str, str, str]]:
    """(place, nomination, title, first inventor, employer, city) of the winners to publish.

    A category that went through public notice (its PUBLIC_NOTICE stage is no longer pending)
    publishes the list the committee approved, as it stood on notice; others their award list.
    """
    from judging.stages.models import StageKind, StageStatus
    from judging.stages.service import status_of

    if status_of(session, category_id=category.id, kind=StageKind.PUBLIC_NOTICE) is not StageStatus.PENDING:
        from judging.notices.service import final_list

        entries = final_list(session, category=category)
        nominations = {n.id: n for n in session.scalars(
            select(Nomination).where(Nomination.id.in_([e.nomination_id for e in entries])))}
        return [(e.place, nominations[e.nomination_id], e.named_as or e.title, e.first_completer, e.employer, e.city)
                for e in entries]
    _run, awards = award_list(session, category=category, role="organizer")
    return [(a.place, a.nomination, a.named_as or a.nomination.title, a.identity.first_inventor or "",
             a.identity.employer, a.identity.city) for a in awards]


def publish(session: Session, *, category: Category, by: audit.Actor) -> list[Publication]:
    """Put the category's winners on the public page: only title, first inventor, employer, city, summary.

    Once a category uses the stage pipeline this happens through the committee's approval
    (``judging.notices.service.record_approval``); publishing before it is refused.
    """
    run = award_run(session, category=category)
    if run is None:
        raise Conflict(N_("Approve a run of this category before publishing."))
    if unblinding_for(session, round_id=run.round_id, category_id=run.category_id) is None:
        raise Conflict(N_("Reveal identities (unblind) before publishing."))
    if session.scalar(select(func.count()).select_from(Publication).where(Publication.run_id == run.id)):
        raise Conflict(N_("These results are already published."))
    edition = session.get(Edition, run.edition_id)
    rows = []
    for place, nomination, title, first_inventor, employer, city in _winners(session, category=category):
        row = Publication(run_id=run.id, nomination_id=nomination.id, year=edition.year,
                          category_key=category.key.value, category_name=category.name, place=place,
                          title=title, first_inventor=first_inventor, employer=employer, city=city,
                          summary=nomination.summary, published_by_id=by.id)
        session.add(row)
        rows.append(row)
    session.flush()
    audit.append(session, actor=by, action="results.published", object_type="result_run", object_id=run.id,
                 data={"category": category.id, "count": len(rows)})
    return rows


def public_winners(session: Session, *, year: int | None = None, category_key: str | None = None,
                   query: str = "") -> list[Publication]:
    stmt = select(Publication)
    if year:
        stmt = stmt.where(Publication.year == year)
    if category_key:
        stmt = stmt.where(Publication.category_key == category_key)
    if query.strip():
        like = f"%{query.strip()}%"
        stmt = stmt.where(Publication.title.like(like) | Publication.first_inventor.like(like)
                          | Publication.employer.like(like) | Publication.city.like(like)
                          | Publication.summary.like(like))
    return list(session.scalars(stmt.order_by(Publication.year.desc(), Publication.category_key, Publication.place)))
