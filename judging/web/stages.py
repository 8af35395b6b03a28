"""The pipeline page of an edition: every category's stages, their dates, and the organizer's buttons.

Organizers open, close, skip (with a reason) and schedule stages through ``judging.stages.service``;
a refusal (including what blocks a stage from closing) is shown on the page. Auditors read it.
It is a page of the web layer because it shows what several parts own (stages, formal review's counts).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath
from litestar.response import Template

from judging.accounts.models import Role
from judging.editions.models import Category, Edition
from judging.editions.service import current_edition
from judging.errors import N_, JudgingError, NotFound
from judging.formal_review.service import state_counts
from judging.stages import permissions, service
from judging.stages.models import STAGE_LABELS, StageKind
from judging.web.auth import current_user
from judging.web.guards import requires
from judging.web.forms import commit_or_refuse, form_text, needs_confirmation, request_actor
from judging.web.rendering import DbSession, gettext_for, render

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


def _date(text: str, refusal: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise JudgingError(refusal) from None


def stages_page(request: Request, db, edition: Edition, *, error: str | None = None,
                status_code: int = 200) -> Template:
    pipelines = service.pipeline(db, edition=edition)
    formal = {p.category.id: state_counts(db, category=p.category) for p in pipelines}
    return render(request, "pages/stages.html", edition=edition, pipelines=pipelines, formal=formal,
                  skippable=service.SKIPPABLE, readonly=current_user(request).role is not Role.ORGANIZER,
                  notice=request.query_params.get("notice"), error=error, status_code=status_code)


class StagesController(Controller):
    """``/organizer/editions/{id}/stages`` (organizer and auditor) and the organizer's stage actions."""

    path = "/organizer"
    guards = [requires(permissions.VIEW)]

    @get("/stages", sync_to_thread=True)
    def current(self, request: Request, db: DbSession) -> Template:
        try:
            edition = current_edition(db)
        except NotFound:
            raise NotFoundException() from None
        return stages_page(request, db, edition)

    @get("/editions/{edition_id:int}/stages", sync_to_thread=True)
    def index(self, request: Request, db: DbSession, edition_id: FromPath[int]) -> Template:
        edition = db.get(Edition, edition_id)
        if edition is None:
            raise NotFoundException()
        return stages_page(request, db, edition)

    def _act(self, request: Request, db, category_id: int, kind: str, action) -> Response:
        category = db.get(Category, category_id)
        if category is None or kind not in {k.value for k in StageKind}:
            raise NotFoundException()
        edition_id = category.edition_id
        return commit_or_refuse(
            request, db, lambda: action(category, StageKind(kind)), then=f"/organizer/editions/{edition_id}/stages",
            refused=lambda error, status: stages_page(request, db, db.get(Edition, edition_id), error=error,
                                                      status_code=status))

    def _confirm(self, request: Request, db, data: dict[str, Any], category_id: int, kind: str, *, title: str,
                 consequence: str, button: str) -> Response | None:
        category = db.get(Category, category_id)
        if category is None or kind not in {k.value for k in StageKind}:
            raise NotFoundException()
        _ = gettext_for(request)
        return needs_confirmation(request, data, title=title, consequence=consequence, button=button,
                                  back=f"/organizer/editions/{category.edition_id}/stages",
                                  stage=_(STAGE_LABELS[StageKind(kind)]), category=category.name)

    @post("/stages/{category_id:int}/{kind:str}/open", sync_to_thread=True, guards=[requires(permissions.OPEN)])
    def open(self, request: Request, db: DbSession, category_id: FromPath[int], kind: FromPath[str]) -> Response:
        return self._act(request, db, category_id, kind, lambda category, stage: service.open_stage(
            db, category_id=category.id, kind=stage, by=request_actor(request)))

    @post("/stages/{category_id:int}/{kind:str}/close", sync_to_thread=True, guards=[requires(permissions.CLOSE)])
    def close(self, request: Request, db: DbSession, category_id: FromPath[int], kind: FromPath[str],
              data: FormData) -> Response:
        if page := self._confirm(request, db, data, category_id, kind, title=N_("Close {stage} of {category}?"),
                                 button=N_("Close the stage"),
                                 consequence=N_("The work of {stage} ends for {category} and the next stage may open; "
                                                "reopening it later needs a reason and is recorded.")):
            return page
        return self._act(request, db, category_id, kind, lambda category, stage: service.close_stage(
            db, category_id=category.id, kind=stage, by=request_actor(request)))

    @post("/stages/{category_id:int}/{kind:str}/skip", sync_to_thread=True, guards=[requires(permissions.SKIP)])
    def skip(self, request: Request, db: DbSession, category_id: FromPath[int], kind: FromPath[str],
             data: FormData) -> Response:
        if page := self._confirm(request, db, data, category_id, kind, title=N_("Skip {stage} of {category}?"),
                                 button=N_("Skip the stage"),
                                 consequence=N_("{category} goes without {stage}; a skipped stage is not opened later.")):
            return page
        return self._act(request, db, category_id, kind, lambda category, stage: service.skip_stage(
            db, category_id=category.id, kind=stage, reason=form_text(data, "reason"), by=request_actor(request)))

    @post("/stages/{category_id:int}/{kind:str}/reopen", sync_to_thread=True, guards=[requires(permissions.REOPEN)])
    def reopen(self, request: Request, db: DbSession, category_id: FromPath[int], kind: FromPath[str],
               data: FormData) -> Response:
        if page := self._confirm(request, db, data, category_id, kind, title=N_("Reopen {stage} of {category}?"),
                                 button=N_("Reopen the stage"),
                                 consequence=N_("{stage} is open again for {category}, with your reason recorded; "
                                                "it must close again before the next stage opens.")):
            return page
        return self._act(request, db, category_id, kind, lambda category, stage: service.reopen_stage(
            db, category_id=category.id, kind=stage, reason=form_text(data, "reason"), by=request_actor(request)))

    @post("/stages/{category_id:int}/{kind:str}/schedule", sync_to_thread=True, guards=[requires(permissions.SCHEDULE)])
    def schedule(self, request: Request, db: DbSession, category_id: FromPath[int], kind: FromPath[str],
                 data: FormData) -> Response:
        def action(category: Category, stage: StageKind) -> None:
            service.schedule_stage(db, category_id=category.id, kind=stage,
                                   start=_date(form_text(data, "start"), N_("The planned start must be a date (YYYY-MM-DD).")),
                                   end=_date(form_text(data, "end"), N_("The planned end must be a date (YYYY-MM-DD).")),
                                   by=request_actor(request))
        return self._act(request, db, category_id, kind, action)
