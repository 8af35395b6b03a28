"""Pages of the integrity part: the auditor's integrity report of a run, the expert's record (a fragment
of the expert's page), the organizer's notes, and the random draw with the supervisor's confirmation."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from sqlalchemy import select

from judging import documents
from judging.accounts.models import User
from judging.editions.models import Category, Round
from judging.errors import JudgingError, NotFound
from judging.integrity import permissions, report
from judging.integrity import record as records
from judging.integrity.jobs import INTEGRITY_JOB
from judging.jobs import start_job
from judging.panels import draw as draws
from judging.panels.models import Expert
from judging.results.models import ResultRun
from judging.web.auth import current_user
from judging.web.forms import error_status, form_int, form_text, request_actor
from judging.web.guards import requires
from judging.web.safety import error_query, url_error
from judging.web.rendering import DbSession, error_text, render

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


class IntegrityController(Controller):
    path = "/integrity"
    guards = [requires(permissions.RECORD_VIEW)]

    @get("/runs/{run_id:int}", guards=[requires(permissions.REPORT)], sync_to_thread=True)
    def run_page(self, request: Request, db: DbSession, run_id: FromPath[int]) -> Template:
        run = db.get(ResultRun, run_id)
        if run is None:
            raise NotFoundException()
        category = db.get(Category, run.category_id).name
        try:
            ctx = report.integrity_context(db, run_id)
        except JudgingError as exc:
            return render(request, "pages/integrity_run.html", run=run, category=category,
                          error=error_text(request, exc), status_code=error_status(exc))
        return render(request, "pages/integrity_run.html", run=run, category=category,
                      analysis=ctx["analysis"], labels=ctx["labels"],
                      reports=documents.documents_of(db, report.SUBJECT, run_id, kind=report.KIND))

    @post("/runs/{run_id:int}/report", guards=[requires(permissions.REPORT)], sync_to_thread=True)
    def start_report(self, request: Request, db: DbSession, run_id: FromPath[int]) -> Redirect:
        try:
            report.unblinded_run(db, run_id)
        except NotFound:
            raise NotFoundException() from None
        except JudgingError:
            return Redirect(path=f"/integrity/runs/{run_id}")
        db.rollback()  # hold no transaction (on SQLite, a write lock) while the job starts
        job_id = start_job(request.app.state.session_factory, kind=INTEGRITY_JOB, by=request_actor(request),
                           database_url=request.app.state.settings.database_url, params={"run_id": run_id})
        return Redirect(path=f"/jobs/{job_id}")

    @get("/reports/{report_id:int}", guards=[requires(permissions.REPORT)], sync_to_thread=True)
    def download(self, request: Request, db: DbSession, report_id: FromPath[int]) -> Response:
        try:
            document = documents.get_document(db, report_id)
        except NotFound:
            raise NotFoundException() from None
        if document.subject_type != report.SUBJECT:
            raise NotFoundException()
        return documents.pdf_response(document)

    @get("/experts/{expert_id:int}/record", sync_to_thread=True)
    def record(self, request: Request, db: DbSession, expert_id: FromPath[int]) -> Template:
        try:
            found = records.expert_record(db, expert_id)
        except NotFound:
            raise NotFoundException() from None
        return render(request, "fragments/expert_record.html", record=found)

    @post("/experts/{expert_id:int}/notes", guards=[requires(permissions.NOTE_ADD)], sync_to_thread=True)
    def add_note(self, request: Request, db: DbSession, expert_id: FromPath[int], data: FormData) -> Redirect:
        target = f"/organizer/panels/experts/{expert_id}"
        try:
            records.add_note(db, expert_id=expert_id, text=form_text(data, "text"), by=request_actor(request))
            db.commit()
        except NotFound:
            raise NotFoundException() from None
        except JudgingError as exc:
            db.rollback()
            return Redirect(path=target, query_params=error_query(exc))
        return Redirect(path=target, query_params={"notice": "saved"})


def _round_category(db, round_id: int, category_id: int) -> tuple[Round, Category]:
    round_, category = db.get(Round, round_id), db.get(Category, category_id)
    if round_ is None or category is None or category.edition_id != round_.edition_id:
        raise NotFoundException()
    return round_, category


class DrawController(Controller):
    path = "/integrity/draws"
    guards = [requires(permissions.DRAW_VIEW)]

    def _page(self, request, db, round_id, category_id, *, error=None, shortfall=(), spec_text="",
              status_code=200) -> Template:
        round_, category = _round_category(db, round_id, category_id)
        found = draws.draws_of(db, round_id=round_id, category_id=category_id)
        drawn_ids = {e for d in found for ids in d.drawn.values() for e in ids}
        names = dict(db.execute(select(Expert.id, Expert.name).where(Expert.id.in_(drawn_ids or {0}))).all())
        people = {d.created_by_id for d in found} | {d.confirmed_by_id for d in found}
        users = dict(db.execute(select(User.id, User.display_name).where(User.id.in_(people - {None} or {0}))).all())
        return render(request, "pages/integrity_draws.html", round=round_, category=category, draws=found,
                      names=names, users=users, error=error or url_error(request),
                      shortfall=shortfall, spec_text=spec_text, status_code=status_code,
                      role=current_user(request).role.value, status_labels=draws.STATUS_LABELS,
                      excluded_labels=draws.EXCLUDED_LABELS)

    @get("/", sync_to_thread=True)
    def index(self, request: Request, db: DbSession) -> Template:
        """The latest draws of every category, pending first: where the supervisor finds what to confirm."""
        rows = db.execute(select(draws.ExpertDraw, Round.name, Category.name, User.display_name)
                          .join(Round, Round.id == draws.ExpertDraw.round_id)
                          .join(Category, Category.id == draws.ExpertDraw.category_id)
                          .outerjoin(User, User.id == draws.ExpertDraw.created_by_id)
                          .order_by((draws.ExpertDraw.status == draws.DrawStatus.PENDING).desc(),
                                    draws.ExpertDraw.id.desc()).limit(200)).all()
        return render(request, "pages/integrity_draws_index.html", rows=rows, status_labels=draws.STATUS_LABELS)

    @get("/rounds/{round_id:int}/categories/{category_id:int}", sync_to_thread=True)
    def page(self, request: Request, db: DbSession, round_id: FromPath[int], category_id: FromPath[int]) -> Template:
        return self._page(request, db, round_id, category_id)

    @post("/rounds/{round_id:int}/categories/{category_id:int}", guards=[requires(permissions.DRAW)], sync_to_thread=True)
    def draw(self, request: Request, db: DbSession, round_id: FromPath[int], category_id: FromPath[int],
             data: FormData) -> Template | Redirect:
        _round_category(db, round_id, category_id)
        try:
            spec = draws.parse_spec(form_text(data, "spec"))
            exclude_flagged = form_text(data, "exclude_flagged") == "1"
            min_completion = form_int(data, "min_completion", 0)
            exclude = records.pool_exclusions(db, exclude_flagged=exclude_flagged,
                                              min_completion=min_completion / 100 if min_completion else None)
            draws.draw_experts(db, round_id=round_id, category_id=category_id, spec=spec, by=request_actor(request),
                               exclude=exclude, options={"exclude_flagged": exclude_flagged,
                                                         "min_completion": min_completion})
            db.commit()
        except JudgingError as exc:
            db.rollback()
            # the page again with what was typed, and a shortfall's figures per specialty as a table
            return self._page(request, db, round_id, category_id, error=error_text(request, exc),
                              shortfall=getattr(exc, "shortfall", ()), spec_text=form_text(data, "spec"),
                              status_code=error_status(exc))
        return Redirect(path=f"/integrity/draws/rounds/{round_id}/categories/{category_id}")

    @post("/{draw_id:int}/redraw", guards=[requires(permissions.DRAW)], sync_to_thread=True)
    def redraw(self, request: Request, db: DbSession, draw_id: FromPath[int], data: FormData) -> Template | Redirect:
        return self._act(request, db, draw_id, lambda d: draws.redraw(
            db, draw_id=d.id, reason=form_text(data, "reason"), by=request_actor(request),
            exclude=records.pool_exclusions(
                db, exclude_flagged=bool(d.options.get("exclude_flagged")),
                min_completion=(d.options.get("min_completion") or 0) / 100 or None)))

    @post("/{draw_id:int}/confirm", guards=[requires(permissions.DRAW_CONFIRM)], sync_to_thread=True)
    def confirm(self, request: Request, db: DbSession, draw_id: FromPath[int]) -> Template | Redirect:
        return self._act(request, db, draw_id, lambda d: draws.confirm_draw(db, draw_id=d.id,
                                                                            by=request_actor(request)))

    def _act(self, request, db, draw_id, action) -> Template | Redirect:
        try:
            found = draws.get_draw(db, draw_id)
        except NotFound:
            raise NotFoundException() from None
        target = f"/integrity/draws/rounds/{found.round_id}/categories/{found.category_id}"
        try:
            action(found)
            db.commit()
        except JudgingError as exc:
            db.rollback()
            # the page itself, so that the refusal keeps its details (a redirect carries only message ids)
            return self._page(request, db, found.round_id, found.category_id, error=error_text(request, exc),
                              status_code=error_status(exc))
        return Redirect(path=target)
