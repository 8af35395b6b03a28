"""The organizer's pages for the expert pool, conflicts of interest and assignment (/organizer/panels).

Thin handlers: read the form, call one service, commit, answer. Previews and refills run as
background jobs and the browser goes to /jobs/{id}, which polls until the job ends.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from sqlalchemy import func, or_, select

from judging.editions.models import Category, Edition, Round
from judging.editions.service import current_edition_or_none
from judging.errors import N_, JudgingError, NotFound
from judging.jobs import start_job
from judging.nominations.models import Nomination
from judging.panels import conflicts as conflicts_mod
from judging.panels import importer
from judging.panels import permissions, service, template
from judging.panels.models import (
    Assignment, AssignmentPlan, Conflict as ExpertConflict, EmployerGroup, Expert,
)
from judging.tabular import XLSX_TYPE
from judging.web.guards import loaded, requires
from judging.web.rendering import DbSession, error_text, gettext_for, render, request_locale
from judging.web.forms import error_status, form_int, form_text, needs_confirmation, request_actor
from judging.web.safety import error_query, url_error

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
UploadData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
PAGE = 100
SYNC_COMMIT_PAIRS = 20_000  # above this many pairs, committing runs as a background job
# An expert table: at most importer.MAX_ROWS (20,000) rows of a few hundred bytes, twice that in UTF-16.
MAX_EXPERT_UPLOAD = 16 * 1024 * 1024


def _edition(db) -> Edition | None:
    return current_edition_or_none(db)


def _round_category(db, round_id: int, category_id: int) -> tuple[Round, Category]:
    try:
        return service.get_round_category(db, round_id=round_id, category_id=category_id)
    except NotFound:
        raise NotFoundException() from None


def _settings_from_form(data: dict[str, Any]) -> service.PlanSettings:
    q = form_text(data, "max_probability")
    try:
        max_probability = float(q) if q else None
    except ValueError:
        raise JudgingError(N_("{field} must be a number."), field="max_probability") from None
    return service.PlanSettings(
        mode=form_text(data, "mode", "k"), k=form_int(data, "k", 5), max_load=form_int(data, "max_load", 30),
        min_load=form_int(data, "min_load", 0), panel_size=form_int(data, "panel_size", 5),
        n_panels=form_int(data, "n_panels", 2), overlap=form_int(data, "overlap", 1),
        same_city=bool(form_text(data, "same_city")), fairness=bool(form_text(data, "fairness")),
        max_probability=max_probability, seed=form_int(data, "seed", 0))


def overview_rows(db, edition) -> list[dict]:
    """Per round and category: eligible nominations, active assignments, short nominations, plans."""
    rows = []
    for round_ in edition.rounds:
        for category in edition.categories:
            eligible = service.eligible_nominations(db, round_=round_, category=category)
            counts = dict(db.execute(
                select(Assignment.nomination_id, func.count()).join(Nomination, Nomination.id == Assignment.nomination_id)
                .where(Assignment.round_id == round_.id, Nomination.category_id == category.id,
                       Assignment.withdrawn_at.is_(None)).group_by(Assignment.nomination_id)).all())
            plan = service.committed_plan(db, round_id=round_.id, category_id=category.id)
            k = (plan.settings.get("k") if plan and plan.mode == "k" else
                 plan.settings.get("panel_size") if plan else max(counts.values(), default=0))
            short = sum(1 for nid, c in counts.items() if k and c < k)
            latest = db.scalar(select(AssignmentPlan).where(AssignmentPlan.round_id == round_.id,
                                                            AssignmentPlan.category_id == category.id)
                               .order_by(AssignmentPlan.id.desc()).limit(1))
            rows.append({"round": round_, "category": category, "eligible": len(eligible),
                         "assigned": len(counts), "assignments": sum(counts.values()), "k": k, "short": short,
                         "plan": plan, "latest": latest})
    return rows


def swap_page(request, db, assignment_id: int, *, error: str | None = None,
               status_code: int = 200) -> Template:
    assignment = db.get(Assignment, assignment_id)
    if assignment is None:
        raise NotFoundException()
    nomination = db.get(Nomination, assignment.nomination_id)
    round_, category = _round_category(db, assignment.round_id, nomination.category_id)
    experts = service.active_experts(db)
    loads = service.round_loads(db, round_id=round_.id)
    identity = service.identities_of(db, [nomination.id]).get(nomination.id)
    plan = service.committed_plan(db, round_id=round_.id, category_id=category.id)
    rows = [(nomination.id, identity.employer if identity else "", identity.city if identity else "")]
    cset = conflicts_mod.conflict_set(db, nominations=rows, experts=experts,
                                      same_city=bool(plan.settings.get("same_city")) if plan else False)
    taken = set(db.scalars(select(Assignment.expert_id).where(Assignment.round_id == round_.id,
                                                              Assignment.nomination_id == nomination.id)))
    from judging.panels.affinity import affinity_matrix

    aff = affinity_matrix([service.nomination_text(nomination, identity)], [e.fields for e in experts],
                          category.key.value)
    aff = aff if hasattr(aff, "shape") and not hasattr(aff, "tocsr") else aff.toarray()
    candidates = []
    for j, expert in enumerate(experts):
        if expert.id in taken:
            continue
        candidates.append({"expert": expert, "affinity": float(aff[0, j]), "load": loads.get(expert.id, 0),
                           "conflict": bool(cset.matrix[0, j]),
                           "full": loads.get(expert.id, 0) >= expert.max_load})
    candidates.sort(key=lambda c: (c["conflict"] or c["full"], -c["affinity"]))
    return render(request, "pages/panels_swap.html", assignment=assignment, nomination=nomination,
                  round=round_, category=category, current=db.get(Expert, assignment.expert_id),
                  candidates=candidates[:40], error=error, status_code=status_code)


class PanelsController(Controller):
    path = "/organizer/panels"
    guards = [requires(permissions.VIEW)]

    # ------------------------------------------------------------------ overview and refill

    @get("/", sync_to_thread=True)
    def home(self, request: Request, db: DbSession) -> Template:
        edition = _edition(db)
        rows = overview_rows(db, edition) if edition else []
        experts = db.scalar(select(func.count()).select_from(Expert).where(Expert.active.is_(True)))
        return render(request, "pages/panels_home.html", edition=edition, rows=rows, experts=experts,
                      notice=request.query_params.get("notice"), error=url_error(request))

    @get("/rounds/{round_id:int}", sync_to_thread=True)
    def round_home(self, request: Request, db: DbSession, round_id: FromPath[int]) -> Redirect:
        if db.get(Round, round_id) is None:
            raise NotFoundException()
        return Redirect(path="/organizer/panels/", query_params={"notice": "refilled"})

    @post("/rounds/{round_id:int}/refill", sync_to_thread=True, guards=[requires(permissions.REFILL)])
    def refill(self, request: Request, db: DbSession, round_id: FromPath[int], data: FormData) -> Redirect:
        if db.get(Round, round_id) is None:
            raise NotFoundException()
        category_id = form_text(data, "category_id")
        db.rollback()  # hold no transaction (on SQLite, a write lock) while the job starts
        job_id = start_job(request.app.state.session_factory, kind="panels.refill", by=request_actor(request),
                           database_url=request.app.state.settings.database_url,
                           params={"round_id": round_id, "category_id": int(category_id) if category_id else None})
        return Redirect(path=f"/jobs/{job_id}")

    # ------------------------------------------------------------------ one round and category

    def _assign_page(self, request: Request, db, round_: Round, category: Category, *, settings=None,
                     error: str | None = None, status_code: int = 200) -> Template:
        settings = settings or service.default_settings(db, round_=round_, category=category)
        q = request.query_params.get("q", "").strip()
        query = (select(Assignment, Nomination.title, Expert.name)
                 .join(Nomination, Nomination.id == Assignment.nomination_id)
                 .join(Expert, Expert.id == Assignment.expert_id)
                 .where(Assignment.round_id == round_.id, Nomination.category_id == category.id)
                 .order_by(Assignment.nomination_id, Assignment.id))
        if q:
            query = query.where(or_(Nomination.title.contains(q), Nomination.id == (int(q) if q.isdigit() else -1)))
        grouped: dict[int, dict] = {}
        for assignment, title, name in db.execute(query.limit(PAGE * 8)):
            entry = grouped.setdefault(assignment.nomination_id, {"id": assignment.nomination_id, "title": title,
                                                                  "chips": []})
            entry["chips"].append({"assignment": assignment, "name": name})
        plans = db.scalars(select(AssignmentPlan).where(AssignmentPlan.round_id == round_.id,
                                                        AssignmentPlan.category_id == category.id)
                           .order_by(AssignmentPlan.id.desc()).limit(10)).all()
        return render(request, "pages/panels_assign.html", round=round_, category=category, settings=settings,
                      nominations=list(grouped.values())[:PAGE], plans=plans, q=q, error=error,
                      committed=service.committed_plan(db, round_id=round_.id, category_id=category.id),
                      eligible=len(service.eligible_nominations(db, round_=round_, category=category)),
                      notice=request.query_params.get("notice"), status_code=status_code)

    @get("/rounds/{round_id:int}/categories/{category_id:int}", sync_to_thread=True)
    def assign(self, request: Request, db: DbSession, round_id: FromPath[int], category_id: FromPath[int]) -> Template:
        round_, category = _round_category(db, round_id, category_id)
        return self._assign_page(request, db, round_, category, error=url_error(request))

    @post("/rounds/{round_id:int}/categories/{category_id:int}/preview", sync_to_thread=True,
          guards=[requires(permissions.PREVIEW, load=loaded(Category, "category_id"))])
    def preview(self, request: Request, db: DbSession, round_id: FromPath[int], category_id: FromPath[int],
                data: FormData) -> Template | Redirect:
        round_, category = _round_category(db, round_id, category_id)
        settings = None
        try:
            settings = _settings_from_form(data)
            settings.check()
            service.check_can_preview(db, round_=round_, category=category)
        except JudgingError as exc:
            return self._assign_page(request, db, round_, category, settings=settings,
                                     error=error_text(request, exc), status_code=error_status(exc))
        db.rollback()  # hold no transaction (on SQLite, a write lock) while the job starts
        job_id = start_job(request.app.state.session_factory, kind="panels.preview", by=request_actor(request),
                           database_url=request.app.state.settings.database_url,
                           params={"round_id": round_id, "category_id": category_id, "settings": settings.as_dict()})
        return Redirect(path=f"/jobs/{job_id}")

    @get("/plans/{plan_id:int}", sync_to_thread=True)
    def plan(self, request: Request, db: DbSession, plan_id: FromPath[int]) -> Template:
        plan = db.get(AssignmentPlan, plan_id)
        if plan is None:
            raise NotFoundException()
        round_, category = _round_category(db, plan.round_id, plan.category_id)
        loads: dict[int, int] = {}
        for _nid, eid in plan.pairs:
            loads[eid] = loads.get(eid, 0) + 1
        return render(request, "pages/panels_plan.html", plan=plan, round=round_, category=category,
                      figures=plan.figures, n_loaded=len(loads), error=url_error(request),
                      reason_labels=conflicts_mod.REASON_LABELS)

    @post("/plans/{plan_id:int}/commit", sync_to_thread=True,
          guards=[requires(permissions.COMMIT, load=loaded(AssignmentPlan, "plan_id"))])
    def commit(self, request: Request, db: DbSession, plan_id: FromPath[int], data: FormData) -> Template | Redirect:
        plan = db.get(AssignmentPlan, plan_id)
        if plan is None:
            raise NotFoundException()
        if page := needs_confirmation(
                request, data, title=N_("Commit this assignment plan?"), button=N_("Commit the plan"),
                consequence=N_("{pairs} assignments are written and the judges see them at once; a committed plan "
                               "is not undone (later changes go through the roster, one by one)."),
                back=f"/organizer/panels/plans/{plan_id}", pairs=len(plan.pairs)):
            return page
        round_id, category_id = plan.round_id, plan.category_id
        if len(plan.pairs) > SYNC_COMMIT_PAIRS:  # a large plan is written by a job: the page must not hang
            db.rollback()  # hold no transaction (on SQLite, a write lock) while the job starts
            job_id = start_job(request.app.state.session_factory, kind="panels.commit", by=request_actor(request),
                               database_url=request.app.state.settings.database_url,
                               params={"plan_id": plan_id})
            return Redirect(path=f"/jobs/{job_id}")
        try:
            service.commit_plan(db, plan_id=plan_id, by=request_actor(request))
            db.commit()
        except JudgingError as exc:
            db.rollback()
            return Redirect(path=f"/organizer/panels/plans/{plan_id}", query_params=error_query(exc))
        return Redirect(path=f"/organizer/panels/rounds/{round_id}/categories/{category_id}",
                        query_params={"notice": "committed"})

    @get("/rounds/{round_id:int}/categories/{category_id:int}/why", sync_to_thread=True)
    def why(self, request: Request, db: DbSession, round_id: FromPath[int], category_id: FromPath[int]) -> Template:
        round_, category = _round_category(db, round_id, category_id)
        try:
            nomination, expert, explanation = service.explain_pair(
                db, nomination_id=int(request.query_params.get("nomination_id", "0")),
                expert_id=int(request.query_params.get("expert_id", "0")), category=category)
        except (NotFound, ValueError):
            raise NotFoundException() from None
        plan = service.committed_plan(db, round_id=round_.id, category_id=category.id)
        same_city = bool(plan.settings.get("same_city")) if plan else False
        reasons = conflicts_mod.pair_reasons(db, nomination_id=nomination.id, expert=expert, same_city=same_city)
        return render(request, "pages/panels_why.html", round=round_, category=category, nomination=nomination,
                      expert=expert, explanation=explanation, reasons=reasons,
                      reason_labels=conflicts_mod.REASON_LABELS)

    # ------------------------------------------------------------------------------- swap


    # ---------------------------------------------------------------------------- experts

    def _experts_page(self, request, db, *, report=None, status_code: int = 200) -> Template:
        q = request.query_params.get("q", "").strip()
        raw_page = request.query_params.get("page", "1")
        page = max(1, int(raw_page)) if raw_page.isdigit() else 1
        query = select(Expert).order_by(Expert.id)
        if q:
            query = query.where(or_(Expert.name.contains(q), Expert.employer.contains(q), Expert.city.contains(q)))
        total = db.scalar(select(func.count()).select_from(query.subquery()))
        experts = db.scalars(query.offset((page - 1) * PAGE).limit(PAGE)).all()
        loads = dict(db.execute(select(Assignment.expert_id, func.count()).where(Assignment.withdrawn_at.is_(None))
                                .group_by(Assignment.expert_id)).all())
        return render(request, "pages/panels_experts.html", experts=experts, q=q, page=page, total=total,
                      pages=max(1, -(-total // PAGE)), report=report, loads=loads,
                      notice=request.query_params.get("notice"), status_code=status_code)

    @get("/experts", sync_to_thread=True)
    def experts(self, request: Request, db: DbSession) -> Template:
        return self._experts_page(request, db)

    @get("/experts/template.xlsx", sync_to_thread=True, guards=[requires(permissions.EXPERTS_EDIT)])
    def experts_template(self, request: Request, db: DbSession) -> Response:
        """The fill-in workbook in the reader's language; the import reads it back as filled."""
        body = template.experts_template(db, gettext=gettext_for(request), chinese=request_locale(request) == "zh_CN")
        return Response(content=body, media_type=XLSX_TYPE,
                        headers={"content-disposition": f'attachment; filename="{template.TEMPLATE_FILENAME}"'})

    @post("/experts/import", sync_to_thread=True, request_max_body_size=MAX_EXPERT_UPLOAD,
          guards=[requires(permissions.EXPERTS_EDIT)])
    def import_experts(self, request: Request, db: DbSession, data: UploadData) -> Template:
        upload = data.get("file")
        content = b""
        filename = ""
        if upload is not None and hasattr(upload, "file"):
            content = upload.file.read()
            filename = upload.filename or ""
        report = importer.import_experts(db, data=content, filename=filename,
                                         keep_valid=bool(form_text(data, "keep_valid")), by=request_actor(request))
        if report.stored:
            db.commit()
        else:
            db.rollback()
        return self._experts_page(request, db, report=report, status_code=200 if not report.problems else 400)

    @get("/experts/{expert_id:int}", sync_to_thread=True)
    def expert(self, request: Request, db: DbSession, expert_id: FromPath[int]) -> Template:
        return self._expert_page(request, db, expert_id, error=url_error(request))

    def _expert_page(self, request, db, expert_id, *, problems=None, error=None, status_code=200) -> Template:
        expert = db.get(Expert, expert_id)
        if expert is None:
            raise NotFoundException()
        rows = db.execute(select(Round, func.count(Assignment.id)).join(Assignment, Assignment.round_id == Round.id)
                          .where(Assignment.expert_id == expert.id, Assignment.withdrawn_at.is_(None))
                          .group_by(Round.id).order_by(Round.id)).all()
        conflicts = db.scalars(select(ExpertConflict).where(ExpertConflict.expert_id == expert.id)
                               .order_by(ExpertConflict.id)).all()
        return render(request, "pages/panels_expert.html", expert=expert, rounds=rows, conflicts=conflicts,
                      problems=problems or [], error=error, notice=request.query_params.get("notice"),
                      reason_labels=conflicts_mod.REASON_LABELS,
                      status_code=status_code)

    @post("/experts/{expert_id:int}", sync_to_thread=True, guards=[requires(permissions.EXPERTS_EDIT)])
    def save_expert(self, request: Request, db: DbSession, expert_id: FromPath[int], data: FormData) -> Template | Redirect:
        expert = db.get(Expert, expert_id)
        if expert is None:
            raise NotFoundException()
        problems = importer.update_expert(
            db, expert=expert, name=form_text(data, "name"), employer=form_text(data, "employer"), city=form_text(data, "city"),
            phone=form_text(data, "phone"), email=form_text(data, "email"), fields=form_text(data, "fields"),
            max_load=form_text(data, "max_load"), by=request_actor(request), industry=form_text(data, "industry"))
        if problems:
            db.rollback()
            return self._expert_page(request, db, expert_id, problems=problems, status_code=400)
        db.commit()
        return Redirect(path=f"/organizer/panels/experts/{expert_id}", query_params={"notice": "saved"})

    @post("/experts/{expert_id:int}/active", sync_to_thread=True, guards=[requires(permissions.EXPERTS_EDIT)])
    def set_active(self, request: Request, db: DbSession, expert_id: FromPath[int], data: FormData) -> Redirect:
        expert = db.get(Expert, expert_id)
        if expert is None:
            raise NotFoundException()
        importer.set_active(db, expert=expert, active=form_text(data, "active") == "1", by=request_actor(request))
        db.commit()
        return Redirect(path=f"/organizer/panels/experts/{expert_id}", query_params={"notice": "saved"})

    # -------------------------------------------------------------------------- conflicts

    def _conflicts_page(self, request, db, *, error=None, status_code=200) -> Template:
        rows = db.execute(select(ExpertConflict, Expert.name, Nomination.title)
                          .join(Expert, Expert.id == ExpertConflict.expert_id)
                          .join(Nomination, Nomination.id == ExpertConflict.nomination_id)
                          .order_by(ExpertConflict.id.desc()).limit(500)).all()
        groups = db.scalars(select(EmployerGroup).order_by(EmployerGroup.name)).all()
        edition = _edition(db)
        experts = db.execute(select(Expert.id, Expert.name, Expert.employer).order_by(Expert.name)).all()
        titles = db.execute(select(Nomination.id, Nomination.title).where(Nomination.edition_id == edition.id)
                            .order_by(Nomination.title).limit(5000)).all() if edition else []
        return render(request, "pages/panels_conflicts.html", rows=rows, groups=groups, error=error,
                      experts=experts, titles=titles,
                      same_city={r.name: conflicts_mod.same_city_rule(edition, r) for r in edition.rounds}
                      if edition else {}, notice=request.query_params.get("notice"),
                      reason_labels=conflicts_mod.REASON_LABELS, status_code=status_code)

    @get("/conflicts", sync_to_thread=True)
    def conflicts(self, request: Request, db: DbSession) -> Template:
        return self._conflicts_page(request, db, error=url_error(request))

    def _act(self, request, db, action, *, notice: str) -> Template | Redirect:
        try:
            action()
            db.commit()
        except JudgingError as exc:
            db.rollback()
            return self._conflicts_page(request, db, error=error_text(request, exc), status_code=error_status(exc))
        return Redirect(path="/organizer/panels/conflicts", query_params={"notice": notice})

    @post("/conflicts", sync_to_thread=True, guards=[requires(permissions.CONFLICTS_EDIT)])
    def add_conflict(self, request: Request, db: DbSession, data: FormData) -> Template | Redirect:
        edition = _edition(db)

        def add() -> None:  # by name (the page's lists) or by number
            expert_id = conflicts_mod.find_expert(db, form_text(data, "expert") or form_text(data, "expert_id"))
            nomination_id = conflicts_mod.find_nomination(
                db, form_text(data, "nomination") or form_text(data, "nomination_id"),
                edition_id=edition.id if edition else None)
            conflicts_mod.add_conflict(db, expert_id=expert_id, nomination_id=nomination_id,
                                       reason=form_text(data, "reason"), by=request_actor(request))
        return self._act(request, db, add, notice="added")

    @post("/conflicts/{conflict_id:int}/delete", sync_to_thread=True, guards=[requires(permissions.CONFLICTS_EDIT)])
    def delete_conflict(self, request: Request, db: DbSession, conflict_id: FromPath[int]) -> Template | Redirect:
        return self._act(request, db, lambda: conflicts_mod.delete_conflict(db, conflict_id=conflict_id,
                                                                            by=request_actor(request)), notice="removed")

    @post("/groups", sync_to_thread=True, guards=[requires(permissions.CONFLICTS_EDIT)])
    def save_group(self, request: Request, db: DbSession, data: FormData) -> Template | Redirect:
        return self._act(request, db, lambda: conflicts_mod.save_group(
            db, name=form_text(data, "name"), employers=form_text(data, "employers").splitlines(), by=request_actor(request)),
            notice="group")

    @post("/groups/{group_id:int}/delete", sync_to_thread=True, guards=[requires(permissions.CONFLICTS_EDIT)])
    def delete_group(self, request: Request, db: DbSession, group_id: FromPath[int]) -> Template | Redirect:
        return self._act(request, db, lambda: conflicts_mod.delete_group(db, group_id=group_id, by=request_actor(request)),
                         notice="group")

