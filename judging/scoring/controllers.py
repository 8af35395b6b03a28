"""The judge's pages (queue, undertaking, scoring sheet) and the organizer's running of a round.

Thin handlers: read the request, call one service function, commit, answer. Autosave answers JSON
to ``scoring.js`` (``Accept: application/json``); the same routes answer HTML to a plain form post,
so every page also works without JavaScript.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from judging import audit
from judging.db.base import utcnow
from judging.editions.models import Edition, Round
from judging.panels.models import Assignment, Expert
from judging.scoring.models import ScoreSheet
from judging.editions import service as editions
from judging.editions.service import current_edition_or_none
from judging.errors import N_, Conflict, FieldsInvalid, JudgingError, NotFound
from judging.tabular import CSV_TYPE, csv_bytes
from judging.jobs import start_job
from judging.nominations.models import Nomination
from judging.panels.controllers import swap_page
from judging.panels.jobs import start_refill
from judging.nominations.storage import AttachmentStore
from judging.scoring import files, handles, progress as progress_of, roster, rubrics, service
from judging.scoring.rules import (
    FAMILIARITY_LABELS, SheetInvalid, band_of, field_name, opinion_length, plain, weighted_total,
)
from judging.web.auth import current_user
from judging.accounts.permissions import can
from judging.web.guards import loaded, requires
from judging.scoring import permissions
from judging.web.rendering import DbSession, error_text, gettext_for, render
from judging.web.forms import error_status, form_int, form_text, needs_confirmation, request_actor
from judging.web.safety import error_query, safe_target, url_error

logger = logging.getLogger(__name__)
FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
load_assignment = loaded(Assignment, "assignment_id")


def load_by_handle(session, params) -> Assignment | None:
    """The assignment a judge's URL names by its random handle (whose it is, the permission asks: its expert
    comes along)."""
    return session.scalar(select(Assignment).options(joinedload(Assignment.expert))
                          .where(Assignment.handle == params["handle"][:32]))


def _wants_json(request: Request) -> bool:
    return request.headers.get("accept", "").startswith("application/json")


def _zone(request: Request) -> ZoneInfo:
    return ZoneInfo(request.app.state.settings.timezone)


def _status(error: JudgingError) -> int:
    return 422 if isinstance(error, FieldsInvalid) else error_status(error)


def _kind(error: JudgingError) -> str:
    if isinstance(error, SheetInvalid):
        return "invalid"
    if isinstance(error, service.DeadlinePassed):
        return "locked"
    if isinstance(error, Conflict):
        return "stale" if "version" in error.params or "current" in error.params else "conflict"
    return "refused"


def _version(data: dict[str, Any]) -> int:
    raw = data.get("version")
    if isinstance(raw, list):
        raw = raw[-1] if raw else ""
    try:
        return int(str(raw))
    except ValueError:
        raise JudgingError(N_("The form is incomplete: reload the page.")) from None


def _edition(db) -> Edition | None:
    return current_edition_or_none(db)


# ------------------------------------------------------------------------------------------ judge

class JudgeController(Controller):
    path = "/judge"
    guards = [requires(permissions.JUDGE_HOME)]

    @get("/", sync_to_thread=True)
    def home(self, request: Request, db: DbSession, notice: FromQuery[str | None] = None) -> Template:
        judge = current_user(request)
        edition = _edition(db)
        if edition is not None and not service.has_accepted_undertaking(db, judge=judge, edition=edition):
            return render(request, "pages/judge_undertaking.html", edition=edition,
                          text=service.undertaking_text(edition), default_text=service.DEFAULT_UNDERTAKING,
                          next=safe_target(request.query_params.get("next")))
        return render(request, "pages/judge_home.html", queue=service.judge_queue(db, judge=judge),
                      notice=notice if notice in {"conflict", "submitted"} else None)

    @post("/undertaking", sync_to_thread=True)
    def accept_undertaking(self, request: Request, db: DbSession, data: FormData) -> Redirect:
        edition = _edition(db)
        if edition is None:
            raise NotFoundException()
        if data.get("accept") == "yes":
            service.accept_undertaking(db, judge=current_user(request), edition=edition)
            db.commit()
        # Back to the page the judge opened first (a link in an e-mail), if it is ours.
        return Redirect(path=safe_target(form_text(data, "next")) or "/judge")

    def _context(self, request: Request, db, assignment_id: int) -> service.SheetContext:
        try:
            ctx = service.sheet_context(db, judge=current_user(request), assignment_id=assignment_id)
        except NotFound:
            raise NotFoundException() from None
        return ctx

    def _page(self, request: Request, ctx: service.SheetContext, *, status_code: int = 200,
              posted: dict[str, Any] | None = None, error: JudgingError | None = None,
              template: str = "pages/judge_sheet.html") -> Template:
        gettext = gettext_for(request)
        stored = ctx.values()
        if posted is not None:
            shown = {field_name(c.id): _text(posted.get(field_name(c.id))) for c in ctx.criteria}
            comment, familiarity = _text(posted.get("comment")), _text(posted.get("familiarity"))
        else:
            shown = {field_name(c.id): plain(stored[c.id]) if stored[c.id] is not None else "" for c in ctx.criteria}
            comment = ctx.sheet.comment if ctx.sheet else ""
            familiarity = (ctx.sheet.familiarity if ctx.sheet else None) or ""
        field_errors = {name: e.render(gettext) for name, e in error.fields.items()} \
            if isinstance(error, SheetInvalid) else {}
        return render(request, template, status_code=status_code, ctx=ctx, criteria=ctx.criteria, shown=shown,
                      comment=comment, familiarity=familiarity, familiarity_labels=FAMILIARITY_LABELS,
                      total=weighted_total(ctx.criteria, stored), field_errors=field_errors,
                      form_error=error.render(gettext) if error else None,
                      error_kind=_kind(error) if error else None, locked=ctx.locked_reason(utcnow()),
                      field_name=field_name, plain=plain, band_of=band_of, opinion_length=opinion_length,
                      number=_number)

    def _gate(self, request: Request, db) -> None:
        edition = _edition(db)
        if edition is not None and not service.has_accepted_undertaking(db, judge=current_user(request),
                                                                         edition=edition):
            raise _UndertakingFirst()

    @get("/sheets/{handle:str}", sync_to_thread=True, guards=[requires(permissions.SHEET_VIEW, load=load_by_handle)])
    def sheet(self, request: Request, db: DbSession, handle: FromPath[str]) -> Template | Redirect:
        try:
            self._gate(request, db)
        except _UndertakingFirst:
            return Redirect(path="/judge", query_params={"next": request.url.path})
        return self._page(request, self._context(request, db, _assignment(request, db, handle)))

    @post("/sheets/{handle:str}/draft", sync_to_thread=True,
          guards=[requires(permissions.SHEET_SAVE, load=load_by_handle)])
    def save_draft(self, request: Request, db: DbSession, handle: FromPath[str],
                   data: FormData) -> Response | Template | Redirect:
        judge = current_user(request)
        assignment_id = _assignment(request, db, handle)
        try:
            ctx = service.save_draft(db, judge=judge, assignment_id=assignment_id, data=data, version=_version(data))
            db.commit()
        except JudgingError as error:
            db.rollback()
            return self._refusal(request, db, assignment_id, error, data)
        if _wants_json(request):
            return Response(content=self._saved(request, ctx), status_code=200)
        return Redirect(path=f"/judge/sheets/{handle}")

    def _saved(self, request: Request, ctx: service.SheetContext) -> dict[str, Any]:
        gettext = gettext_for(request)
        at = ctx.sheet.updated_at.astimezone(_zone(request)).strftime("%H:%M:%S")
        return {"version": ctx.version, "saved_at": at, "message": gettext("Saved at {time}").format(time=at),
                "total": str(weighted_total(ctx.criteria, ctx.values()))}

    def _refusal(self, request: Request, db, assignment_id: int, error: JudgingError,
                 data: dict[str, Any]) -> Response | Template:
        status = _status(error)
        gettext = gettext_for(request)
        if _wants_json(request) or status == 404:
            if status == 404 and not _wants_json(request):
                raise NotFoundException()
            body: dict[str, Any] = {"error": error.render(gettext), "kind": _kind(error)}
            if isinstance(error, SheetInvalid):
                body["fields"] = {name: e.render(gettext) for name, e in error.fields.items()}
            return Response(content=body, status_code=status)
        try:
            ctx = service.sheet_context(db, judge=current_user(request), assignment_id=assignment_id)
        except NotFound:
            raise NotFoundException() from None
        return self._page(request, ctx, status_code=status, posted=data, error=error)

    @post("/sheets/{handle:str}/submit", sync_to_thread=True,
          guards=[requires(permissions.SHEET_SAVE, load=load_by_handle)])
    def review(self, request: Request, db: DbSession, handle: FromPath[str],
               data: FormData) -> Template | Response:
        """Step one of submitting: store the posted values as the draft, check completeness, and show
        the sheet for confirmation."""
        judge = current_user(request)
        assignment_id = _assignment(request, db, handle)
        try:
            ctx = service.save_draft(db, judge=judge, assignment_id=assignment_id, data=data, version=_version(data))
            db.commit()
        except JudgingError as error:
            db.rollback()
            return self._refusal(request, db, assignment_id, error, data)
        ctx = self._context(request, db, assignment_id)  # with the nomination, for the page
        try:
            service.check_complete(ctx.criteria, ctx.values(), comment=ctx.sheet.comment,
                                   familiarity=ctx.sheet.familiarity,
                                   opinion_min_length=ctx.rubric.opinion_min_length)
        except SheetInvalid as error:
            return self._page(request, ctx, status_code=422, error=error)
        return self._page(request, ctx, template="pages/judge_sheet_confirm.html")

    @post("/sheets/{handle:str}/confirm", sync_to_thread=True,
          guards=[requires(permissions.SHEET_SAVE, load=load_by_handle)])
    def confirm(self, request: Request, db: DbSession, handle: FromPath[str],
                data: FormData) -> Template | Response | Redirect:
        assignment_id = _assignment(request, db, handle)
        try:
            service.submit_sheet(db, judge=current_user(request), assignment_id=assignment_id,
                                 version=_version(data))
            db.commit()
        except JudgingError as error:
            db.rollback()
            return self._refusal(request, db, assignment_id, error, {})
        return Redirect(path=f"/judge/sheets/{handle}")

    @post("/sheets/{handle:str}/conflict", sync_to_thread=True,
          guards=[requires(permissions.DECLARE_CONFLICT, load=load_by_handle)])
    def declare_conflict(self, request: Request, db: DbSession, handle: FromPath[str],
                         data: FormData) -> Template | Response | Redirect:
        assignment_id = _assignment(request, db, handle)
        if page := needs_confirmation(
                request, data, title=N_("Declare a conflict of interest?"), button=N_("Declare the conflict"),
                back=f"/judge/sheets/{handle}",
                consequence=N_("This item leaves your list for good and goes to another judge; your draft for it, "
                               "if any, is not counted.")):
            return page
        try:
            assignment = service.declare_conflict(db, judge=current_user(request), assignment_id=assignment_id,
                                                  reason=_text(data.get("reason")))
            round_id = assignment.round_id
            db.commit()
        except JudgingError as error:
            db.rollback()
            return self._refusal(request, db, assignment_id, error, {})
        _start_refill(request, round_id)
        return Redirect(path="/judge", query_params={"notice": "conflict"})


def _assignment(request: Request, db, handle: str) -> int:
    """The judge's own assignment behind `handle` (404 for any other): the one the route's permission found
    the judge's, when a guard asked one."""
    kind, guarded_id = getattr(request.state, "guarded", (None, None))
    if kind is Assignment and guarded_id is not None:
        return guarded_id
    try:
        return handles.assignment_id_for(db, judge=current_user(request), handle=handle)
    except NotFound:
        raise NotFoundException() from None


