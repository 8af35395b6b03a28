"""The background job that makes a run's integrity report (a stored, audited document)."""

from __future__ import annotations

from typing import Any

from judging import documents
from judging.integrity import report
from judging.jobs import JobContext, job_kind

INTEGRITY_JOB = "integrity.report"


@job_kind(INTEGRITY_JOB)
def render_integrity_report(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    document = documents.produce(
        ctx.session_factory, lambda session: report.integrity_draft(session, run_id=params["run_id"]),
        by=ctx.actor, progress=lambda fraction, message="": ctx.progress(fraction, message, force=True))
    return {"report_id": document.id, "pages": document.pages, "sha256": document.sha256,
            "next_url": f"/integrity/runs/{document.subject_id}"}
