"""PDF reports of a result run (WeasyPrint, Chinese, embedded CJK font): ranking, per-nomination score
sheets, per-judge sheets and the audit report.

``report_draft`` reads everything a report shows in the caller's transaction; ``judging.documents``
renders it with no transaction open and stores it (see ``reports.jobs``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from judging.audit.chain import chain_head
from judging.db.base import utcnow
from judging.documents import Draft, gettext, local_time
from judging.editions.models import Category, Edition, Round
from judging.errors import N_, JudgingError, NotFound
from judging.nominations.models import Nomination
from judging.panels.models import Assignment, Conflict as ConflictRow, Expert
from judging.results import service as results
from judging.results.models import ResultRun, RunCheck
from judging.results.naming import tie_rule_words
from judging.scoring.models import ScoreSheet

KINDS = ("ranking", "nomination", "judge", "audit")
AUDIENCES = ("committee", "auditor")

# One paragraph per method for the ranking report (English ids, Chinese in results.po).
METHOD_NOTES = {
    "mean": N_("Each nomination's value is the plain mean of its judges' weighted totals; judges' different "
               "standards are not corrected."),
    "trimmed_mean": N_("Each nomination's value is the mean of its judges' weighted totals; when a nomination has 5 "
                       "or more scores, its highest and its lowest score are dropped first."),
    "trimmed": N_("Each nomination's value is the mean of its judges' weighted totals after dropping the highest "
                  "and the lowest score when there are enough scores."),
    "zscore": N_("Each judge's totals are standardized to the judge's own mean and spread, then averaged per "
                 "nomination and put back on the 0–100 scale, so lenient and harsh judges count alike."),
    "additive": N_("A two-way model, total = value + judge offset + error, is fitted by least squares over the "
                   "connected design: each judge's severity is estimated from the nominations judges share and "
                   "removed from the scores, so a nomination does not gain or lose by the panel it drew."),
    "confidence": N_("The additive model, with each score weighted by the judge's declared familiarity with the "
                     "field: judges who know the field well count more."),
    "affine": N_("Each judge is allowed both an offset and a scale (a judge who uses a narrow or wide part of the "
                 "scale); both are estimated jointly with the nominations' values."),
    "mixed": N_("A linear mixed model with judges as a random effect: judge severities are shrunk towards zero "
                "when a judge scored few nominations."),
    "rasch": N_("A many-facet Rasch model on the score categories: nominations and judges are placed on one "
                "logit scale, values are in logits."),
}


def report_context(session: Session, *, run_id: int, kind: str, audience: str,
                   subject_id: int | None = None) -> dict[str, Any]:
    """Everything the report shows, read in the caller's transaction (plain values, no lazy loads later)."""
    if kind not in KINDS or audience not in AUDIENCES:
        raise JudgingError(N_("Unknown report {kind}."), kind=kind)
    run = session.get(ResultRun, run_id)
    if run is None:
        raise NotFound("run")
    edition = session.get(Edition, run.edition_id)
    round_ = session.get(Round, run.round_id)
    category = session.get(Category, run.category_id)
    head = chain_head(session)
    now = utcnow()
    entries = sorted(run.entries, key=lambda e: (e.rank, e.code))
    nominations = {n.id: n for n in session.scalars(select(Nomination).where(
        Nomination.id.in_([e.nomination_id for e in entries])))}
    with_identities = audience == "auditor"
    people = results.identities(session, list(nominations)) if with_identities else {}
    judges = {d.expert_id: d for d in run.judges}
    expert_names = dict(session.execute(select(Expert.id, Expert.name)
                                        .where(Expert.id.in_(list(judges)))).all()) if with_identities else {}
    ctx: dict[str, Any] = {
        "kind": kind, "audience": audience, "draft": run.approval is None,
        "edition": {"name": edition.name, "year": edition.year},
        "round": round_.name, "category": category.name, "top_n": run.options.get("top_n", 10),
        "run": {"id": run.id, "method": run.method, "rule": run.rule(gettext),
                "tie_rule": tie_rule_words(run.options.get("tie_rule"), gettext),
                "options": run.options, "seed": run.seed,
                "engine_version": run.engine_version, "input_digest": run.input_digest,
                "output_digest": run.output_digest, "calibration_digest": run.calibration_digest,
                "created_at": local_time(run.created_at), "n_items": run.n_items, "n_judges": run.n_judges,
                "n_scores": run.n_scores, "unsubmitted": run.unsubmitted,
                "approved_at": local_time(run.approval.approved_at) if run.approval else None,
                "reliability": run.outputs.get("reliability", {}), "warnings": run.outputs.get("warnings", [])},
        "method_note": METHOD_NOTES.get(run.method, ""),
        "generated_at": local_time(now), "chain": {"length": head.length, "hash": head.hash},
        "with_identities": with_identities,
    }
    ctx["criteria"] = run.inputs.get("criteria", [])

    def judge_label(expert_id: int) -> str:
        d = judges.get(expert_id)
        code = d.code if d else "?"
        return f"{code} {expert_names.get(expert_id, '')}".strip() if with_identities else code

    if kind == "ranking":
        ctx["entries"] = [{"rank": e.rank, "code": e.code, "title": nominations[e.nomination_id].title,
                           "value": e.value, "se": e.se, "raw_mean": e.raw_mean, "raw_rank": e.raw_rank,
                           "low": e.rank_low, "high": e.rank_high, "p_top": e.p_top, "n_scores": e.n_scores,
                           "in_top": e.in_top,
                           "who": people[e.nomination_id].first_inventor if e.nomination_id in people else None}
                          for e in entries]
    elif kind == "nomination":
        ctx["nominations"] = _nomination_pages(session, run=run, entries=entries, nominations=nominations,
                                               people=people, judge_label=judge_label, subject_id=subject_id)
    elif kind == "judge":
        ctx["judges"] = _judge_pages(run=run, entries=entries, judge_label=judge_label, subject_id=subject_id)
    else:
        ctx.update(_audit_figures(session, run=run, round_=round_, category=category))
    return ctx


