"""The reports of a run: the list of its stored PDFs, starting one (a background job), downloading one.

Thin handlers; the report's content is ``judging.reports.service``, its making ``judging.reports.jobs``.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template

from judging import documents
from judging.accounts import actor_of
from judging.accounts.models import Role
from judging.editions.models import Category
from judging.errors import NotFound
from judging.jobs import start_job
from judging.reports.jobs import REPORT_JOB
from judging.reports.service import AUDIENCES, KINDS
from judging.results import service as results
from judging.results.models import ResultRun
from judging.web.auth import current_user
from judging.web.guards import requires
from judging.accounts.permissions import can
from judging.documents.models import Document
from judging.results.permissions import READ_REPORT, REPORTS
from judging.web.guards import loaded
from judging.web.forms import form_text
from judging.web.rendering import DbSession, render

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


def _run(db, run_id: int) -> ResultRun:
    try:
        return results.get_run(db, run_id)
    except NotFound:
        raise NotFoundException() from None


class ReportsController(Controller):
    path = "/results"
    guards = [requires(REPORTS)]

    @get("/runs/{run_id:int}/reports", sync_to_thread=True)
    def reports(self, request: Request, db: DbSession, run_id: FromPath[int]) -> Template:
        run = _run(db, run_id)
        user = current_user(request)
        reports = [r for r in documents.documents_of(db, "result_run", run.id) if can(user, READ_REPORT, r)]
        return render(request, "pages/results_reports.html", run=run, reports=reports,
                      category=db.get(Category, run.category_id))

    @post("/runs/{run_id:int}/reports", sync_to_thread=True)
    def start_report(self, request: Request, db: DbSession, run_id: FromPath[int], data: FormData) -> Redirect:
        run_id = _run(db, run_id).id
        user = current_user(request)
        kind, audience = form_text(data, "kind", "ranking"), form_text(data, "audience", "committee")
        if kind not in KINDS or audience not in AUDIENCES:
            raise NotFoundException()
        if audience == "auditor" and user.role is not Role.AUDITOR:
            raise NotFoundException()  # identities in reports: auditors only
        subject = form_text(data, "subject_id")
        db.rollback()  # end this request's transaction (on SQLite it holds the write lock) before the job
        job_id = start_job(request.app.state.session_factory, kind=REPORT_JOB, by=actor_of(user),
                           database_url=request.app.state.settings.database_url,
                           params={"run_id": run_id, "kind": kind, "audience": audience,
                                   "subject_id": int(subject) if subject.isdigit() else None})
        return Redirect(path=f"/jobs/{job_id}")

    @get("/reports/{report_id:int}", sync_to_thread=True,
         guards=[requires(READ_REPORT, load=loaded(Document, "report_id"))])
    def download_report(self, request: Request, db: DbSession, report_id: FromPath[int]) -> Response:
        try:
            report = documents.get_document(db, report_id)
        except NotFound:
            raise NotFoundException() from None
        if report.subject_type != "result_run":  # only a run's reports are served here
            raise NotFoundException()
        return documents.pdf_response(report)