def _start_refill(request: Request, round_id: int) -> None:
    """Queue the panels part's refill so another expert takes the declared item.

    Started by the system, not the judge: the job's page and result name the new expert, which
    the judge must not see. The declaration is already committed; if the job cannot be queued
    the organizer refills from the panels page (the gap shows there).
    """
    state = request.app.state
    try:
        start_refill(state.session_factory, round_id=round_id, database_url=state.settings.database_url,
                     by=audit.Actor.system())
    except Exception:  # noqa: BLE001 - the judge's declaration stands whatever happens to the job
        logger.exception("could not queue the refill of round %s after a declared conflict", round_id)


def _number(text: str) -> Decimal | None:
    """A shown field's value as a number for the page (which band it falls in), None when it is none."""
    try:
        value = Decimal(text.strip().replace("，", ".").replace(",", "."))
    except (InvalidOperation, AttributeError):
        return None
    return value if value.is_finite() else None


class _UndertakingFirst(Exception):
    pass


def _text(value: Any) -> str:
    if isinstance(value, list):
        value = value[-1] if value else ""
    return value if isinstance(value, str) else ""


# -------------------------------------------------------------------------------------- organizer

class RoundController(Controller):
    """The organizer runs a round: opens and closes it, watches progress, reopens, extends."""

    path = "/organizer"
    guards = [requires(permissions.ROUNDS_VIEW)]

    def _round(self, db, round_id: int) -> Round:
        try:
            return editions.get_round(db, round_id=round_id)
        except NotFound:
            raise NotFoundException() from None

    @get("/rounds", sync_to_thread=True)
    def rounds(self, request: Request, db: DbSession) -> Template:
        edition = _edition(db)
        return render(request, "pages/organizer_rounds.html", edition=edition,
                      rounds=edition.rounds if edition else [],
                      undertaking=service.undertaking_text(edition) if edition else None,
                      default_text=service.DEFAULT_UNDERTAKING)

    @get("/rounds/{round_id:int}", sync_to_thread=True)
    def dashboard(self, request: Request, db: DbSession, round_id: FromPath[int]) -> Template:
        round_ = self._round(db, round_id)
        progress = progress_of.round_progress(db, round_=round_)
        template = "fragments/round_progress.html" if request.headers.get("hx-request") == "true" \
            else "pages/organizer_round.html"
        return render(request, template, round=round_, progress=progress, now=utcnow(),
                      error=url_error(request))

    @post("/rounds/{round_id:int}/status", sync_to_thread=True, guards=[requires(permissions.ROUND_STATUS)])
    def set_status(self, request: Request, db: DbSession, round_id: FromPath[int], data: FormData) -> Response:
        round_ = self._round(db, round_id)
        if _text(data.get("action")) == "close" and (page := needs_confirmation(
                request, data, title=N_("Close round {name}?"), button=N_("Close the round"), name=round_.name,
                back=f"/organizer/rounds/{round_id}",
                consequence=N_("Judges can no longer save or submit in this round, except those given an "
                               "extension."))):
            return page
        try:
            if _text(data.get("action")) == "open":
                editions.open_round(db, round_=round_, by=request_actor(request))
            elif _text(data.get("action")) == "close":
                editions.close_round(db, round_=round_, by=request_actor(request))
            else:
                raise JudgingError(N_("Unknown action."))
            db.commit()
        except JudgingError as error:
            db.rollback()
            return self._error_page(request, error, back=f"/organizer/rounds/{round_id}")
        return Redirect(path=f"/organizer/rounds/{round_id}")

    def _error_page(self, request: Request, error: JudgingError, *, back: str) -> Template:
        return render(request, "pages/refused.html", status_code=_status(error),
                      message=error.render(gettext_for(request)), back=back)

    @get("/rounds/{round_id:int}/behind.csv", sync_to_thread=True)
    def behind_csv(self, request: Request, db: DbSession, round_id: FromPath[int]) -> Response:
        round_ = self._round(db, round_id)
        progress = progress_of.round_progress(db, round_=round_)
        gettext, zone = gettext_for(request), _zone(request)
        rows = [[gettext(h) for h in (N_("Username"), N_("Name"), N_("Email"), N_("Phone"), N_("Assigned"),
                                              N_("Not started"), N_("Drafts"), N_("Submitted"), N_("Overdue"),
                                              N_("Deadline"))]]
        for judge in progress.behind:
            rows.append([judge.username, judge.expert.name, judge.expert.email, judge.expert.phone, judge.assigned,
                         judge.not_started, judge.draft, judge.submitted, judge.overdue,
                         judge.deadline.astimezone(zone).strftime("%Y-%m-%d %H:%M") if judge.deadline else ""])
        return Response(content=csv_bytes(rows), media_type=CSV_TYPE,
                        headers={"content-disposition": f'attachment; filename="round-{round_id}-behind.csv"'})

    @get("/rounds/{round_id:int}/judges/{expert_id:int}", sync_to_thread=True)
    def judge_detail(self, request: Request, db: DbSession, round_id: FromPath[int], expert_id: FromPath[int],
                     ) -> Template:
        round_ = self._round(db, round_id)
        return self._judge_page(request, db, round_, expert_id)

    def _judge_page(self, request: Request, db, round_: Round, expert_id: int, *, status_code: int = 200,
                    error: str | None = None, form: dict[str, Any] | None = None) -> Template:
        expert = db.get(Expert, expert_id)
        if expert is None:
            raise NotFoundException()
        rows = progress_of.judge_round_sheets(db, round_=round_, expert_id=expert_id)
        histories = progress_of.sheet_histories(db, [r.sheet.id for r in rows if r.sheet]) \
            if can(current_user(request), permissions.SHEET_HISTORY) else {}
        return render(request, "pages/organizer_round_judge.html", status_code=status_code, round=round_,
                      expert=expert, rows=rows, histories=histories, extension=progress_of.round_extension(db, round_=round_,
                                                                                   expert_id=expert_id),
                      deadline=service.effective_deadline(db, round_=round_, expert_id=expert_id),
                      error=error, form=form or {})

    @post("/sheets/{sheet_id:int}/reopen", sync_to_thread=True,
          guards=[requires(permissions.REOPEN_SHEET, load=loaded(ScoreSheet, "sheet_id"))])
    def reopen(self, request: Request, db: DbSession, sheet_id: FromPath[int], data: FormData) -> Response:
        sheet = db.get(ScoreSheet, sheet_id)
        if sheet is None:
            raise NotFoundException()
        assignment = db.get(Assignment, sheet.assignment_id)
        try:
            service.reopen_sheet(db, sheet_id=sheet_id, by=request_actor(request), reason=_text(data.get("reason")))
            db.commit()
        except JudgingError as error:
            db.rollback()
            round_ = self._round(db, assignment.round_id)
            return self._judge_page(request, db, round_, assignment.expert_id, status_code=_status(error),
                                    error=error.render(gettext_for(request)), form={"sheet_id": sheet_id, **data})
        return Redirect(path=f"/organizer/rounds/{assignment.round_id}/judges/{assignment.expert_id}")

    @post("/rounds/{round_id:int}/judges/{expert_id:int}/extension", sync_to_thread=True,
          guards=[requires(permissions.EXTENSION)])
    def extend(self, request: Request, db: DbSession, round_id: FromPath[int], expert_id: FromPath[int],
               data: FormData) -> Response:
        round_ = self._round(db, round_id)
        try:
            until = _local_datetime(_text(data.get("until")), _zone(request))
            service.extend_deadline(db, round_=round_, expert_id=expert_id, until=until,
                                    reason=_text(data.get("reason")), by=request_actor(request))
            db.commit()
        except NotFound:
            raise NotFoundException() from None
        except JudgingError as error:
            db.rollback()
            return self._judge_page(request, db, round_, expert_id, status_code=_status(error),
                                    error=error.render(gettext_for(request)), form=dict(data))
        return Redirect(path=f"/organizer/rounds/{round_id}/judges/{expert_id}")

    @post("/undertaking", sync_to_thread=True, guards=[requires(permissions.UNDERTAKING)])
    def set_undertaking(self, request: Request, db: DbSession, data: FormData) -> Response:
        edition = _edition(db)
        if edition is None:
            raise NotFoundException()
        try:
            service.set_undertaking_text(db, edition=edition, text=_text(data.get("text")), by=request_actor(request))
            db.commit()
        except JudgingError as error:
            db.rollback()
            return self._error_page(request, error, back="/organizer/rounds")
        return Redirect(path="/organizer/rounds")


