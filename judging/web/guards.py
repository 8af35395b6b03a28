"""The route guard every page uses: a named permission, asked of the user and (optionally) the route's object.

``requires(permission, load=...)`` answers 401 to anonymous visitors, 404 where the user may not see the
object (or it does not exist), and 403 with the translated reason where the user may see it but not do
this now (the stage or approval it needs). The permission is kept on the guard, so the access matrix test
can read which permission guards each route.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, NotFoundException
from litestar.handlers.base import BaseRouteHandler
from sqlalchemy.orm import Session

from judging import audit
from judging.accounts import actor_of
from judging.accounts.permissions import Decision, Permission, Refused, decide, get
from judging.editions.service import current_edition_or_none
from judging.errors import NotFound
from judging.web.auth import current_user

Loader = Callable[[Session, dict[str, Any]], Any]


def requires(perm: Permission | str, *, load: Loader | None = None):
    """A guard asking ``perm`` of the user and of ``load(session, path_params)`` (None: no object; a loader
    that finds nothing answers 404)."""

    async def guard(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
        user = current_user(connection)
        decision = await anyio.to_thread.run_sync(_decide, connection, perm, load)
        if decision.allowed:
            return
        if user is None:
            raise NotAuthorizedException()
        if decision.hidden or decision.reason is None:
            raise NotFoundException()
        raise Refused(get(perm).name, decision.reason)

    guard.permission, guard.load = perm, load  # type: ignore[attr-defined]
    guard.__name__ = "requires_" + (perm if isinstance(perm, str) else perm.name).replace(".", "_")
    return guard


def _decide(connection: ASGIConnection, perm: Permission | str, load: Loader | None) -> Decision:
    user = current_user(connection)
    with connection.app.state.session_factory() as session:
        obj = None
        if load is not None:
            try:
                obj = load(session, dict(connection.path_params))
            except NotFound:
                obj = None
            if obj is None:
                # Nothing there: a user who may use the route at all learns only that (404).
                if user is None:
                    raise NotAuthorizedException()
                raise NotFoundException()
        decision = decide(user, perm, obj, session=session)
        if not decision.allowed and not decision.hidden and user is not None and get(perm).audit_refusals:
            _audit_refusal(session, user, get(perm), obj, decision)
        if decision.allowed and obj is not None:
            # The handler may take the object from here rather than look it up again (a judge's handle): its
            # kind and id, as the guard's session ends here.
            connection.state.guarded = (type(obj), getattr(obj, "id", None))
        return decision


def _audit_refusal(session: Session, user, perm: Permission, obj: Any, decision: Decision) -> None:
    """An attempt on an integrity rule (publication, unblinding, ballots) that was refused is on the record."""
    audit.append(session, actor=actor_of(user), action="permission.refused", object_type="permission",
                 object_id=perm.name, data={"on": type(obj).__name__ if obj is not None else None,
                                            "id": getattr(obj, "id", None), "reason": decision.reason.message,
                                            "params": {k: str(v) for k, v in decision.reason.params.items()}})
    session.commit()


def permissions_of(handler: BaseRouteHandler) -> list[tuple[Permission | str, bool]]:
    """The permissions a route handler's guards ask (its own and its controller's), each with whether the guard
    loads the route's object (without one, the stage of a category cannot be asked), for the access matrix."""
    return [(g.permission, g.load is not None) for g in handler.resolve_guards() if hasattr(g, "permission")]


def loaded(model: type, param: str, *, current_edition: bool = False) -> Loader:
    """A loader for the common case: the row of ``model`` whose primary key is the path parameter ``param``;
    with ``current_edition``, only a row of the current edition (the pages that work on it answer 404 for
    another edition's ids, as their services do)."""

    def load(session: Session, params: dict[str, Any]) -> Any:
        row = session.get(model, params[param])
        if row is not None and current_edition:
            edition = current_edition_or_none(session)
            return row if edition is not None and row.edition_id == edition.id else None
        return row
    load.__name__ = f"load_{model.__name__}_{param}"
    return load
