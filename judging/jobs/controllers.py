"""A job's page: progress that refreshes itself while the job runs (htmx polling), then the outcome."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from judging.accounts.models import Role
from judging.errors import NotFound
from judging.jobs.service import get_job
from judging.web.auth import current_user, requires_login
from judging.web.rendering import DbSession, render


class JobController(Controller):
    path = "/jobs"
    guards = [requires_login]

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
        return render(request, template, job=job)