def _nomination_pages(session: Session, *, run: ResultRun, entries: list, nominations: dict, people: dict,
                      judge_label, subject_id: int | None) -> list[dict[str, Any]]:
    """One page per nomination (or the one asked): its place and every judge's sheet."""
    wanted = [e for e in entries if subject_id is None or e.nomination_id == subject_id]
    if not wanted:
        raise NotFound("nomination")
    sheets_by_nomination: dict[int, list[dict]] = {}
    comments = _comments(session, [row["assignment"] for row in run.inputs.get("sheets", [])])
    for row in run.inputs.get("sheets", []):
        sheets_by_nomination.setdefault(row["nomination"], []).append(
            {"judge": judge_label(row["expert"]), "values": row["values"], "grades": row.get("grades", {}),
             "total": row["total"],
             "familiarity": row.get("familiarity"), "comment": comments.get(row["assignment"], "")})
    pages = []
    for e in wanted:
        identity = people.get(e.nomination_id)
        pages.append({
            "code": e.code, "title": nominations[e.nomination_id].title, "rank": e.rank, "value": e.value,
            "raw_mean": e.raw_mean, "low": e.rank_low, "high": e.rank_high, "p_top": e.p_top,
            "sheets": sorted(sheets_by_nomination.get(e.nomination_id, []), key=lambda s: s["judge"]),
            "identity": None if identity is None else {
                "inventors": "、".join(identity.inventors), "employer": identity.employer,
                "city": identity.city}})
    return pages


