"""The city pages (/city): quota, nominations, the form of each category, submission, withdrawal and correction;
and the office's pages (/organizer/cities): fulfilment, each online nomination's versions, the assessment.

Thin handlers: read the form, call one service, commit, answer. Uploaded files are sanitized by the service;
the bytes it wrote are removed again when the change is refused (and the replaced ones once it is committed).
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template

from judging import audit
from judging.cities import assessment, forms, permissions, service
from judging.cities.models import CityEntry
from judging.documents import render_pdf
from judging.editions.models import Edition
from judging.editions.service import current_edition
from judging.errors import N_, JudgingError, NotFound
from judging.formal_review.service import State
from judging.nominations.service import translate_problem
from judging.nominations.storage import AttachmentStore
from judging.web.auth import current_user
from judging.web.forms import error_status, form_text, form_values, needs_confirmation
from judging.web.guards import loaded, requires
from judging.web.rendering import DbSession, error_text, gettext_for, render

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
UploadData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
MAX_BODY = (service.MAX_FILES * service.MAX_FILE_MB + 2) * 1024 * 1024
ENTRY = loaded(CityEntry, "entry_id", current_edition=True)
STATE_LABELS = {"draft": N_("Draft"), "withdrawn": N_("Withdrawn"), **State.LABELS}


def _edition(db) -> Edition:
    try:
        return current_edition(db)
    except NotFound:
        raise NotFoundException() from None


def _uploads(data: dict[str, Any]) -> list[tuple[str, bytes]]:
    files = data.get("files")
    files = files if isinstance(files, list) else [files] if files is not None else []
    return [(f.filename or "file", f.file.read()) for f in files if hasattr(f, "file") and f.filename]


def _store(request: Request) -> AttachmentStore:
    return AttachmentStore(request.app.state.settings.var_dir)


def _refusal(request: Request, error: JudgingError) -> str:
    """The refusal's text; for wrong fields, their labels as the form shows them."""
    if not isinstance(error, forms.EntryInvalid):
        return error_text(request, error)
    gettext = gettext_for(request)
    return gettext(error.message).format(fields="、".join(gettext(forms.LABELS.get(name, name))
                                                         for name in error.problems))


def _problems(request: Request, error: forms.EntryInvalid) -> dict[str, str]:
    gettext = gettext_for(request)
    shown = {}
    for name, problem in error.problems.items():
        text = translate_problem(problem, gettext)
        shown[name] = gettext(problem) if text == problem else text
    return shown


