"""The background job that makes a notice's PDF once its publication has committed."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from judging import audit, documents
from judging.jobs import JobContext, job_kind, start_job
from judging.notices.documents import notice_draft

NOTICE_PDF_JOB = "notices.pdf"


def make_notice_pdf(session_factory: sessionmaker[Session], *, notice_id: int, by: audit.Actor,
                    progress=lambda fraction, message="": None) -> documents.Document:
    """Read the published notice, render its PDF with no transaction open, store it (once per notice)."""
    return documents.produce(session_factory, lambda session: notice_draft(session, notice_id=notice_id), by=by,
                             once=True, progress=progress)


# Resumable: it stores one PDF per notice, so running it again after a dead worker is harmless.
@job_kind(NOTICE_PDF_JOB, resumable=True)
def notice_pdf_job(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    document = make_notice_pdf(ctx.session_factory, notice_id=params["notice_id"],
                               by=ctx.actor,
                               progress=lambda fraction, message="": ctx.progress(fraction, message, force=True))
    return {"document_id": document.id, "sha256": document.sha256, "pages": document.pages,
            "next_url": f"/public/notices/{params['notice_id']}"}


def queue_notice_pdf(session_factory: sessionmaker[Session], *, notice_id: int, by: audit.Actor,
                     database_url: str) -> int:
    """Queue the PDF of a notice whose publication has committed; returns the job's id."""
    return start_job(session_factory, kind=NOTICE_PDF_JOB, by=by, database_url=database_url,
                     params={"notice_id": notice_id})
