"""The organizer's home (the edition at a glance) and the admin's account list."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.response import Template
from sqlalchemy import select

from judging.accounts.models import Role, User
from judging.editions.models import RoundKind
from judging.editions.service import category_figures, current_edition
from judging.errors import NotFound
from judging.panels.models import Expert
from judging.stages.service import pipeline
from judging.web.auth import requires_role
from judging.web.rendering import DbSession, render


class OrganizerController(Controller):
    path = "/organizer"
    guards = [requires_role(Role.ORGANIZER)]

    @get("/", sync_to_thread=True)
    def home(self, request: Request, db: DbSession) -> Template:
        try:
            edition = current_edition(db)
        except NotFound:
            return render(request, "pages/organizer_home.html", edition=None)
        preliminary = next((r for r in edition.rounds if r.kind is RoundKind.PRELIMINARY), None)
        figures = category_figures(db, edition=edition, round_=preliminary)
        experts = db.query(Expert).filter(Expert.active.is_(True)).count()
        return render(request, "pages/organizer_home.html", edition=edition, figures=figures,
                      rounds=edition.rounds, experts=experts, pipelines=pipeline(db, edition=edition))


class AdminController(Controller):
    path = "/admin"
    guards = [requires_role(Role.ADMIN)]

    @get("/", sync_to_thread=True)
    def home(self, request: Request, db: DbSession) -> Template:
        users = db.scalars(select(User).order_by(User.role, User.username)).all()
        return render(request, "pages/admin_home.html", users=users)
