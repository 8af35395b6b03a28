"""Background jobs of the results part: computing a run, recomputing it (its reports: ``reports.jobs``)."""

from __future__ import annotations

from typing import Any

from judging.errors import N_
from judging.jobs import JobContext, job_kind
from judging.results import service



@job_kind("results.compute")
def compute_run(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    def progress(fraction: float, message: str = "") -> None:
        ctx.progress(fraction, message)

    with ctx.session_factory() as session:
        progress(0.02, N_("Reading scores"))
        plan = service.plan_run(
            session, round_id=params["round_id"], category_id=params["category_id"], method=params["method"],
            options=params.get("options") or {}, seed=params.get("seed", 20260501),
            reps=params.get("reps", service.DEFAULT_REPS), confirm_incomplete=params.get("confirm_incomplete", False),
            within_components=params.get("within_components", False))
        session.rollback()  # hold no transaction (no SQLite write lock) while the engine runs
        stored_options, outputs = service.compute_plan(plan, progress)
        run = service.store_run(session, plan=plan, stored_options=stored_options, outputs=outputs,
                                by=ctx.actor)
        session.commit()
        return {"run_id": run.id, "output_digest": run.output_digest, "next_url": f"/results/runs/{run.id}"}


@job_kind("results.recompute")
def recompute_run(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.session_factory() as session:
        run = service.get_run(session, params["run_id"])
        run_id, options, method, seed = run.id, dict(run.options), run.method, run.seed
        inputs = service.recompute_inputs(session, run=run)
        session.rollback()
        output_digest = service.recompute_outputs(options, method, seed, inputs,
                                                  lambda fraction, message="": ctx.progress(fraction, message))
        check = service.store_check(session, run=service.get_run(session, run_id), inputs=inputs,
                                    output_digest=output_digest, by=ctx.actor)
        session.commit()
        return {"check_id": check.id, "inputs_match": check.inputs_match, "outputs_match": check.outputs_match,
                "next_url": f"/results/runs/{run_id}/checks/{check.id}"}

