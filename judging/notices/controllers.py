"""Pages of the public notice: the organizer's (and auditor's) page per edition, and the public pages
where anyone reads a notice, downloads it as PDF/XLSX and files an objection.

Thin handlers: read the form, call one service function, commit, answer; a refusal re-renders the
page with the reason and the form as typed (nothing stored).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import select

from judging import documents
from judging.db.base import utcnow
from judging.editions.models import Category, Edition
from judging.editions.service import current_edition_or_none
from judging.errors import JudgingError, N_, NotFound
from judging.notices import permissions, service
from judging.notices.documents import XLSX_TYPE, notice_pdf, notice_xlsx
from judging.notices.jobs import queue_notice_pdf
from judging.nominations.models import Nomination
from judging.notices.models import OBJECTION_LABELS, CommitteeApproval, Notice, Objection
from judging.awards import service as awards
from judging.stages.models import StageKind, StageStatus
from judging.stages.service import blockers, status_of
from judging.web.guards import loaded, requires
from judging.web.forms import commit_or_refuse, error_status, form_int, form_text, needs_confirmation, request_actor
from judging.web.rendering import DbSession, error_text, gettext_for, render

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
load_category, load_objection = loaded(Category, "category_id"), loaded(Objection, "objection_id")
# The public objection form: a few short fields and at most GROUNDS_MAX characters of grounds.
OBJECTION_BODY_LIMIT = 64 * 1024


def _form_date(data: dict[str, Any], name: str) -> dt.date | None:
    raw = form_text(data, name)
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise JudgingError(N_("{field} must be a date (YYYY-MM-DD)."), field=name) from None


def _edition(db, year: int | None) -> Edition | None:
    """The edition asked for; by default the current one, as on every other page (the year list reaches the
    others)."""
    if year is not None:
        return db.scalar(select(Edition).where(Edition.year == year))
    return current_edition_or_none(db)


def _overview(request: Request, db, *, year: int | None, error: str | None = None, form: dict | None = None,
              status_code: int = 200) -> Template:
    edition = _edition(db, year)
    if edition is None and year is not None:
        raise NotFoundException()
    categories = []
    for category in (edition.categories if edition else []):
        notice = service.current_notice(db, category_id=category.id)
        stages = {kind: status_of(db, category_id=category.id, kind=kind)
                  for kind in (StageKind.PUBLIC_NOTICE, StageKind.APPROVAL)}
        categories.append({
            "category": category,
            "notice_stage": stages[StageKind.PUBLIC_NOTICE], "approval_stage": stages[StageKind.APPROVAL],
            # What keeps the open stage of the two from closing.
            "blockers": [b for kind, status in stages.items() if status is StageStatus.OPEN
                         for b in blockers(db, category=category, kind=kind)],
            "notice": notice, "pdf": notice_pdf(db, notice) if notice else None,
            "versions": service.notices_of(db, category_id=category.id),
            "objections": service.objections_of(db, category_id=category.id),
            "approval": service.approval_of(db, category_id=category.id),
            "period_over": notice is not None and service.period_over(notice),
            "candidates": len(awards.candidate_ids(db, category)),
            # Who an upheld objection may bring in instead, in the order they must be taken.
            "substitutes": service.substitutes(db, category=category) if notice else [],
            "published": awards.is_published(db, category_id=category.id),
        })
    titles = dict(db.execute(select(Nomination.id, Nomination.title).where(
        Nomination.id.in_([i for c in categories for i in c["substitutes"][:1]]))).all())
    years = list(db.scalars(select(Edition.year).order_by(Edition.year.desc())))
    return render(request, "pages/organizer_notices.html", edition=edition, categories=categories, years=years,
                  titles=titles, labels=OBJECTION_LABELS, default_days=service.DEFAULT_DAYS, error=error,
                  form=form or {}, status_code=status_code)


class NoticesController(Controller):
    """The organizer runs the notice and records the approval; the auditor reads the same page."""

    path = "/organizer/notices"
    guards = [requires(permissions.VIEW)]

    @get("/", sync_to_thread=True)
    def home(self, request: Request, db: DbSession, year: FromQuery[int | None] = None) -> Template:
        return _overview(request, db, year=year)

    def _act(self, request: Request, db, data: dict[str, Any], action) -> Response:
        year = int(form_text(data, "year")) if form_text(data, "year").isdigit() else None
        return commit_or_refuse(
            request, db, action, then="/organizer/notices/", query={"year": str(year)} if year else {},
            refused=lambda error, status: _overview(request, db, year=year, error=error, form=data,
                                                    status_code=status))

    def _publish(self, request: Request, db, data: dict[str, Any], publish: Callable[[], Notice]) -> Response:
        """Publish (or reissue) in the request's transaction; once it has committed, queue the notice's PDF."""
        published: list[Notice] = []
        response = self._act(request, db, data, lambda: published.append(publish()))
        if isinstance(response, Redirect):
            for notice in published:
                queue_notice_pdf(request.app.state.session_factory, notice_id=notice.id,
                                 by=request_actor(request), database_url=request.app.state.settings.database_url)
        return response

    @post("/{notice_id:int}/pdf", sync_to_thread=True, guards=[requires(permissions.MAKE_PDF)])
    def make_pdf(self, request: Request, db: DbSession, notice_id: FromPath[int]) -> Redirect:
        """Queue the notice's PDF again (its job failed or its worker died): it is made once, so a PDF
        already stored is kept as it is."""
        notice_id = _public_notice(db, notice_id).id
        db.rollback()  # hold no transaction (on SQLite, the write lock) while the job is queued
        job_id = queue_notice_pdf(request.app.state.session_factory, notice_id=notice_id, by=request_actor(request),
                                  database_url=request.app.state.settings.database_url)
        return Redirect(path=f"/jobs/{job_id}")

    @staticmethod
    def _category(db, category_id: int) -> Category:
        category = db.get(Category, category_id)
        if category is None:
            raise NotFound("category")
        return category

    @post("/categories/{category_id:int}/publish", sync_to_thread=True,
          guards=[requires(permissions.PUBLISH_NOTICE, load=load_category)])
    def publish(self, request: Request, db: DbSession, category_id: FromPath[int],
                data: FormData) -> Template | Redirect:
        if page := needs_confirmation(
                request, data, title=N_("Publish the public notice?"), button=N_("Publish the notice"),
                back="/organizer/notices/",
                consequence=N_("The candidates, with their names and employers, are shown to the public at once and "
                               "the objection period starts.")):
            return page
        return self._publish(request, db, data, lambda: service.publish_notice(
            db, category=self._category(db, category_id), by=request_actor(request),
            days=form_int(data, "days", service.DEFAULT_DAYS), starts_on=_form_date(data, "starts_on")))

    @post("/objections/{objection_id:int}/review", sync_to_thread=True,
          guards=[requires(permissions.REVIEW_OBJECTION, load=load_objection)])
    def review(self, request: Request, db: DbSession, objection_id: FromPath[int],
                data: FormData) -> Template | Redirect:
        return self._act(request, db, data, lambda: service.start_review(
            db, objection_id=objection_id, by=request_actor(request)))

    @post("/objections/{objection_id:int}/decide", sync_to_thread=True,
          guards=[requires(permissions.DECIDE_OBJECTION, load=load_objection)])
    def decide(self, request: Request, db: DbSession, objection_id: FromPath[int],
                data: FormData) -> Template | Redirect:
        if page := needs_confirmation(
                request, data, title=N_("Record this decision on the objection?"), button=N_("Record the decision"),
                back="/organizer/notices/",
                consequence=N_("The finding is recorded as final; an upheld objection then needs a new notice.")):
            return page

        def action():
            outcome = form_text(data, "outcome")
            if outcome not in ("upheld", "rejected"):
                service.get_objection(db, objection_id)  # an unknown id is a 404 before a bad outcome
                raise JudgingError(N_("Choose whether the objection is upheld or rejected."))
            service.decide_objection(db, objection_id=objection_id, upheld=outcome == "upheld",
                                     finding=form_text(data, "finding"), by=request_actor(request))

        return self._act(request, db, data, action)

    @post("/objections/{objection_id:int}/reissue", sync_to_thread=True,
          guards=[requires(permissions.REISSUE, load=load_objection)])
    def reissue(self, request: Request, db: DbSession, objection_id: FromPath[int],
                data: FormData) -> Template | Redirect:
        if page := needs_confirmation(
                request, data, title=N_("Reissue the notice?"), button=N_("Reissue the notice"),
                back="/organizer/notices/",
                consequence=N_("The current notice is superseded and a new version goes public with a full period.")):
            return page
        replacement = form_text(data, "replacement_id")
        return self._publish(request, db, data, lambda: service.reissue_notice(
            db, objection_id=objection_id, replacement_id=form_int(data, "replacement_id") if replacement else None,
            by=request_actor(request), days=form_int(data, "days", service.DEFAULT_DAYS),
            starts_on=_form_date(data, "starts_on")))

    @post("/objections/{objection_id:int}/correct", sync_to_thread=True,
          guards=[requires(permissions.REISSUE, load=load_objection)])
    def correct(self, request: Request, db: DbSession, objection_id: FromPath[int],
                data: FormData) -> Template | Redirect:
        """The remedy that keeps the candidate: correct its completers (or employer, city) and re-notice it."""
        if page := needs_confirmation(
                request, data, title=N_("Correct the candidate and reissue the notice?"),
                button=N_("Correct and reissue"), back="/organizer/notices/",
                consequence=N_("The nomination's completers, employer and city are replaced by those given (the change "
                               "is audited) and the same candidate goes public on a new notice version with a full "
                               "period.")):
            return page
        completers = [line for line in form_text(data, "completers").replace("、", "\n").splitlines()]
        return self._publish(request, db, data, lambda: service.correct_and_reissue(
            db, objection_id=objection_id, completers=completers, employer=form_text(data, "employer"),
            city=form_text(data, "city"), by=request_actor(request),
            days=form_int(data, "days", service.DEFAULT_DAYS), starts_on=_form_date(data, "starts_on")))

    @post("/categories/{category_id:int}/approve", sync_to_thread=True,
          guards=[requires(permissions.RECORD_APPROVAL, load=load_category)])
    def approve(self, request: Request, db: DbSession, category_id: FromPath[int],
                data: FormData) -> Template | Redirect:
        if page := needs_confirmation(
                request, data, title=N_("Record the committee's approval?"), button=N_("Record the approval"),
                back="/organizer/notices/",
                consequence=N_("The list as last on notice becomes the approved list and is handed over for "
                               "publication; it cannot change afterwards.")):
            return page

        def action():
            category = self._category(db, category_id)
            approved_on = _form_date(data, "approved_on")
            if approved_on is None:
                raise JudgingError(N_("Give the date of the committee's approval."))
            service.record_approval(db, category=category, approved_on=approved_on,
                                    reference=form_text(data, "reference"), by=request_actor(request))

        return self._act(request, db, data, action)


def _public_notice(db, notice_id: int) -> Notice:
    try:
        return service.get_notice(db, notice_id)
    except NotFound:
        raise NotFoundException() from None


def _notice_page(request: Request, db, notice: Notice, *, error: str | None = None, form: dict | None = None,
                 status_code: int = 200) -> Template:
    current = notice if notice.current else service.current_notice(db, category_id=notice.category_id)
    replaced = db.get(Notice, notice.replaces_id) if notice.replaces_id else None
    now = utcnow()
    return render(request, "pages/public_notice.html", notice=notice, current=current, replaced=replaced,
                  pdf=notice_pdf(db, notice),
                  accepting=notice.current and service.opens_at(notice) <= now < service.closes_at(notice),
                  not_yet=now < service.opens_at(notice),
                  approval=service.approval_of(db, category_id=notice.category_id),
                  receipt=_receipt(db, notice, request.query_params.get("received")), error=error, form=form or {},
                  issuer=request.app.state.settings.notice_issuer,
                  supervision_phone=request.app.state.settings.supervision_phone,
                  limits={"name": service.NAME_MAX, "employer": service.EMPLOYER_MAX,
                          "grounds": service.GROUNDS_MAX},
                  status_code=status_code)


def _receipt(db, notice: Notice, received: str | None) -> str | None:
    """The receipt number shown after filing: only for an objection that exists on this notice (the query
    carries its id, never text)."""
    objection = db.get(Objection, int(received)) if received and received.isdigit() and len(received) < 10 else None
    return service.receipt_number(objection) if objection is not None and objection.notice_id == notice.id else None


class PublicNoticesController(Controller):
    """Reachable without login: the notices, their documents and the objection form."""

    path = "/public/notices"

    @get("/", sync_to_thread=True, include_in_schema=False)
    def index(self, request: Request, db: DbSession) -> Template:
        notices = service.public_notices(db)
        approved = {a.notice_id for a in db.scalars(select(CommitteeApproval))}
        return render(request, "pages/public_notices.html", notices=notices, approved=approved,
                      over={n.id: service.period_over(n) for n in notices})

    @get("/{notice_id:int}", sync_to_thread=True, include_in_schema=False)
    def show(self, request: Request, db: DbSession, notice_id: FromPath[int]) -> Template:
        return _notice_page(request, db, _public_notice(db, notice_id))

    @post("/{notice_id:int}/objections", sync_to_thread=True, include_in_schema=False,
          request_max_body_size=OBJECTION_BODY_LIMIT)
    def object(self, request: Request, db: DbSession, notice_id: FromPath[int],
               data: FormData) -> Template | Redirect:
        notice = _public_notice(db, notice_id)
        form = {k: form_text(data, k) for k in ("nomination_id", "name", "employer", "phone", "grounds")}
        try:
            nomination = form["nomination_id"]
            objection = service.file_objection(db, notice_id=notice.id,
                                   nomination_id=int(nomination) if nomination.isdigit() else None,
                                   name=form["name"], employer=form["employer"], phone=form["phone"],
                                   grounds=form["grounds"],
                                   client_address=request.client.host if request.client else None)
            db.commit()
        except JudgingError as exc:
            db.rollback()
            return _notice_page(request, db, _public_notice(db, notice_id), error=error_text(request, exc),
                                form=form, status_code=error_status(exc))
        return Redirect(path=f"/public/notices/{notice_id}", query_params={"received": str(objection.id)})

    @get("/{notice_id:int}/notice.pdf", sync_to_thread=True, include_in_schema=False)
    def pdf(self, db: DbSession, notice_id: FromPath[int]) -> Response:
        document = notice_pdf(db, _public_notice(db, notice_id))
        if document is None:  # still being prepared: the notice page says so and has no link yet
            raise NotFoundException()
        return documents.pdf_response(document)

    @get("/{notice_id:int}/notice.xlsx", sync_to_thread=True, include_in_schema=False)
    def xlsx(self, request: Request, db: DbSession, notice_id: FromPath[int]) -> Response:
        notice = _public_notice(db, notice_id)
        pdf = notice_pdf(db, notice)
        return Response(content=notice_xlsx(notice, pdf_sha256=pdf.sha256 if pdf else None,
                                            gettext=gettext_for(request)), media_type=XLSX_TYPE,
                        headers={"Content-Disposition": f'attachment; filename="notice-{notice.year}-{notice.id}'
                                                        f'-v{notice.version}.xlsx"'})
