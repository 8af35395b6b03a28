"""The background job that makes a run's PDF report (a stored document of the run)."""

from __future__ import annotations

from typing import Any

from judging import documents
from judging.jobs import JobContext, job_kind
from judging.reports import service

# The kind keeps its first name: job rows already recorded name it.
REPORT_JOB = "results.report"


@job_kind(REPORT_JOB)
def render_report(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    document = documents.produce(
        ctx.session_factory,
        lambda session: service.report_draft(session, run_id=params["run_id"], kind=params["kind"],
                                             audience=params["audience"], subject_id=params.get("subject_id")),
        by=ctx.actor,
        progress=lambda fraction, message="": ctx.progress(fraction, message, force=True))
    return {"report_id": document.id, "pages": document.pages, "sha256": document.sha256,
            "next_url": f"/results/runs/{document.subject_id}/reports"}
