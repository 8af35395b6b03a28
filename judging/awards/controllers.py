"""The awards page (winners, May Day list, naming methods, publishing) and the public winners page (成果网).

Thin handlers over ``judging.awards.service``."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from judging.accounts import actor_of
from judging.accounts.models import Role
from judging.awards import service
from judging.editions.models import Category, CategoryKey
from judging.editions.service import current_edition_or_none
from judging.errors import JudgingError, NotFound
from judging.results import service as results
from judging.web.auth import current_user, requires_role
from judging.web.rendering import DbSession, error_text, render

organizer_only = requires_role(Role.ORGANIZER)


def _category(db, category_id: int) -> Category:
    category = db.get(Category, category_id)
    if category is None:
        raise NotFound("category")
    return category


class AwardsController(Controller):
    path = "/results"
    guards = [requires_role(Role.ORGANIZER, Role.AUDITOR)]

    @get("/awards", sync_to_thread=True)
    def awards(self, request: Request, db: DbSession) -> Template:
        edition = current_edition_or_none(db)
        user = current_user(request)
        lists = []
        for category in (edition.categories if edition else []):
            run, awards = service.award_list(db, category=category, role=user.role.value)
            unblinded = run is not None and results.unblinding_for(
                db, round_id=run.round_id, category_id=run.category_id) is not None
            lists.append({"category": category, "run": run, "awards": awards, "unblinded": unblinded,
                          "published": run is not None and service.published_for(db, run=run)})
        medals = service.may_day_list(db, edition=edition, role=user.role.value) if edition else []
        return render(request, "pages/results_awards.html", edition=edition, lists=lists, medals=medals,
                      error=request.query_params.get("error"))

    def _awards_action(self, request: Request, action) -> Redirect:
        db = request.app.state.session_factory()
        try:
            action(db)
            db.commit()
        except JudgingError as exc:
            db.rollback()
            return Redirect(path="/results/awards", query_params={"error": error_text(request, exc)})
        finally:
            db.close()
        return Redirect(path="/results/awards")

    @post("/awards/{category_id:int}/publish", sync_to_thread=True, guards=[organizer_only])
    def publish(self, request: Request, category_id: FromPath[int]) -> Redirect:
        by = actor_of(current_user(request))
        return self._awards_action(
            request, lambda db: service.publish(db, category=_category(db, category_id), by=by))

    @post("/methods/{nomination_id:int}/name", sync_to_thread=True, guards=[organizer_only])
    def name_method(self, request: Request, nomination_id: FromPath[int]) -> Redirect:
        by = actor_of(current_user(request))
        return self._awards_action(request, lambda db: service.name_method(db, nomination_id=nomination_id, by=by))


class PublicController(Controller):
    path = "/public"

    @get("/winners", sync_to_thread=True, include_in_schema=False)
    def winners(self, request: Request, db: DbSession, year: FromQuery[int | None] = None,
                category: FromQuery[str | None] = None, q: FromQuery[str] = "") -> Template:
        rows = service.public_winners(db, year=year, category_key=category, query=q[:100])
        return render(request, "pages/public_winners.html", rows=rows, years=service.published_years(db),
                      year=year, category=category, q=q[:100], categories=[k.value for k in CategoryKey])
