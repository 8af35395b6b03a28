"""The awards page (winners, May Day list, naming methods, publishing after a confirmation) and the public
winners page (成果网).

Thin handlers over ``judging.awards.service``."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from judging.accounts import actor_of
from judging.awards import permissions as award_permissions, service
from judging.editions.models import Category, CategoryKey, Round
from judging.editions.service import current_edition_or_none
from judging.errors import Conflict, JudgingError, N_, NotFound
from judging.results import service as results
from judging.web.auth import current_user
from judging.web.guards import requires
from judging.web.forms import error_status, form_text
from judging.web.rendering import DbSession, error_text, render
from judging.web.safety import error_query, url_error

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


def _category(db, category_id: int) -> Category:
    category = db.get(Category, category_id)
    if category is None:
        raise NotFound("category")
    return category


def _load_category(session, params: dict[str, Any]) -> Category | None:
    return session.get(Category, params["category_id"])


may_publish = requires(award_permissions.PUBLISH, load=_load_category)


def _digest(preview: service.PublicationPreview) -> str:
    """What the confirmation page showed: publishing is refused if the list changed since."""
    shown = [preview.run.id] + [[w.place, w.nomination_id, w.title, w.first_inventor, w.employer, w.city]
                                for w in preview.winners]
    return hashlib.sha256(json.dumps(shown, ensure_ascii=False).encode()).hexdigest()


def _awards_page(request: Request, db, *, error: str | None = None, status_code: int = 200) -> Template:
    edition = current_edition_or_none(db)
    user = current_user(request)
    lists = []
    for category in (edition.categories if edition else []):
        run, awards = service.award_list(db, category=category, role=user.role.value)
        unblinded = run is not None and results.unblinding_for(
            db, round_id=run.round_id, category_id=run.category_id) is not None
        lists.append({"category": category, "run": run, "awards": awards, "unblinded": unblinded,
                      "published": service.is_published(db, category_id=category.id)})
    medals = service.may_day_list(db, edition=edition) if edition else []
    return render(request, "pages/results_awards.html", edition=edition, lists=lists, medals=medals, db=db,
                  error=error if error is not None else url_error(request), status_code=status_code)


class AwardsController(Controller):
    path = "/results"
    guards = [requires(award_permissions.VIEW)]

    @get("/awards", sync_to_thread=True)
    def awards(self, request: Request, db: DbSession) -> Template:
        return _awards_page(request, db)

    def _awards_action(self, request: Request, action) -> Redirect:
        db = request.app.state.session_factory()
        try:
            action(db)
            db.commit()
        except JudgingError as exc:
            db.rollback()
            return Redirect(path="/results/awards", query_params=error_query(exc))
        finally:
            db.close()
        return Redirect(path="/results/awards")

    @get("/awards/{category_id:int}/publish", sync_to_thread=True, guards=[may_publish])
    def confirm_publish(self, request: Request, db: DbSession, category_id: FromPath[int]) -> Template:
        """The confirmation step: exactly what goes public (names, employers, the run and the approval)."""
        try:
            category = _category(db, category_id)
            preview = service.publication_preview(db, category=category)
        except NotFound:
            raise NotFoundException() from None
        except JudgingError as exc:
            return _awards_page(request, db, error=error_text(request, exc), status_code=error_status(exc))
        round_ = db.get(Round, preview.run.round_id)
        return render(request, "pages/awards_publish_confirm.html", preview=preview, round=round_,
                      digest=_digest(preview))

    @post("/awards/{category_id:int}/publish", sync_to_thread=True, guards=[may_publish])
    def publish(self, request: Request, db: DbSession, category_id: FromPath[int],
                data: FormData) -> Template | Redirect:
        by = actor_of(current_user(request))
        try:
            category = _category(db, category_id)
            preview = service.publication_preview(db, category=category)
            if form_text(data, "digest") != _digest(preview):
                raise Conflict(N_("The list changed since the confirmation page was shown; check it again."))
            service.publish(db, category=category, by=by)
            db.commit()
        except NotFound:
            db.rollback()
            raise NotFoundException() from None
        except JudgingError as exc:
            db.rollback()
            service.record_refusal(db, category_id=category_id, by=by, reason=str(exc))
            db.commit()
            return _awards_page(request, db, error=error_text(request, exc), status_code=error_status(exc))
        return Redirect(path="/results/awards", query_params={"published": str(category_id)})

    @post("/methods/{nomination_id:int}/name", sync_to_thread=True, guards=[requires(award_permissions.NAME_METHOD)])
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
