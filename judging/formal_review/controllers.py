"""Formal-review pages (/organizer/formal-review): the list, each category's checklist, each nomination's
review and decision, and the return notices for the cities (CSV). Organizers act; auditors read.

Thin handlers: read the form, call one service, commit, answer.
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
from judging.editions.models import Edition
from judging.editions.service import current_edition
from judging.errors import N_, JudgingError, NotFound
from judging.formal_review import permissions, service
from judging.formal_review.models import Outcome
from judging.nominations.models import Nomination
from judging.tabular import CSV_TYPE, csv_bytes
from judging.nominations import attachment_review
from judging.nominations.service import known_units, translate_problem
from judging.nominations.storage import AttachmentStore
from judging.stages.models import StageKind
from judging.stages.service import status_of
from judging.web.auth import current_user
from judging.web.guards import loaded, requires
from judging.web.forms import commit_or_refuse, form_text, form_values, request_actor
from judging.web.rendering import DbSession, gettext_for, render

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
UploadData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
MAX_ATTACHMENT = 60 * 1024 * 1024
PAGE = 100
RETURN_DAYS = 10  # the deadline the return form suggests


def _edition(db) -> Edition:
    try:
        return current_edition(db)
    except NotFound:
        raise NotFoundException() from None


def items_from_form(data: dict[str, Any]) -> list[dict]:
    """The checklist form's fields as checklist items (checked by ``service.clean_items``)."""
    items: list[dict] = []
    if form_text(data, "attachments_on"):
        items.append({"kind": "attachments", "min_count": form_text(data, "attachments_min"),
                      "kinds": form_values(data, "attachments_kinds")})
    if form_text(data, "quota_on"):
        items.append({"kind": "quota"})
    if form_text(data, "window_on"):
        items.append({"kind": "completion_window", "start": form_text(data, "window_start"),
                      "end": form_text(data, "window_end")})
    if form_text(data, "frontline_on"):
        items.append({"kind": "frontline"})
    items.extend({"kind": "manual", "label": line} for line in str(data.get("manual", "")).splitlines()
                 if line.strip())
    return items