class CityController(Controller):
    """A city account's pages: only its own city's nominations exist for it."""

    path = "/city"
    guards = [requires(permissions.HOME)]

    def _home(self, request: Request, db, *, error: str | None = None, status_code: int = 200) -> Template:
        edition = _edition(db)
        city = current_user(request).city
        entries = service.city_entries(db, edition=edition, city=city)
        return render(request, "pages/city_home.html", edition=edition, city=city, entries=entries,
                      quotas=service.quota_lines(db, edition=edition, city=city), labels=STATE_LABELS,
                      returned=[e for e in entries if e.correctable], notice=request.query_params.get("notice"),
                      error=error, status_code=status_code)

    @get("/", sync_to_thread=True)
    def home(self, request: Request, db: DbSession) -> Template:
        return self._home(request, db)

    def _form(self, request: Request, db, *, category, entry=None, values=None, problems=None, error=None,
              status_code: int = 200) -> Template:
        edition = _edition(db)
        view = service.entry_view(db, entry) if entry is not None else None
        return render(request, "pages/city_entry.html", edition=edition, category=category, entry=entry,
                      view=view, values=values if values is not None else (entry.fields if entry else {}),
                      fields=forms.form_fields(category.key.value), forms=forms, problems=problems or {},
                      labels=STATE_LABELS, error=error, notice=request.query_params.get("notice"), db=db,
                      max_files=service.MAX_FILES, max_mb=service.MAX_FILE_MB, status_code=status_code)

    @get("/new", sync_to_thread=True)
    def new(self, request: Request, db: DbSession) -> Response:
        edition = _edition(db)
        wanted = request.query_params.get("category", "")
        category = next((c for c in edition.categories if str(c.id) == wanted), None)
        if category is None:  # a form is of one category: choose it on the list
            return Redirect(path="/city/")
        return self._form(request, db, category=category)

    def _save(self, request: Request, db, data: dict[str, Any], *, entry_id: int | None) -> Response:
        edition = _edition(db)
        user = current_user(request)
        store, written = _store(request), []
        values = {name: str(data.get(name, "") or "") for name in forms.ALL_FIELDS}
        category_id = int(form_text(data, "category")) if form_text(data, "category").isdigit() else None
        try:
            entry, replaced = service.save_draft(
                db, edition=edition, user=user, values=values, store=store, written=written, entry_id=entry_id,
                category_id=category_id, uploads=_uploads(data),
                remove=[int(v) for v in form_values(data, "remove") if v.isdigit()])
            entry_id = entry.id
            db.commit()
        except JudgingError as exc:
            db.rollback()
            store.remove(written)
            if isinstance(exc, NotFound):
                raise NotFoundException() from None
            entry = service.get_entry(db, edition=edition, user=user, entry_id=entry_id) if entry_id else None
            category = next((c for c in edition.categories if c.id == (entry.category_id if entry else category_id)),
                            None)
            if category is None:
                raise NotFoundException() from None
            problems = _problems(request, exc) if isinstance(exc, forms.EntryInvalid) else {}
            return self._form(request, db, category=category, entry=entry, values=values, problems=problems,
                              error=_refusal(request, exc), status_code=error_status(exc))
        store.remove(replaced)
        return Redirect(path=f"/city/entries/{entry_id}", query_params={"notice": "saved"})

    @post("/entries", sync_to_thread=True, request_max_body_size=MAX_BODY)
    def create(self, request: Request, db: DbSession, data: UploadData) -> Response:
        wanted = form_text(data, "category")
        if not any(str(c.id) == wanted for c in _edition(db).categories):
            return self._home(request, db, error=gettext_for(request)(N_("Choose the category of the nomination.")),
                              status_code=400)
        return self._save(request, db, data, entry_id=None)

    @get("/entries/{entry_id:int}", sync_to_thread=True, guards=[requires(permissions.ENTRY, load=ENTRY)])
    def entry(self, request: Request, db: DbSession, entry_id: FromPath[int]) -> Template:
        entry = service.get_entry(db, edition=_edition(db), user=current_user(request), entry_id=entry_id)
        return self._form(request, db, category=service.entry_view(db, entry).category, entry=entry)

    @post("/entries/{entry_id:int}", sync_to_thread=True, request_max_body_size=MAX_BODY,
          guards=[requires(permissions.DRAFT, load=ENTRY)])
    def save(self, request: Request, db: DbSession, entry_id: FromPath[int], data: UploadData) -> Response:
        return self._save(request, db, data, entry_id=entry_id)

    def _act(self, request: Request, db, entry_id: int, change, notice: str) -> Response:
        edition = _edition(db)
        user = current_user(request)
        store, written = _store(request), []
        try:
            change(edition, user, store, written)
            db.commit()
        except JudgingError as exc:
            db.rollback()
            store.remove(written)
            if isinstance(exc, NotFound):
                raise NotFoundException() from None
            entry = service.get_entry(db, edition=edition, user=user, entry_id=entry_id)
            problems = _problems(request, exc) if isinstance(exc, forms.EntryInvalid) else {}
            return self._form(request, db, category=service.entry_view(db, entry).category, entry=entry,
                              problems=problems, error=_refusal(request, exc), status_code=error_status(exc))
        return Redirect(path=f"/city/entries/{entry_id}", query_params={"notice": notice})

    @post("/entries/{entry_id:int}/submit", sync_to_thread=True, guards=[requires(permissions.SUBMIT, load=ENTRY)])
    def submit(self, request: Request, db: DbSession, entry_id: FromPath[int]) -> Response:
        return self._act(request, db, entry_id, lambda edition, user, store, written: service.submit(
            db, edition=edition, user=user, entry_id=entry_id, store=store, written=written), "submitted")

    @post("/entries/{entry_id:int}/resubmit", sync_to_thread=True,
          guards=[requires(permissions.CORRECT, load=ENTRY)])
    def resubmit(self, request: Request, db: DbSession, entry_id: FromPath[int]) -> Response:
        return self._act(request, db, entry_id, lambda edition, user, store, written: service.resubmit(
            db, edition=edition, user=user, entry_id=entry_id, store=store, written=written), "resubmitted")

    @post("/entries/{entry_id:int}/withdraw", sync_to_thread=True,
          guards=[requires(permissions.WITHDRAW, load=ENTRY)])
    def withdraw(self, request: Request, db: DbSession, entry_id: FromPath[int], data: FormData) -> Response:
        if page := needs_confirmation(
                request, data, title=N_("Withdraw this nomination?"), button=N_("Withdraw it"),
                back=f"/city/entries/{entry_id}",
                consequence=N_("The nomination leaves the competition: it is no longer reviewed, assigned or judged.")):
            return page
        return self._act(request, db, entry_id, lambda edition, user, store, written: service.withdraw(
            db, edition=edition, user=user, entry_id=entry_id, reason=form_text(data, "reason")), "withdrawn")