def _local_datetime(text: str, zone: ZoneInfo) -> dt.datetime:
    """A ``datetime-local`` field (the competition's time zone) as an aware UTC datetime."""
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise JudgingError(N_("Enter a date and time.")) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(dt.UTC)


# ---------------------------------------------------------------------------------------- rubrics

class RubricController(Controller):
    """The organizer views and edits a category's rubric; refused once the category has scores."""

    path = "/organizer/rubrics"
    guards = [requires(permissions.RUBRIC_VIEW)]

    def _page(self, request: Request, db, category_id: int, *, fields: dict[str, Any] | None = None,
              error: JudgingError | None = None, status_code: int = 200, saved: bool = False) -> Template:
        try:
            category, rubric = rubrics.category_rubric(db, category_id=category_id)
        except NotFound:
            raise NotFoundException() from None
        gettext = gettext_for(request)
        values = fields if fields is not None else rubrics.page_fields(rubrics.spec_of(rubric))
        field_errors = {name: e.render(gettext) for name, e in error.fields.items()} \
            if isinstance(error, FieldsInvalid) else {}
        return render(request, "pages/organizer_rubric.html", status_code=status_code, category=category,
                      locked=rubrics.scores_given(db, category=category), values=values,
                      layout=rubrics.page_layout(values), field_errors=field_errors,
                      summary=rubrics.error_summary(values, field_errors, gettext),
                      form_error=error.render(gettext) if error else None, saved=saved, text=_text,
                      kinds=rubrics.SCALE_LABELS, criterion_field=rubrics.criterion_field,
                      band_field=rubrics.band_field, grade_field=rubrics.grade_field)

    @get("/{category_id:int}", sync_to_thread=True)
    def show(self, request: Request, db: DbSession, category_id: FromPath[int],
             saved: FromQuery[bool] = False) -> Template:
        return self._page(request, db, category_id, saved=saved)

    @post("/{category_id:int}", sync_to_thread=True, guards=[requires(permissions.RUBRIC_EDIT)])
    def save(self, request: Request, db: DbSession, category_id: FromPath[int], data: FormData) -> Response:
        try:
            spec = rubrics.read_rubric_form(data)
            rubrics.update_rubric(db, category_id=category_id, spec=spec, by=request_actor(request))
            db.commit()
        except NotFound:
            raise NotFoundException() from None
        except JudgingError as error:
            db.rollback()
            return self._page(request, db, category_id, fields=dict(data), error=error, status_code=_status(error))
        return Redirect(path=f"/organizer/rubrics/{category_id}", query_params={"saved": "1"})


