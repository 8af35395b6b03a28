"""Intake pages: the organizer's nominations (import, list, review, edit, confirm) and quotas; the
auditor's read-only views; the judge's download of a renamed attachment.

Thin handlers: read the request, call one service, commit, answer. Imports run as background jobs
and the browser goes to /jobs/{id}, which links to the import's report when it ends.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template

from judging.accounts.models import Role
from judging.editions.service import current_edition
from judging.errors import N_, JudgingError, NotFound
from judging.tabular import CSV_TYPE, XLSX_TYPE, csv_bytes
from judging.jobs import start_job
from judging.nominations import dictionary, masking, permissions, service, template
from judging.nominations.models import Nomination, NominationImport, NominationStatus
from judging.nominations.storage import StagedUpload
from judging.web.auth import current_user
from judging.web.guards import loaded, requires
from judging.web.rendering import DbSession, error_text, gettext_for, render, request_locale
from judging.web.forms import commit_or_refuse, form_text, needs_confirmation, request_actor
from judging.web.safety import url_error

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
UploadData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
PAGE = 100
MAX_UPLOAD = 600 * 1024 * 1024


def _edition(db):
    try:
        return current_edition(db)
    except NotFound:
        raise NotFoundException() from None


def _upload(data: dict[str, Any], name: str) -> tuple[bytes, str]:
    upload = data.get(name)
    if upload is not None and hasattr(upload, "file"):
        return upload.file.read(), upload.filename or ""
    return b"", ""


def _filters(request: Request) -> dict[str, Any]:
    q = request.query_params
    category = q.get("category", "")
    return {"category_id": int(category) if category.isdigit() else None, "city": q.get("city", "").strip(),
            "status": q.get("status", ""), "flagged": q.get("flagged") == "1", "q": q.get("q", "").strip()}


def _list_page(request: Request, db, *, readonly: bool) -> Template:
    edition = _edition(db)
    filters = _filters(request)
    page = request.query_params.get("page", "1")
    page = max(1, int(page)) if page.isdigit() else 1
    rows, total = service.list_nominations(db, edition=edition, offset=(page - 1) * PAGE, limit=PAGE, **filters)
    counts = {s.value: 0 for s in NominationStatus}
    for status, count in service.status_counts(db, edition=edition).items():
        counts[status] = count
    return render(request, "pages/nominations_list.html", edition=edition, rows=rows, total=total, page=page,
                  pages=max(1, -(-total // PAGE)), filters=filters, readonly=readonly, counts=counts,
                  units=service.known_units(db, edition=edition), statuses=[s.value for s in NominationStatus],
                  base="/auditor/nominations" if readonly else "/organizer/nominations",
                  notice=request.query_params.get("notice"), error=url_error(request))


def _view_page(request: Request, db, nomination_id: int, *, readonly: bool, error: str | None = None,
               status_code: int = 200) -> Template:
    edition = _edition(db)
    try:
        view = service.review(db, edition=edition, nomination_id=nomination_id)
    except NotFound:
        raise NotFoundException() from None
    return render(request, "pages/nominations_view.html", edition=edition, view=view, readonly=readonly,
                  base="/auditor/nominations" if readonly else "/organizer/nominations",
                  notice=request.query_params.get("notice"), error=error or url_error(request),
                  status_code=status_code)


class NominationsController(Controller):
    """The organizer's intake pages."""

    path = "/organizer/nominations"
    guards = [requires(permissions.VIEW)]

    @get("/", sync_to_thread=True)
    def index(self, request: Request, db: DbSession) -> Template:
        return _list_page(request, db, readonly=False)

    @get("/import", sync_to_thread=True)
    def import_form(self, request: Request, db: DbSession) -> Template:
        edition = _edition(db)
        imports = db.query(NominationImport).filter(NominationImport.edition_id == edition.id) \
            .order_by(NominationImport.id.desc()).limit(20).all()
        return render(request, "pages/nominations_import.html", edition=edition, imports=imports,
                      units=service.known_units(db, edition=edition), error=url_error(request))

    @get("/template.xlsx", sync_to_thread=True, guards=[requires(permissions.IMPORT)])
    def import_template(self, request: Request, db: DbSession) -> Response:
        """The fill-in workbook in the reader's language; the import reads it back as filled."""
        edition = _edition(db)
        body = template.nominations_template(db, edition=edition, gettext=gettext_for(request),
                                             chinese=request_locale(request) == "zh_CN")
        return Response(content=body, media_type=XLSX_TYPE, headers={
            "content-disposition": f'attachment; filename="{template.template_filename(edition)}"'})

    @post("/import", sync_to_thread=True, request_max_body_size=MAX_UPLOAD, guards=[requires(permissions.IMPORT)])
    def start_import(self, request: Request, db: DbSession, data: UploadData) -> Redirect:
        edition = _edition(db)
        table, filename = _upload(data, "table")
        if not table:
            return Redirect(path="/organizer/nominations/import",
                            query_params={"error": N_("Choose a CSV or XLSX file to import.")})
        archive, archive_name = _upload(data, "archive")
        edition_id = edition.id
        var_dir = request.app.state.settings.var_dir
        staged = StagedUpload(var_dir)
        db.rollback()  # hold no transaction (on SQLite, a write lock) while the job starts
        job_id = start_job(request.app.state.session_factory, kind="nominations.import", by=request_actor(request),
                           database_url=request.app.state.settings.database_url,
                           params={"edition_id": edition_id, "table": staged.put(table), "filename": filename,
                                   "archive": staged.put(archive) if archive else "", "archive_name": archive_name,
                                   "keep_valid": bool(form_text(data, "keep_valid")), "var_dir": str(var_dir)})
        return Redirect(path=f"/jobs/{job_id}")

    @get("/imports/{import_id:int}", sync_to_thread=True)
    def import_report(self, request: Request, db: DbSession, import_id: FromPath[int]) -> Template:
        edition = _edition(db)
        try:
            record = service.get_import(db, edition=edition, import_id=import_id)
        except NotFound:
            raise NotFoundException() from None
        gettext = gettext_for(request)
        problems = [{**e, "text": service.translate_problem(e["problem"], gettext)} for e in record.errors or []]
        return render(request, "pages/nominations_import_report.html", edition=edition, record=record,
                      problems=problems, flags=service.import_flags(db, record=record))

    @post("/confirm-clean", sync_to_thread=True, guards=[requires(permissions.CONFIRM_CLEAN)])
    def confirm_clean(self, request: Request, db: DbSession, data: FormData) -> Response:
        if page := needs_confirmation(
                request, data, title=N_("Confirm every redaction without flags?"), button=N_("Confirm them all"),
                back="/organizer/nominations/",
                consequence=N_("Every nomination whose redaction raised no flag is confirmed as judges will read it.")):
            return page
        edition_id = _edition(db).id
        db.rollback()
        job_id = start_job(request.app.state.session_factory, kind="nominations.confirm_clean", by=request_actor(request),
                           database_url=request.app.state.settings.database_url,
                           params={"edition_id": edition_id})
        return Redirect(path=f"/jobs/{job_id}")

    @get("/{nomination_id:int}", sync_to_thread=True)
    def view(self, request: Request, db: DbSession, nomination_id: FromPath[int]) -> Template:
        return _view_page(request, db, nomination_id, readonly=False)

    # ------------------------------------------------------------------ the short-name dictionary

    def _short_names_page(self, request: Request, db, *, error: str | None = None, text: str = "",
                          status_code: int = 200) -> Template:
        edition = _edition(db)
        return render(request, "pages/nominations_short_names.html", edition=edition, error=error, text=text,
                      entries=dictionary.entries(db, edition_id=edition.id), status_code=status_code,
                      notice=request.query_params.get("notice"))

    @get("/short-names", sync_to_thread=True)
    def short_names(self, request: Request, db: DbSession) -> Template:
        return self._short_names_page(request, db)

    @post("/short-names", sync_to_thread=True)
    def add_short_names(self, request: Request, db: DbSession, data: FormData) -> Response:
        edition = _edition(db)
        text, action = str(data.get("lines", "")), form_text(data, "action")
        by = request_actor(request)

        def act() -> None:
            if action == "seed":
                dictionary.seed(db, edition_id=edition.id, by=by)
            elif action == "learn":
                dictionary.learn_from(db, edition_id=edition.id, by=by, past_edition_ids=[
                    e.id for e in db.query(type(edition)).filter(type(edition).year < edition.year)])
            else:
                dictionary.import_lines(db, edition_id=edition.id, text=text, by=by)

        return commit_or_refuse(request, db, act, then="/organizer/nominations/short-names",
                                refused=lambda error, status: self._short_names_page(
                                    request, db, error=error, text=text, status_code=status))

    @post("/short-names/{entry_id:int}/remove", sync_to_thread=True)
    def remove_short_name(self, request: Request, db: DbSession, entry_id: FromPath[int]) -> Response:
        edition = _edition(db)
        return commit_or_refuse(request, db, lambda: dictionary.remove(db, edition_id=edition.id, entry_id=entry_id,
                                                                       by=request_actor(request)),
                                then="/organizer/nominations/short-names",
                                refused=lambda error, status: self._short_names_page(request, db, error=error,
                                                                                     status_code=status))

    @post("/{nomination_id:int}/place-exception", sync_to_thread=True)
    def place_exception(self, request: Request, db: DbSession, nomination_id: FromPath[int],
                        data: FormData) -> Response:
        return self._act(request, db, nomination_id, lambda edition: masking.allow_place(
            db, edition_id=edition.id, nomination_id=nomination_id, text=form_text(data, "place"),
            reason=form_text(data, "reason"), by=request_actor(request)))

    def _act(self, request: Request, db, nomination_id: int, action) -> Response:
        edition = _edition(db)
        return commit_or_refuse(
            request, db, lambda: action(edition), then=f"/organizer/nominations/{nomination_id}",
            refused=lambda error, status: _view_page(request, db, nomination_id, readonly=False, error=error,
                                                     status_code=status))

    @post("/{nomination_id:int}", sync_to_thread=True, guards=[requires(permissions.EDIT)])
    def edit(self, request: Request, db: DbSession, nomination_id: FromPath[int], data: FormData) -> Response:
        fields = [*service.EDITABLE_TEXT, *service.EDITABLE_IDENTITY, "inventors", "patents", "employer_forms"]
        changes = {name: form_text(data, name) if name != "body" else str(data.get("body", ""))
                   for name in fields if name in data}
        return self._act(request, db, nomination_id, lambda edition: service.update_nomination(
            db, edition=edition, nomination_id=nomination_id, changes=changes, by=request_actor(request)))

    @post("/{nomination_id:int}/confirm", sync_to_thread=True, guards=[requires(permissions.CONFIRM)])
    def confirm(self, request: Request, db: DbSession, nomination_id: FromPath[int], data: FormData) -> Response:
        return self._act(request, db, nomination_id, lambda edition: service.confirm(
            db, edition=edition, nomination_id=nomination_id, by=request_actor(request),
            acknowledge=form_text(data, "acknowledge") == "yes"))

    @post("/{nomination_id:int}/withdraw", sync_to_thread=True,
          guards=[requires(permissions.WITHDRAW, load=loaded(Nomination, "nomination_id", current_edition=True))])
    def withdraw(self, request: Request, db: DbSession, nomination_id: FromPath[int], data: FormData) -> Response:
        if page := needs_confirmation(
                request, data, title=N_("Withdraw this nomination?"), button=N_("Withdraw it"),
                back=f"/organizer/nominations/{nomination_id}",
                consequence=N_("The nomination leaves the competition: it is no longer reviewed, assigned or judged.")):
            return page
        return self._act(request, db, nomination_id, lambda edition: service.withdraw(
            db, edition=edition, nomination_id=nomination_id, reason=form_text(data, "reason"), by=request_actor(request)))

    @post("/{nomination_id:int}/flags/{flag_id:int}/resolve", sync_to_thread=True,
          guards=[requires(permissions.RESOLVE_FLAG)])
    def resolve(self, request: Request, db: DbSession, nomination_id: FromPath[int], flag_id: FromPath[int]) -> Response:
        return self._act(request, db, nomination_id, lambda edition: service.resolve_flag(
            db, edition=edition, flag_id=flag_id, by=request_actor(request)))


