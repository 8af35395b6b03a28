"""A job's page: progress that refreshes itself while the job runs (htmx polling), then the outcome."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from judging.accounts.models import Role
from judging.errors import N_, NotFound
from judging.jobs.models import JobStatus
from judging.jobs.service import get_job
from judging.accounts.permissions import LOGGED_IN
from judging.web.auth import current_user
from judging.web.guards import requires
from judging.web.rendering import DbSession, gettext_for, render


class JobController(Controller):
    path = "/jobs"
    guards = [requires(LOGGED_IN)]

    @get("/{job_id:int}", sync_to_thread=True)
    def show(self, request: Request, db: DbSession, job_id: FromPath[int]) -> Template:
        user = current_user(request)
        try:
            job = get_job(db, job_id)
        except NotFound:
            raise NotFoundException() from None
        # Organizers and auditors see every job; anyone else only the jobs they started.
        if user.role not in (Role.ORGANIZER, Role.AUDITOR) and job.created_by_id != user.id:
            raise NotFoundException()
        template = "fragments/job.html" if request.headers.get("hx-request") == "true" else "pages/job.html"
        return render(request, template, job=job, failure=failure_text(job, gettext_for(request)))


def failure_text(job, gettext) -> str | None:
    """Why a job failed, in the reader's language: a refusal's message, else a plain sentence (the
    technical detail is in the job's ``error`` and the server log, not for the page)."""
    if job.status is not JobStatus.FAILED:
        return None
    refusal = (job.result or {}).get("refusal")
    if refusal:
        try:
            return gettext(refusal["message"]).format(**refusal["params"])
        except (KeyError, IndexError, ValueError):
            return gettext(refusal["message"])
    return gettext(N_("The job failed because of an unexpected error; the details are in the server log."))
