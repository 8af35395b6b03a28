"""Result pages (organizers and auditors) and the read-only JSON API.

Thin handlers: read the request, call one service function, commit, answer. Long work (a run, a
recomputation, a report) is started as a background job and the page goes to /jobs/{id}.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import select

from judging.editions.models import Category, Edition, Round
from judging.editions.service import current_edition_or_none
from judging.errors import JudgingError, N_, NotFound
from judging.jobs import start_job
from judging.jobs.controllers import failure_text
from judging.jobs.models import Job, JobStatus
from judging.nominations.models import Nomination
from judging.results import comparison, exports, inputs, service
from judging.results.models import ResultRun, RunCheck
from judging.results.naming import method_fits, rule_words
from judging.scoring.progress import category_figures
from judging.web.auth import current_user
from judging.web.guards import loaded, requires
from judging.results import permissions
from judging.web.rendering import DbSession, error_text, gettext_for, render
from judging.accounts import actor_of
from judging.web.forms import error_status, form_int, form_text, needs_confirmation
from judging.web.safety import error_query, url_error

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
load_run = loaded(ResultRun, "run_id")


def _run(db, run_id: int) -> ResultRun:
    try:
        return service.get_run(db, run_id)
    except NotFound:
        raise NotFoundException() from None


def _edition(db) -> Edition | None:
    return current_edition_or_none(db)


def _failed_computations(db, request: Request) -> list[dict[str, Any]]:
    """The latest computations that failed (a Rasch model that could not be fitted...): listed beside the runs,
    so a refused method is not silently absent."""
    gettext = gettext_for(request)
    jobs = db.scalars(select(Job).where(Job.kind == "results.compute", Job.status == JobStatus.FAILED)
                      .order_by(Job.id.desc()).limit(10)).all()
    return [{"job": job, "rule": rule_words(job.params.get("method", ""), None, gettext),
             "category_id": job.params.get("category_id"), "reason": failure_text(job, gettext)} for job in jobs]


def _overview(request: Request, db, *, error: str | None = None, warning: dict | None = None,
              form: dict | None = None, status_code: int = 200) -> Template:
    edition = _edition(db)
    runs = service.runs_for(db, edition=edition) if edition else []
    approvals = {(r.round_id, r.category_id): r.approval for r in runs if r.approval is not None}
    rubrics = [c.rubric.criteria if c.rubric else [] for c in (edition.categories if edition else [])]
    # A method is offered when it fits at least one category's rubric (Rasch: ordinal totals only).
    offered = [m for m in service.METHODS if any(method_fits(m, criteria) for criteria in rubrics) or not rubrics]
    return render(request, "pages/results_home.html", edition=edition, runs=runs, approvals=approvals,
                  methods={m: rule_words(m, None, gettext_for(request)) for m in offered},
                  failed=_failed_computations(db, request) if edition else [],
                  error=error, warning=warning, form=form or {},
                  tie_rule=service.tie_rule_of(edition) if edition else None, status_code=status_code,
                  names={"rounds": {r.id: r.name for r in edition.rounds} if edition else {},
                         "categories": {c.id: c.name for c in edition.categories} if edition else {}})


class ResultsController(Controller):
    path = "/results"
    guards = [requires(permissions.VIEW)]

    @get("/", sync_to_thread=True)
    def home(self, request: Request, db: DbSession) -> Template:
        return _overview(request, db)

    @post("/runs", sync_to_thread=True, guards=[requires(permissions.CREATE)])
    def start_run(self, request: Request, db: DbSession, data: FormData) -> Template | Redirect:
        user = current_user(request)
        form = {k: form_text(data, k) for k in ("round_id", "category_id", "method", "seed", "reps")}
        form["confirm"] = bool(form_text(data, "confirm"))
        form["within_components"] = bool(form_text(data, "within_components"))
        try:
            round_ = db.get(Round, form_int(data, "round_id"))
            category = db.get(Category, form_int(data, "category_id"))
            if round_ is None or category is None or category.edition_id != round_.edition_id:
                raise NotFound("round")
            method = form_text(data, "method", "additive")
            seed, reps = form_int(data, "seed", 20260501), form_int(data, "reps", service.DEFAULT_REPS)
            service.check_request(category, method=method, reps=reps)
            check = inputs.preflight(db, round_=round_, category=category)
            if check.n_scores == 0:
                raise JudgingError(N_("There are no submitted scores to compute from."))
            # The job's plan_run refuses these too; here the organizer sees what is missing and may confirm.
            if (check.unsubmitted and not form["confirm"]) or (
                    check.n_components > 1 and method in service.LINKED_METHODS and not form["within_components"]):
                return _overview(request, db, warning={"unsubmitted": check.unsubmitted,
                                                       "components": check.components,
                                                       "n_components": check.n_components},
                                 form=form, status_code=409)
        except JudgingError as exc:
            return _overview(request, db, error=error_text(request, exc), form=form, status_code=error_status(exc))
        settings = request.app.state.settings
        round_id, category_id = round_.id, category.id
        db.rollback()  # end this request's transaction (on SQLite it holds the write lock) before the job
        job_id = start_job(request.app.state.session_factory, kind="results.compute", by=actor_of(user),
                           database_url=settings.database_url,
                           params={"round_id": round_id, "category_id": category_id, "method": method,
                                   "seed": seed, "reps": reps, "confirm_incomplete": form["confirm"],
                                   "within_components": form["within_components"]})
        return Redirect(path=f"/jobs/{job_id}")

    @get("/runs/{run_id:int}", sync_to_thread=True)
    def show_run(self, request: Request, db: DbSession, run_id: FromPath[int]) -> Template:
        run = _run(db, run_id)
        user = current_user(request)
        checks = db.scalars(select(RunCheck).where(RunCheck.run_id == run.id).order_by(RunCheck.id.desc())).all()
        others = db.scalars(select(ResultRun).where(ResultRun.round_id == run.round_id,
                                                    ResultRun.category_id == run.category_id,
                                                    ResultRun.id != run.id).order_by(ResultRun.id.desc())).all()
        people = service.identities(db, [e.nomination_id for e in run.entries]) \
            if service.may_see_identities(db, run=run, role=user.role.value) else {}
        unblinding = service.unblinding_for(db, round_id=run.round_id, category_id=run.category_id)
        titles = dict(db.execute(select(Nomination.id, Nomination.title)
                                 .where(Nomination.id.in_([e.nomination_id for e in run.entries]))).all())
        return render(request, "pages/results_run.html", run=run, titles=titles, round=db.get(Round, run.round_id),
                      category=db.get(Category, run.category_id), checks=checks, others=others,
                      movers=comparison.raw_vs_calibrated(run), people=people, unblinding=unblinding,
                      stored_ok=service.stored_outputs_verify(run),
                      error=url_error(request))

    def _action(self, request: Request, run_id: int, action) -> Response | Redirect:
        db = request.app.state.session_factory()
        try:
            run = _run(db, run_id)
            try:
                action(db, run)
                db.commit()
            except JudgingError as exc:
                db.rollback()
                return Redirect(path=f"/results/runs/{run_id}", query_params=error_query(exc))
        finally:
            db.close()
        return Redirect(path=f"/results/runs/{run_id}")

    @post("/runs/{run_id:int}/approve", sync_to_thread=True, guards=[requires(permissions.APPROVE, load=load_run)])
    def approve(self, request: Request, run_id: FromPath[int], data: FormData) -> Response:
        if page := needs_confirmation(
                request, data, title=N_("Approve run {run}?"), button=N_("Approve the run"), back=f"/results/runs/{run_id}",
                consequence=N_("The scores of this round and category freeze: no sheet can be saved, submitted or "
                               "reopened after this, and the run becomes the one the next steps rest on."), run=run_id):
            return page
        by = actor_of(current_user(request))
        return self._action(request, run_id, lambda db, run: service.approve_run(db, run=run, by=by))

    @post("/runs/{run_id:int}/advance", sync_to_thread=True, guards=[requires(permissions.ADVANCE, load=load_run)])
    def advance(self, request: Request, run_id: FromPath[int], data: FormData) -> Response:
        if page := needs_confirmation(
                request, data, title=N_("Advance the top {m} of run {run}?"), button=N_("Advance them"),
                back=f"/results/runs/{run_id}", run=run_id, m=form_text(data, "top_m"),
                consequence=N_("These nominations receive the final round's codes and go on to it; the others do "
                               "not. Advancing is not undone.")):
            return page
        by = actor_of(current_user(request))
        return self._action(request, run_id,
                            lambda db, run: service.advance(db, run=run, top_m=form_int(data, "top_m"), by=by))

    @post("/runs/{run_id:int}/unblind", sync_to_thread=True, guards=[requires(permissions.UNBLIND, load=load_run)])
    def unblind(self, request: Request, run_id: FromPath[int], data: FormData) -> Response:
        if page := needs_confirmation(
                request, data, title=N_("Unblind run {run}?"), button=N_("Unblind"), back=f"/results/runs/{run_id}",
                consequence=N_("Names and employers are shown next to the ranking from now on; the unblinding is "
                               "recorded with your reason and cannot be taken back."), run=run_id):
            return page
        by = actor_of(current_user(request))
        return self._action(request, run_id,
                            lambda db, run: service.unblind(db, run=run, reason=form_text(data, "reason"), by=by))

    @post("/runs/{run_id:int}/recompute", sync_to_thread=True, guards=[requires(permissions.RECOMPUTE)])
    def recompute(self, request: Request, db: DbSession, run_id: FromPath[int]) -> Redirect:
        run_id = _run(db, run_id).id
        user = current_user(request)
        db.rollback()  # end this request's transaction (on SQLite it holds the write lock) before the job
        job_id = start_job(request.app.state.session_factory, kind="results.recompute", by=actor_of(user),
                           database_url=request.app.state.settings.database_url,
                           params={"run_id": run_id})
        return Redirect(path=f"/jobs/{job_id}")

    @get("/runs/{run_id:int}/checks/{check_id:int}", sync_to_thread=True)
    def show_check(self, request: Request, db: DbSession, run_id: FromPath[int], check_id: FromPath[int]) -> Template:
        run = _run(db, run_id)
        check = db.get(RunCheck, check_id)
        if check is None or check.run_id != run.id:
            raise NotFoundException()
        return render(request, "pages/results_check.html", run=run, check=check)

    @get("/compare", sync_to_thread=True)
    def compare(self, request: Request, db: DbSession, a: FromQuery[int], b: FromQuery[int]) -> Template:
        base, other = _run(db, a), _run(db, b)
        try:
            rows = comparison.compare_runs(db, base=base, other=other)
        except JudgingError:
            raise NotFoundException() from None
        return render(request, "pages/results_compare.html", base=base, other=other, rows=rows)

    # ------------------------------------------------------------------ reports and exports

    @get("/runs/{run_id:int}/export/{what:str}", sync_to_thread=True)
    def export(self, request: Request, db: DbSession, run_id: FromPath[int], what: FromPath[str]) -> Response:
        """``scores.csv``, ``results.xlsx`` …, and ``scores.csv.sha256``: a CSV's digest file."""
        run = _run(db, run_id)
        name, _, fmt = what.partition(".")
        fmt, _, sidecar = fmt.partition(".")
        if name not in exports.TABLES or fmt not in ("csv", "xlsx") or sidecar not in ("", "sha256") \
                or (sidecar and fmt != "csv"):
            raise NotFoundException()
        make = exports.digest if sidecar else exports.export
        content, media_type, filename = make(db, run=run, table=name, fmt=fmt, role=current_user(request).role.value,
                                             gettext=gettext_for(request))
        return Response(content=content, media_type=media_type,
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# ---------------------------------------------------------------------- JSON API (read-only)


def _run_json(run: ResultRun, gettext) -> dict[str, Any]:
    return {"id": run.id, "round_id": run.round_id, "category_id": run.category_id, "method": run.method,
            "rule": run.rule(gettext),
            "options": run.options, "seed": run.seed, "engine_version": run.engine_version,
            "input_digest": run.input_digest, "output_digest": run.output_digest,
            "calibration_digest": run.calibration_digest, "approved": run.approval is not None,
            "created_at": run.created_at.isoformat(), "n_items": run.n_items, "n_judges": run.n_judges,
            "n_scores": run.n_scores, "unsubmitted": run.unsubmitted}


class ResultsApiController(Controller):
    """Read-only results and progress for organizers and auditors (listed in the OpenAPI schema)."""

    path = "/api/results"
    guards = [requires(permissions.VIEW)]
    tags = ["results"]

    @get("/runs", sync_to_thread=True, summary="Result runs of the current edition")
    def list_runs(self, request: Request, db: DbSession) -> list[dict[str, Any]]:
        edition = _edition(db)
        gettext = gettext_for(request)
        return [_run_json(run, gettext) for run in (service.runs_for(db, edition=edition) if edition else [])]

    @get("/runs/{run_id:int}", sync_to_thread=True, summary="One run with its ranking and judge diagnostics")
    def get_run(self, request: Request, db: DbSession, run_id: FromPath[int]) -> dict[str, Any]:
        run = _run(db, run_id)
        body = _run_json(run, gettext_for(request))
        body["results"] = [{"code": e.code, "rank": e.rank, "value": e.value, "se": e.se, "raw_mean": e.raw_mean,
                            "raw_rank": e.raw_rank, "rank_interval": [e.rank_low, e.rank_high], "p_top": e.p_top,
                            "n_scores": e.n_scores, "in_top": e.in_top} for e in run.entries]
        body["judges"] = [{"code": d.code, "n_scores": d.n_scores, "severity": d.severity, "scale": d.scale,
                           "correlation": d.correlation, "rms_residual": d.rms_residual} for d in run.judges]
        body["reliability"] = run.outputs.get("reliability", {})
        return body

    @get("/progress", sync_to_thread=True, summary="Submitted and outstanding sheets per round and category")
    def progress(self, db: DbSession) -> list[dict[str, Any]]:
        edition = _edition(db)
        out = []
        for round_ in (edition.rounds if edition else []):
            for f in category_figures(db, edition=edition, round_=round_):
                approval = service.approval_for(db, round_id=round_.id, category_id=f.category.id)
                out.append({"round_id": round_.id, "round": round_.name, "category_id": f.category.id,
                            "category": f.category.key.value, "nominations": f.nominations,
                            "assignments": f.assignments, "drafts": f.drafts, "submitted": f.submitted,
                            "approved_run_id": approval.run_id if approval else None})
        return out
