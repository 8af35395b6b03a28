"""The organizer's "remind the late judges" of a round: who would get a reminder, then send it."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from judging.editions import service as editions
from judging.errors import NotFound
from judging.scoring.reminders import late_judges, remind_late_judges
from judging.scoring.permissions import REMIND
from judging.web.guards import requires
from judging.web.forms import request_actor
from judging.web.rendering import DbSession, render


class RemindersController(Controller):
    path = "/organizer/rounds/{round_id:int}/reminders"
    guards = [requires(REMIND)]

    def _round(self, db, round_id: int):
        try:
            return editions.get_round(db, round_id=round_id)
        except NotFound:
            raise NotFoundException() from None

    @get("/", sync_to_thread=True)
    def preview(self, request: Request, db: DbSession, round_id: FromPath[int],
                sent: FromQuery[int | None] = None, judges: FromQuery[int | None] = None) -> Template:
        round_ = self._round(db, round_id)
        return render(request, "pages/reminders.html", round=round_, late=late_judges(db, round_=round_),
                      sent=sent, judges=judges)

    @post("/", sync_to_thread=True)
    def send(self, request: Request, db: DbSession, round_id: FromPath[int]) -> Redirect:
        reminded = remind_late_judges(db, round_=self._round(db, round_id), by=request_actor(request))
        db.commit()
        return Redirect(path=f"/organizer/rounds/{round_id}/reminders/",
                        query_params={"sent": str(reminded.queued), "judges": str(reminded.judges)})