class QuotasController(Controller):
    """City quotas: employees per unit, the total target, and fulfilment (page and CSV export)."""

    path = "/organizer/quotas"
    guards = [requires(permissions.QUOTAS_VIEW)]

    def _page(self, request: Request, db, *, error: str | None = None, units_text: str | None = None,
              total: str | None = None, status_code: int = 200) -> Template:
        edition = _edition(db)
        report = service.quota_report(db, edition=edition)
        if units_text is None:
            # The industry mark in the reader's language (the parser takes 产业 and industry alike).
            mark = "," + gettext_for(request)(N_("industry"))
            units_text = "\n".join(f"{r.unit.name},{r.unit.employees}" + (mark if r.unit.kind == "industry" else "")
                                    for r in report.rows)
        totals = service.category_totals(edition)
        return render(request, "pages/quotas.html", edition=edition, report=report, error=error,
                      units_text=units_text, total=total if total is not None else (report.total_target or ""),
                      category_totals=totals,
                      own_totals=(edition.settings or {}).get(service.CATEGORY_TARGETS_KEY) or {},
                      city_targets=service.city_category_targets(db, edition=edition),
                      readonly=current_user(request).role is not Role.ORGANIZER,
                      notice=request.query_params.get("notice"), status_code=status_code)

    @get("/", sync_to_thread=True)
    def index(self, request: Request, db: DbSession) -> Template:
        return self._page(request, db)

    @post("/", sync_to_thread=True, guards=[requires(permissions.QUOTAS_SET)])
    def save(self, request: Request, db: DbSession, data: FormData) -> Response:
        edition = _edition(db)
        units_text, total = form_text(data, "units"), form_text(data, "total")
        try:
            if not total.isdigit():
                raise JudgingError(N_("The total target must be a whole number."))
            own = {}
            for category in edition.categories:  # blank: the category takes its equal share of the total
                value = form_text(data, f"category_total_{category.id}")
                if value and not value.isdigit():
                    raise JudgingError(N_("The total target must be a whole number."))
                if value:
                    own[category.id] = int(value)
            service.set_quotas(db, edition=edition, units=service.parse_units(units_text), total=int(total),
                               by=request_actor(request), category_totals=own)
            db.commit()
        except JudgingError as exc:
            db.rollback()
            return self._page(request, db, error=error_text(request, exc), units_text=units_text, total=total,
                              status_code=400)
        return Redirect(path="/organizer/quotas/", query_params={"notice": "saved"})

    @get("/export.csv", sync_to_thread=True)
    def export(self, request: Request, db: DbSession) -> Response:
        edition = _edition(db)
        report = service.quota_report(db, edition=edition)
        gettext = gettext_for(request)
        rows = [[gettext("Unit"), gettext("Employees"), gettext("Target"),
                 *[c.name for c in report.categories], gettext("Received"), gettext("Fulfilment")]]
        for row in report.rows:
            rows.append([row.unit.name, row.unit.employees, row.target,
                         *[row.received.get(c.id, 0) for c in report.categories], row.total,
                         f"{row.fulfilment * 100:.1f}%" if row.fulfilment is not None else ""])
        return Response(content=csv_bytes(rows), media_type=CSV_TYPE,
                        headers={"content-disposition": f'attachment; filename="quotas-{edition.year}.csv"'})


class AuditorNominationsController(Controller):
    """Auditors read identities at any time, read-only."""

    path = "/auditor/nominations"
    guards = [requires(permissions.IDENTITIES)]

    @get("/", sync_to_thread=True)
    def index(self, request: Request, db: DbSession) -> Template:
        return _list_page(request, db, readonly=True)

    @get("/{nomination_id:int}", sync_to_thread=True)
    def view(self, request: Request, db: DbSession, nomination_id: FromPath[int]) -> Template:
        return _view_page(request, db, nomination_id, readonly=True)