def _judge_pages(*, run: ResultRun, entries: list, judge_label, subject_id: int | None) -> list[dict[str, Any]]:
    """One page per judge (or the one asked): the judge's diagnostics and every score the judge gave."""
    wanted = [d for d in sorted(run.judges, key=lambda d: d.code) if subject_id is None or d.expert_id == subject_id]
    if not wanted:
        raise NotFound("judge")
    code_of = {e.nomination_id: e for e in entries}
    rows_by_judge: dict[int, list[dict]] = {}
    for row in run.inputs.get("sheets", []):
        entry = code_of.get(row["nomination"])
        rows_by_judge.setdefault(row["expert"], []).append(
            {"code": row["code"], "values": row["values"], "grades": row.get("grades", {}), "total": row["total"],
             "value": entry.value if entry else None, "rank": entry.rank if entry else None})
    return [{"label": judge_label(d.expert_id), "n_scores": d.n_scores, "severity": d.severity,
             "scale": d.scale, "correlation": d.correlation, "rms_residual": d.rms_residual,
             "rows": sorted(rows_by_judge.get(d.expert_id, []), key=lambda r: r["code"])}
            for d in wanted]


def _comments(session: Session, assignment_ids: list[int]) -> dict[int, str]:
    if not assignment_ids:
        return {}
    return dict(session.execute(select(ScoreSheet.assignment_id, ScoreSheet.comment)
                                .where(ScoreSheet.assignment_id.in_(assignment_ids))).all())


def _audit_figures(session: Session, *, run: ResultRun, round_: Round, category: Category) -> dict[str, Any]:
    base = (select(func.count()).select_from(Assignment).join(Nomination, Nomination.id == Assignment.nomination_id)
            .where(Assignment.round_id == round_.id, Nomination.category_id == category.id))
    assignments = session.scalar(base)
    withdrawn = session.scalar(base.where(Assignment.withdrawn_at.is_not(None)))
    conflicts = session.execute(
        select(ConflictRow.source, func.count()).join(Nomination, Nomination.id == ConflictRow.nomination_id)
        .where(Nomination.category_id == category.id).group_by(ConflictRow.source)).all()
    reopened = session.execute(
        select(Assignment.id, ScoreSheet.reopened_at, ScoreSheet.reopen_reason)
        .join(ScoreSheet, ScoreSheet.assignment_id == Assignment.id)
        .join(Nomination, Nomination.id == Assignment.nomination_id)
        .where(Assignment.round_id == round_.id, Nomination.category_id == category.id,
               ScoreSheet.reopened_at.is_not(None)).order_by(ScoreSheet.reopened_at)).all()
    code_of = {row["assignment"]: row["code"] for row in run.inputs.get("sheets", [])}
    checks = session.scalars(select(RunCheck).where(RunCheck.run_id == run.id).order_by(RunCheck.id)).all()
    return {
        "figures": {"assignments": assignments, "withdrawn": withdrawn, "submitted": run.n_scores,
                    "unsubmitted": run.unsubmitted, "nominations": run.n_items, "judges": run.n_judges},
        "conflicts": [{"source": source.value, "count": count} for source, count in conflicts],
        "conflicts_total": sum(count for _s, count in conflicts),
        "reopened": [{"code": code_of.get(a, f"#{a}"), "at": local_time(at), "reason": reason or ""}
                     for a, at, reason in reopened],
        "checks": [{"id": c.id, "at": local_time(c.checked_at), "inputs_match": c.inputs_match,
                    "outputs_match": c.outputs_match} for c in checks],
    }


def filename_for(ctx: dict[str, Any], subject_id: int | None) -> str:
    suffix = f"-{subject_id}" if subject_id else ""
    draft = "-draft" if ctx["draft"] else ""
    return f"run{ctx['run']['id']}-{ctx['kind']}{suffix}-{ctx['audience']}{draft}.pdf"


def report_draft(session: Session, *, run_id: int, kind: str, audience: str, subject_id: int | None) -> Draft:
    """The report as a document of its run: kind ``<kind>_report``, the audience and draft mark kept beside it."""
    ctx = report_context(session, run_id=run_id, kind=kind, audience=audience, subject_id=subject_id)
    return Draft(kind=f"{kind}_report", subject_type="result_run", subject_id=run_id,
                 filename=filename_for(ctx, subject_id), template=f"reports/{kind}.html", context=ctx,
                 details={"audience": audience, "draft": ctx["draft"], "about": subject_id})
