"""The judge's pages: the queue of anonymized assignments."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.response import Template

from judging.accounts.models import Role
from judging.scoring.service import judge_queue
from judging.web.auth import current_user, requires_role
from judging.web.rendering import DbSession, render


class JudgeController(Controller):
    path = "/judge"
    guards = [requires_role(Role.JUDGE)]

    @get("/", sync_to_thread=True)
    def home(self, request: Request, db: DbSession) -> Template:
        return render(request, "pages/judge_home.html", queue=judge_queue(db, judge=current_user(request)))
