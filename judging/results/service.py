"""Result runs: gather the exact submitted scores, compute with judgestats, store immutably, approve,
recompute, advance, unblind and publish. Services take a Session, never commit, and audit their changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import judgestats
from judgestats.reliability import JudgeConsistency, judge_consistency, krippendorff_alpha
from judging import audit
from judging.editions.models import Category, Edition, Round, RoundKind
from judging.errors import Conflict, JudgingError, N_, NotFound
from judging.nominations.codes import ensure_blind_codes
from judging.nominations.models import Nomination, NominationIdentity
from judging.panels.models import Assignment
from judging.results.inputs import Inputs, familiarity_confidence, gather_inputs, sha256_json
from judging.results.naming import method_fits
from judging.results.models import (
    Advancement, JudgeDiagnostic, ResultEntry, ResultRun, RunApproval, RunCheck, Unblinding,
)
from judging.scoring import service as scoring
from judging.stages.models import StageKind, StageStatus
from judging.stages.permissions import Capability, require_capability
from judging.stages.service import Blocker, status_of

METHODS = ("mean", "trimmed_mean", "trimmed", "zscore", "additive", "confidence", "affine", "mixed", "rasch")
TIE_RULES = ("shared", "item_se", "raw_mean", "item_order")
DEFAULT_REPS = 200

Progress = Callable[[float, str], None]


def _no_progress(fraction: float, message: str = "") -> None:
    pass


def _num(value) -> float | None:
    """A JSON-safe float: NaN/inf become None (never NaN in a digest or a report)."""
    if value is None:
        return None
    value = float(value)
    return value if np.isfinite(value) else None


# --------------------------------------------------------------------------- computing


def tie_rule_of(edition: Edition) -> str:
    rule = (edition.settings or {}).get("tie_rule", "shared")
    return rule if rule in TIE_RULES else "shared"


def _judge_codes(n: int) -> list[str]:
    width = max(2, len(str(n)))
    return [f"J{i + 1:0{width}d}" for i in range(n)]


@dataclass(frozen=True)
class EngineResults:
    """What the engine returned for one run; each result carries its own warnings as data."""

    cal: judgestats.Calibration
    ranking: judgestats.Ranking
    raw_cal: judgestats.Calibration
    raw: judgestats.Ranking
    boot: judgestats.RankUncertainty
    consistency: JudgeConsistency
    alpha: float | None

    def warning_messages(self) -> list[str]:
        """The run's engine warnings as stored: each distinct message once, sorted (the digest's form)."""
        results = (self.cal, self.ranking, self.raw_cal, self.raw, self.boot, self.consistency)
        return sorted({warning.message for result in results for warning in result.warnings})


def _run_engine(inputs: Inputs, *, method: str, options: dict, seed: int, reps: int, top_n: int, tie_rule: str,
                within_components: bool, confidence: np.ndarray | None,
                progress: Progress = _no_progress) -> EngineResults:
    """Calibrate, rank, bootstrap and diagnose ``inputs``; the engine's refusals become JudgingErrors.

    Every call passes ``warn=False``: the warnings are read from the results, never through the
    process-wide warnings module, which concurrent job threads would share.
    """
    item, judge, score = inputs.item, inputs.judge, inputs.score
    try:
        cal = judgestats.calibrate(item, judge, score, method=method, confidence=confidence,
                                   within_components=within_components, warn=False, **options)
        ranking = judgestats.rank(cal, top_n=top_n, tie_rule=tie_rule, warn=False)
        raw_cal = judgestats.calibrate(item, judge, score, method="mean", warn=False)
        raw = judgestats.rank(raw_cal, top_n=top_n, tie_rule="item_order", warn=False)
        progress(0.3, N_("Estimating uncertainty (bootstrap)"))
        boot = judgestats.bootstrap(item, judge, score, method=method, top_n=top_n, reps=reps, seed=seed,
                                    confidence=confidence, within_components=within_components, warn=False,
                                    **options)
        progress(0.8, N_("Computing diagnostics"))
        consistency = judge_consistency(cal, item, judge, score, warn=False)
        matrix = np.full((cal.n_judges, cal.n_items), np.nan)
        matrix[judge, item] = score
        try:
            alpha = krippendorff_alpha(matrix, "interval").alpha
        except ValueError:
            alpha = None
    except judgestats.DisconnectedDesignError as exc:
        raise JudgingError(N_("The design is disconnected ({count} components); compute per component only "
                              "if you accept that values are comparable only within a component."),
                           count=exc.n_components) from None
    except ValueError as exc:
        # The engine's reason is English and technical: it stays in the job's record (``detail``); the
        # reader gets what it means for them.
        if method == "rasch":
            raise JudgingError(N_("The Rasch model cannot be fitted to these scores (it needs a rating scale of a "
                                  "few levels, each level used, and judges and items that are not all at one "
                                  "extreme). Choose another method."), detail=str(exc)) from None
        raise JudgingError(N_("The method cannot be applied to these scores. Choose another method."),
                           detail=str(exc)) from None
    return EngineResults(cal, ranking, raw_cal, raw, boot, consistency, alpha)


def compute(inputs: Inputs, *, method: str, options: dict, seed: int, reps: int, top_n: int, tie_rule: str,
            within_components: bool, progress: Progress = _no_progress) -> tuple[dict, dict]:
    """Run the engine on ``inputs``: returns (stored options, outputs). Pure: no database."""
    if method not in METHODS:
        raise JudgingError(N_("Unknown method {method}."), method=method)
    if inputs.item.size == 0:
        raise JudgingError(N_("There are no submitted scores to compute from."))
    confidence = inputs.confidence if method == "confidence" else None
    progress(0.1, N_("Calibrating judges"))
    engine = _run_engine(inputs, method=method, options=options, seed=seed, reps=reps, top_n=top_n,
                         tie_rule=tie_rule, within_components=within_components, confidence=confidence,
                         progress=progress)
    cal, ranking, raw, boot, consistency = engine.cal, engine.ranking, engine.raw, engine.boot, engine.consistency
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
        "reliability": {"krippendorff_alpha": _num(engine.alpha), "sigma": _num(cal.sigma),
                        "n_components": int(cal.n_components), "converged": bool(cal.converged),
                        "iterations": int(cal.iterations),
                        "judges_per_item": _num(np.mean(cal.item_n_scores))},
        "warnings": engine.warning_messages(),
    }
    progress(0.9, N_("Storing the results"))
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


# Methods that compare judges through the nominations they share: a design in separate groups is refused by the
# engine unless computed per group (the page asks first).
LINKED_METHODS = frozenset(METHODS) - {"mean", "trimmed_mean", "trimmed", "zscore"}


def check_request(category: Category, *, method: str, reps: int) -> None:
    """Refuse a run that cannot be made whatever the scores: an unknown method, one the rubric does not fit,
    bootstrap replicates out of range."""
    if method not in METHODS:
        raise JudgingError(N_("Unknown method {method}."), method=method)
    if not method_fits(method, category.rubric.criteria if category.rubric else []):
        raise JudgingError(N_("This category's rubric gives too many different totals for the Rasch model, "
                              "which reads scores as a few ordered levels. Choose another method."))
    if not 1 <= reps <= 5000:
        raise JudgingError(N_("Bootstrap replicates must be between 1 and 5000."))


def plan_run(session: Session, *, round_id: int, category_id: int, method: str, options: dict | None = None,
             seed: int = 20260501, reps: int = DEFAULT_REPS, confirm_incomplete: bool = False,
             within_components: bool = False) -> RunPlan:
    """Read the exact scores and the rules of a run; refuse missing sheets unless confirmed."""
    round_ = _find(session, Round, round_id, "round")
    category = _find(session, Category, category_id, "category")
    if category.edition_id != round_.edition_id:
        raise NotFound("category")
    check_request(category, method=method, reps=reps)
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
    progress(1.0, N_("Done"))
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
    """Approve ``run``: one per round and category; scoring freezes its scores from now on."""
    # No score may change between the digest check below and the commit.
    scoring.hold_scores(session, round_id=run.round_id, category_id=run.category_id, exclusive=True)
    if approval_for(session, round_id=run.round_id, category_id=run.category_id) is not None:
        raise Conflict(N_("A run of this round and category is already approved."))
    if status_of(session, category_id=run.category_id, kind=StageKind.PUBLIC_NOTICE) is not StageStatus.PENDING:
        # The list on notice (and what the committee approves of it) rests on the approved run.
        raise Conflict(N_("This category's list is on public notice; no other run can be approved."))
    require_capability(session, category_id=run.category_id, capability=Capability.COMPUTE)
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
    scoring.freeze_scores(session, round_id=run.round_id, category_id=run.category_id,
                          reason=f"result run {run.id} approved", by=by)
    return approval


# --------------------------------------------------------------------------- the stage


def online_review_blockers(session: Session, category: Category) -> list[Blocker]:
    """The online rounds end with an approved result run for the category in each round it was judged in."""
    judged_rounds = session.scalars(
        select(Round).join(Assignment, Assignment.round_id == Round.id)
        .join(Nomination, Nomination.id == Assignment.nomination_id)
        .where(Nomination.category_id == category.id).distinct().order_by(Round.id)).all()
    if not judged_rounds:
        return [Blocker(N_("no nomination has been assigned to judges"))]
    approved = set(session.scalars(select(RunApproval.round_id).where(RunApproval.category_id == category.id)))
    return [Blocker(N_("no result run of {round} has been approved"), {"round": round_.name})
            for round_ in judged_rounds if round_.id not in approved]


# --------------------------------------------------------------------------- advancing to the final


def advance(session: Session, *, run: ResultRun, top_m: int, by: audit.Actor) -> list[Advancement]:
    """The top ``top_m`` of an approved preliminary run advance to the final round (new blind codes)."""
    round_ = session.get(Round, run.round_id)
    if round_.kind is not RoundKind.PRELIMINARY:
        raise Conflict(N_("Only a preliminary run can send nominations to the final round."))
    if run.approval is None:
        raise Conflict(N_("Approve the run before advancing nominations from it."))
    require_capability(session, category_id=run.category_id, capability=Capability.COMPUTE)
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
    ensure_blind_codes(session, round_id=final.id, nomination_ids=[e.nomination_id for e in chosen], by=by)
    rows = []
    for entry in chosen:
        row = Advancement(run_id=run.id, round_id=final.id, nomination_id=entry.nomination_id, rank=entry.rank,
                          created_by_id=by.id)
        session.add(row)
        rows.append(row)
    session.flush()
    audit.append(session, actor=by, action="result_run.finalists_advanced", object_type="result_run", object_id=run.id,
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
    audit.append(session, actor=by, action="result_run.unblinded", object_type="result_run", object_id=run.id,
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


def award_run(session: Session, *, category: Category) -> ResultRun | None:
    """The approved run that decides a category's awards: the final round's if approved, else the preliminary's."""
    rows = session.execute(select(ResultRun, Round.kind).join(RunApproval, RunApproval.run_id == ResultRun.id)
                           .join(Round, Round.id == ResultRun.round_id)
                           .where(ResultRun.category_id == category.id)).all()
    by_kind = {kind: run for run, kind in rows}
    return by_kind.get(RoundKind.FINAL) or by_kind.get(RoundKind.PRELIMINARY)
