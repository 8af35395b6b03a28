"""Background jobs of the panels part: previewing a plan (the solver may take a while) and refilling.

``panels.refill`` is what a judge's declared conflict or an expert's drop-out starts:
params ``{"round_id": int, "category_id": int | None}``.
"""

from __future__ import annotations

from typing import Any

from judging import audit
from judging.errors import N_
from judging.jobs import JobContext, job_kind
from judging.panels import service



@job_kind("panels.preview")
def preview(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    known = {k: v for k, v in (params.get("settings") or {}).items()
             if k in service.PlanSettings.__dataclass_fields__}
    ctx.progress(0.02, N_("Reading nominations, experts and conflicts"), force=True)
    with ctx.session_factory() as session:
        plan = service.preview_plan(session, round_id=params["round_id"], category_id=params["category_id"],
                                    settings=service.PlanSettings(**known), by=ctx.actor,
                                    progress=lambda fraction, message="": ctx.progress(fraction, message),
                                    release_while_solving=True)
        session.commit()
        return {"plan_id": plan.id, "status": plan.status.value,
                "next_url": f"/organizer/panels/plans/{plan.id}"}


@job_kind("panels.commit")
def commit(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """Committing a large plan (tens of thousands of rows and blind codes) off the request."""
    ctx.progress(0.05, N_("Writing assignments and blind codes"), force=True)
    with ctx.session_factory() as session:
        plan = service.get_plan(session, params["plan_id"])
        round_id, category_id = plan.round_id, plan.category_id
        count = service.commit_plan(session, plan_id=params["plan_id"], by=ctx.actor)
        session.commit()
        return {"pairs": count,
                "next_url": f"/organizer/panels/rounds/{round_id}/categories/{category_id}?notice=committed"}


@job_kind("panels.refill")
def refill(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    # Refilling holds one transaction from its reads to its writes, so progress is reported
    # around it, never inside (on SQLite a progress write would wait for this transaction's lock).
    ctx.progress(0.05, N_("Refilling missing places"), force=True)
    with ctx.session_factory() as session:
        pairs = service.refill_round(session, round_id=params["round_id"], category_id=params.get("category_id"),
                                     by=ctx.actor)
        session.commit()
        return {"pairs": [[a, b] for a, b in pairs], "next_url": f"/organizer/panels/rounds/{params['round_id']}"}


def start_refill(session_factory, *, round_id: int, by: audit.Actor, database_url: str,
                 category_id: int | None = None) -> int:
    """Queue a ``panels.refill`` job (e.g. right after a judge's declared conflict is committed);
    returns the job id. Call it outside any open transaction of the caller's session."""
    from judging.jobs import start_job

    return start_job(session_factory, kind="panels.refill", by=by, database_url=database_url,
                     params={"round_id": round_id, "category_id": category_id})