class RosterController(Controller):
    """An expert drops out of a round, or one assignment goes to another expert (the panels pages' forms
    post here: whether it may happen is scoring's rule, a submitted sheet stands)."""

    path = "/organizer/panels"
    guards = [requires(permissions.ROSTER_VIEW)]

    @post("/rounds/{round_id:int}/experts/{expert_id:int}/drop", sync_to_thread=True,
          guards=[requires(permissions.DROP_EXPERT)])
    def drop_out(self, request: Request, db: DbSession, round_id: FromPath[int], expert_id: FromPath[int],
                 data: FormData) -> Response:
        if page := needs_confirmation(
                request, data, title=N_("Withdraw this expert from the round?"), button=N_("Withdraw the expert"),
                back=f"/organizer/panels/experts/{expert_id}",
                consequence=N_("Every assignment of this expert in the round without a submitted sheet is withdrawn "
                               "and given to other judges; submitted sheets stand.")):
            return page
        try:
            roster.withdraw_expert(db, round_id=round_id, expert_id=expert_id, reason=form_text(data, "reason"),
                                    by=request_actor(request))
            db.commit()
        except JudgingError as exc:
            db.rollback()
            if isinstance(exc, NotFound):
                raise NotFoundException() from None
            return Redirect(path=f"/organizer/panels/experts/{expert_id}", query_params=error_query(exc))
        db.rollback()  # hold no transaction (on SQLite, a write lock) while the job starts
        job_id = start_job(request.app.state.session_factory, kind="panels.refill", by=request_actor(request),
                           database_url=request.app.state.settings.database_url,
                           params={"round_id": round_id, "category_id": None})
        return Redirect(path=f"/jobs/{job_id}")

    @get("/assignments/{assignment_id:int}/swap", sync_to_thread=True)
    def swap_form(self, request: Request, db: DbSession, assignment_id: FromPath[int]) -> Template:
        return swap_page(request, db, assignment_id, error=url_error(request))

    @post("/assignments/{assignment_id:int}/swap", sync_to_thread=True,
          guards=[requires(permissions.ROSTER, load=load_assignment)])
    def swap(self, request: Request, db: DbSession, assignment_id: FromPath[int], data: FormData) -> Template | Redirect:
        try:
            new = roster.swap_expert(db, assignment_id=assignment_id, expert_id=form_int(data, "expert_id"),
                                      reason=form_text(data, "reason"), by=request_actor(request))
            nomination = db.get(Nomination, new.nomination_id)
            target = f"/organizer/panels/rounds/{new.round_id}/categories/{nomination.category_id}"
            db.commit()
        except JudgingError as exc:
            db.rollback()
            if isinstance(exc, NotFound) and db.get(Assignment, assignment_id) is None:
                raise NotFoundException() from None
            return swap_page(request, db, assignment_id, error=error_text(request, exc),
                                   status_code=error_status(exc))
        return Redirect(path=target, query_params={"notice": "swapped"})


class JudgeAttachmentController(Controller):
    """A judge downloads an attachment of an own assignment, named ``<code>-<n>.<ext>`` and nothing else."""

    path = "/judge/attachments"
    guards = [requires(permissions.SHEET_VIEW, load=load_by_handle)]

    @get("/{handle:str}/{name:str}", sync_to_thread=True)
    def download(self, request: Request, db: DbSession, handle: FromPath[str], name: FromPath[str]) -> Response:
        try:
            found = files.judge_attachment(db, judge=current_user(request),
                                           assignment_id=_assignment(request, db, handle), name=name,
                                           store=AttachmentStore(request.app.state.settings.var_dir))
        except NotFound:
            raise NotFoundException() from None
        return Response(content=found.data, media_type=found.media_type,
                        headers={"content-disposition": f'attachment; filename="{found.filename}"',
                                 "cache-control": "no-store"})
