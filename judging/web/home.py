"""The organizer's home: the current edition at a glance (its figures, rounds and the stages of each category).

It sits in the web layer because it gathers what several parts own (scoring's figures, the stages'
pipeline, the expert pool); none of them needs to know about the others for it.
"""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.response import Template
from sqlalchemy import func, select

from judging.editions.models import RoundKind
from judging.editions.service import current_edition_or_none
from judging.panels.models import Expert
from judging.scoring.progress import category_figures
from judging.stages.service import pipeline
from judging.accounts.permissions import ORGANIZER_HOME
from judging.web.guards import requires
from judging.web.rendering import DbSession, render


class OrganizerController(Controller):
    path = "/organizer"
    guards = [requires(ORGANIZER_HOME)]

    @get("/", sync_to_thread=True)
    def home(self, request: Request, db: DbSession) -> Template:
        edition = current_edition_or_none(db)
        if edition is None:
            return render(request, "pages/organizer_home.html", edition=None)
        preliminary = next((r for r in edition.rounds if r.kind is RoundKind.PRELIMINARY), None)
        experts = db.scalar(select(func.count()).select_from(Expert).where(Expert.active.is_(True)))
        return render(request, "pages/organizer_home.html", edition=edition,
                      figures=category_figures(db, edition=edition, round_=preliminary),
                      rounds=edition.rounds, experts=experts, pipelines=pipeline(db, edition=edition))
