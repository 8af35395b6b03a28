"""The auditor's integrity report of an unblinded run: what was tested, the effects and their uncertainty.

Identity-bearing (judges' names, their scores beside their panel's): for auditors only, and stored
under its own subject type so the run's reports page, which organizers see, neither lists nor serves it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from judging.audit.chain import chain_head
from judging.db.base import utcnow
from judging.documents import Draft, local_time
from judging.editions.models import Category, Edition, Round
from judging.errors import N_, Conflict, NotFound
from judging.integrity.analysis import DIMENSION_LABELS, analyse_run
from judging.panels.models import Expert
from judging.results import service as results
from judging.results.models import ResultRun

SUBJECT = "integrity_run"
KIND = "integrity_report"


def unblinded_run(session: Session, run_id: int) -> ResultRun:
    """The run, if it may be examined: approved and unblinded (the report compares identities)."""
    run = session.get(ResultRun, run_id)
    if run is None:
        raise NotFound("run")
    if results.unblinding_for(session, round_id=run.round_id, category_id=run.category_id) is None:
        raise Conflict(N_("The integrity report is made after the run is approved and unblinded."))
    return run


def integrity_context(session: Session, run_id: int) -> dict[str, Any]:
    """The analysis of the run with judges' names and codes, for the page and the PDF."""
    run = unblinded_run(session, run_id)
    analysis = analyse_run(session, run)
    codes = {d.expert_id: d.code for d in run.judges}
    names = dict(session.execute(select(Expert.id, Expert.name).where(Expert.id.in_(list(codes) or [0]))).all())
    for dim in analysis["dimensions"].values():
        for f in dim.get("flagged", []):
            f["code"], f["name"] = codes.get(f["expert"], "?"), names.get(f["expert"], "")
    edition = session.get(Edition, run.edition_id)
    head = chain_head(session)
    return {
        "analysis": analysis, "labels": DIMENSION_LABELS,
        "edition": {"name": edition.name, "year": edition.year},
        "round": session.get(Round, run.round_id).name, "category": session.get(Category, run.category_id).name,
        "run": {"id": run.id, "method": run.method, "rule": run.method, "output_digest": run.output_digest,
                "input_digest": run.input_digest, "created_at": local_time(run.created_at),
                "approved_at": local_time(run.approval.approved_at) if run.approval else None},
        "draft": run.approval is None, "audience": "auditor",
        "generated_at": local_time(utcnow()), "chain": {"length": head.length, "hash": head.hash},
    }


def integrity_draft(session: Session, *, run_id: int) -> Draft:
    ctx = integrity_context(session, run_id)
    flags = [{"expert": f["expert"], "dimension": dim, "bonus": f["bonus"], "qvalue": f["qvalue"]}
             for dim, d in ctx["analysis"]["dimensions"].items() for f in d.get("flagged", [])]
    return Draft(kind=KIND, subject_type=SUBJECT, subject_id=run_id, filename=f"run{run_id}-integrity-auditor.pdf",
                 template="reports/integrity.html", context=ctx,
                 details={"audience": "auditor", "flags": flags,
                          "tested": [dim for dim, d in ctx["analysis"]["dimensions"].items() if d["tested"]]})