class CityOfficeController(Controller):
    """The office (and the auditors) follow the cities: fulfilment, versions submitted online, assessment."""

    path = "/organizer/cities"
    guards = [requires(permissions.OFFICE)]

    @get("/", sync_to_thread=True)
    def index(self, request: Request, db: DbSession) -> Template:
        edition = _edition(db)
        return render(request, "pages/cities_office.html", edition=edition,
                      live=assessment.fulfilment(db, edition=edition),
                      entries=service.office_entries(db, edition=edition), labels=STATE_LABELS)

    @get("/entries/{entry_id:int}", sync_to_thread=True)
    def entry(self, request: Request, db: DbSession, entry_id: FromPath[int]) -> Template:
        edition = _edition(db)
        try:
            entry = service.office_entry(db, edition=edition, entry_id=entry_id)
        except NotFound:
            raise NotFoundException() from None
        view = service.entry_view(db, entry)
        return render(request, "pages/cities_office_entry.html", edition=edition, view=view, forms=forms,
                      labels=STATE_LABELS)

    @get("/assessment", sync_to_thread=True)
    def assessment_page(self, request: Request, db: DbSession) -> Template:
        return render(request, "pages/cities_assessment.html", editions=assessment.across_editions(db),
                      columns=assessment.COLUMNS)

    @get("/assessment.xlsx", sync_to_thread=True)
    def assessment_xlsx(self, request: Request, db: DbSession) -> Response:
        content = assessment.workbook(assessment.across_editions(db), gettext=gettext_for(request))
        return Response(content=content, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"content-disposition": 'attachment; filename="city-assessment.xlsx"'})

    @get("/assessment.pdf", sync_to_thread=True)
    def assessment_pdf(self, request: Request, db: DbSession) -> Response:
        head = audit.chain_head(db)
        context = {"editions": assessment.plain(assessment.across_editions(db)), "columns": assessment.COLUMNS,
                   "chain": {"length": head.length, "hash": head.hash}}
        db.rollback()  # render with no transaction open
        pdf = render_pdf("reports/city_assessment.html", context)
        return Response(content=pdf.content, media_type="application/pdf",
                        headers={"content-disposition": 'inline; filename="city-assessment.pdf"',
                                 "X-Content-SHA256": pdf.sha256})