class FormalReviewController(Controller):
    path = "/organizer/formal-review"
    guards = [requires(permissions.VIEW)]

    @get("/", sync_to_thread=True)
    def index(self, request: Request, db: DbSession) -> Template:
        edition = _edition(db)
        q = request.query_params
        category = q.get("category", "")
        filters = {"category_id": int(category) if category.isdigit() else None, "state": q.get("state", ""),
                   "city": q.get("city", "").strip()}
        page = q.get("page", "1")
        page = max(1, int(page)) if page.isdigit() else 1
        rows, total = service.review_list(db, edition=edition, offset=(page - 1) * PAGE, limit=PAGE, **filters)
        summary = [(c, status_of(db, category_id=c.id, kind=StageKind.FORMAL_REVIEW),
                    service.state_counts(db, category=c), service.checklist_items(db, category_id=c.id))
                   for c in edition.categories]
        return render(request, "pages/formal_review.html", edition=edition, rows=rows, total=total, page=page,
                      pages=max(1, -(-total // PAGE)), filters=filters, summary=summary, states=service.State,
                      units=known_units(db, edition=edition))

    @get("/returned.csv", sync_to_thread=True)
    def returned(self, request: Request, db: DbSession) -> Response:
        edition = _edition(db)
        gettext = gettext_for(request)
        rows = [[gettext("City"), "#", gettext("Title"), gettext("Category"), gettext("Employer"),
                 gettext("What must be corrected"), gettext("Correct by"), gettext("State")]]
        for row in service.returned_notices(db, edition=edition):
            # Titles and employers come from the cities' tables: csv_bytes keeps any formula from running.
            rows.append([row.identity.city, row.nomination.id, row.title, row.category.name, row.identity.employer,
                         row.decision.reasons, row.decision.deadline.isoformat(),
                         gettext(service.State.LABELS[row.state])])
        return Response(content=csv_bytes(rows), media_type=CSV_TYPE,
                        headers={"content-disposition": f'attachment; filename="returned-{edition.year}.csv"'})

    # ------------------------------------------------------------------------------ checklist

    def _checklist_page(self, request: Request, db, category_id: int, *, error: str | None = None,
                        items: list[dict] | None = None, status_code: int = 200) -> Template:
        edition = _edition(db)
        category = next((c for c in edition.categories if c.id == category_id), None)
        if category is None:
            raise NotFoundException()
        items = items if items is not None else service.checklist_items(db, category_id=category.id)
        return render(request, "pages/formal_review_checklist.html", edition=edition, category=category,
                      items={i["kind"]: i for i in items if i["kind"] != "manual"},
                      manual="\n".join(i.get("label", "") for i in items if i["kind"] == "manual"),
                      kinds=service.ATTACHMENT_KINDS, readonly=current_user(request).role is not Role.ORGANIZER,
                      stage=status_of(db, category_id=category.id, kind=StageKind.FORMAL_REVIEW),
                      notice=request.query_params.get("notice"), error=error, status_code=status_code)

    @get("/categories/{category_id:int}", sync_to_thread=True)
    def checklist(self, request: Request, db: DbSession, category_id: FromPath[int]) -> Template:
        return self._checklist_page(request, db, category_id)

    @post("/categories/{category_id:int}", sync_to_thread=True, guards=[requires(permissions.CHECKLIST)])
    def save_checklist(self, request: Request, db: DbSession, category_id: FromPath[int],
                       data: FormData) -> Response:
        items = items_from_form(data)
        return commit_or_refuse(
            request, db, lambda: service.set_checklist(db, edition=_edition(db), category_id=category_id, items=items,
                                                       by=request_actor(request)),
            then=f"/organizer/formal-review/categories/{category_id}",
            refused=lambda error, status: self._checklist_page(request, db, category_id, error=error, items=items,
                                                               status_code=status))

    # ------------------------------------------------------------------------------ decisions

    def _nomination_page(self, request: Request, db, nomination_id: int, *, error: str | None = None,
                         form: dict[str, Any] | None = None, status_code: int = 200) -> Template:
        edition = _edition(db)
        try:
            view = service.nomination_review(db, edition=edition, nomination_id=nomination_id)
        except NotFound:
            raise NotFoundException() from None
        today = service.local_today()
        form = form or {}
        return render(request, "pages/formal_review_nomination.html", edition=edition, view=view,
                      states=service.State, readonly=current_user(request).role is not Role.ORGANIZER,
                      today=today.isoformat(),
                      suggested_deadline=form.get("deadline") or (today + dt.timedelta(days=RETURN_DAYS)).isoformat(),
                      form=form, ticked={int(t) for t in form.get("tick", []) if str(t).isdigit()},
                      notice=request.query_params.get("notice"), error=error, status_code=status_code)

    @get("/nominations/{nomination_id:int}", sync_to_thread=True)
    def nomination(self, request: Request, db: DbSession, nomination_id: FromPath[int]) -> Template:
        return self._nomination_page(request, db, nomination_id)

    @post("/nominations/{nomination_id:int}", sync_to_thread=True,
          guards=[requires(permissions.DECIDE, load=loaded(Nomination, "nomination_id", current_edition=True))])
    def decide(self, request: Request, db: DbSession, nomination_id: FromPath[int], data: FormData) -> Response:
        form = {"reasons": str(data.get("reasons", "")).strip(), "override_reason": form_text(data, "override_reason"),
                "deadline": form_text(data, "deadline"), "tick": form_values(data, "tick")}
        def decide() -> None:
            outcome = form_text(data, "outcome")
            if outcome not in {o.value for o in Outcome}:
                raise JudgingError(N_("Choose pass, return for correction or not accepted."))
            deadline = None
            if form["deadline"] and outcome == Outcome.RETURNED.value:
                try:
                    deadline = dt.date.fromisoformat(form["deadline"])
                except ValueError:
                    raise JudgingError(N_("The correction deadline must be a date (YYYY-MM-DD).")) from None
            service.decide(db, edition=_edition(db), nomination_id=nomination_id, outcome=Outcome(outcome),
                           by=request_actor(request), reasons=form["reasons"], deadline=deadline,
                           override_reason=form["override_reason"],
                           ticked=[int(t) for t in form["tick"] if t.isdigit()])

        return commit_or_refuse(
            request, db, decide, then=f"/organizer/formal-review/nominations/{nomination_id}",
            refused=lambda error, status: self._nomination_page(request, db, nomination_id, error=error, form=form,
                                                                status_code=status))

    # ------------------------------------------------------------------------------ attachments

    def _attachment_page(self, request: Request, db, nomination_id: int, attachment_id: int, *,
                         error: str | None = None, status_code: int = 200) -> Template:
        try:
            view = attachment_review.attachment_view(db, edition=_edition(db), nomination_id=nomination_id,
                                                     attachment_id=attachment_id)
        except NotFound:
            raise NotFoundException() from None
        refusal = translate_problem(view.attachment.refusal, gettext_for(request)) if view.attachment.refusal else ""
        return render(request, "pages/attachment_review.html", view=view, status_code=status_code, refusal=refusal,
                      readonly=current_user(request).role is not Role.ORGANIZER, error=error,
                      notice=request.query_params.get("notice"))

    @get("/nominations/{nomination_id:int}/attachments/{attachment_id:int}", sync_to_thread=True)
    def attachment(self, request: Request, db: DbSession, nomination_id: FromPath[int],
                   attachment_id: FromPath[int]) -> Template:
        return self._attachment_page(request, db, nomination_id, attachment_id)

    @get("/nominations/{nomination_id:int}/attachments/{attachment_id:int}/{which:str}", sync_to_thread=True)
    def attachment_file(self, request: Request, db: DbSession, nomination_id: FromPath[int],
                        attachment_id: FromPath[int], which: FromPath[str]) -> Response:
        """The sanitized copy ("review") or what judges receive ("judges"), opened by the organizer."""
        if which not in ("review", "judges"):
            raise NotFoundException()
        try:
            name, data = attachment_review.review_file(
                db, edition=_edition(db), nomination_id=nomination_id, attachment_id=attachment_id, which=which,
                store=AttachmentStore(request.app.state.settings.var_dir))
        except NotFound:
            raise NotFoundException() from None
        media = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg"}.get(name.rsplit(".", 1)[-1],
                                                                                        "application/octet-stream")
        disposition = "inline" if media != "application/octet-stream" else "attachment"
        return Response(content=data, media_type=media, headers={
            "content-disposition": f'{disposition}; filename="{name}"', "cache-control": "no-store",
            "x-content-type-options": "nosniff", "content-security-policy": "sandbox"})

    @post("/nominations/{nomination_id:int}/attachments/{attachment_id:int}/replace", sync_to_thread=True,
          request_max_body_size=MAX_ATTACHMENT, guards=[requires(permissions.ATTACHMENT_REPLACE)])
    def replace_attachment(self, request: Request, db: DbSession, nomination_id: FromPath[int],
                           attachment_id: FromPath[int], data: UploadData) -> Response:
        upload = data.get("file")
        content = upload.file.read() if upload is not None and hasattr(upload, "file") else b""
        filename = getattr(upload, "filename", "") or ""
        here = f"/organizer/formal-review/nominations/{nomination_id}/attachments/{attachment_id}"
        store = AttachmentStore(request.app.state.settings.var_dir)
        written: list[str] = []

        def act() -> None:
            if not content:
                raise JudgingError(N_("Choose the file that replaces this attachment."))
            attachment_review.replace(db, edition=_edition(db), nomination_id=nomination_id,
                                      attachment_id=attachment_id, data=content, filename=filename, store=store,
                                      by=request_actor(request), written=written)

        def refused(error: str, status: int) -> Template:
            store.remove(written)  # the transaction rolled back: its files go too
            return self._attachment_page(request, db, nomination_id, attachment_id, error=error, status_code=status)

        return commit_or_refuse(request, db, act, then=here, refused=refused)
