"""Pages of the panel meeting: the organizer's set-up, roll call, paper ballots and tally (auditors read
them and make the auditor's key share), and the member's ballot on their own device, its receipt and the
chair's key share. Thin handlers: one service call, commit, redirect (or, where a receipt or a share code
is shown once, the page that shows it).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.orm import Session

from judging import documents
from judging.accounts.models import Role, User
from judging.editions.models import Category, Edition
from judging.editions.service import current_edition_or_none
from judging.errors import JudgingError, N_, NotFound
from judging.meetings import permissions, service, sheet
from judging.meetings.models import Meeting, MeetingMember, MeetingRecusal, MeetingStatus
from judging.panels.models import Expert
from judging.results.models import ResultRun, RunApproval
from judging.stages.models import StageKind, StageStatus
from judging.stages.service import status_of
from judging.web.auth import current_user
from judging.web.guards import loaded, requires
from judging.web.forms import (
    commit_or_refuse, error_status, form_int, form_ints, form_text, needs_confirmation, request_actor,
)
from judging.web.rendering import DbSession, error_text, render

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
load_meeting = loaded(Meeting, "meeting_id")
logger = logging.getLogger(__name__)


def _meeting(db: Session, meeting_id: int) -> Meeting:
    try:
        return service.get_meeting(db, meeting_id)
    except NotFound:
        raise NotFoundException() from None


def _edition(db: Session, year: int | None = None) -> Edition | None:
    """The edition of ``year`` (the current one when not given); None when there is none."""
    if year is not None:
        return db.scalar(select(Edition).where(Edition.year == year))
    return current_edition_or_none(db)


def _local_time(request: Request, data: dict[str, Any], name: str, label: str) -> dt.datetime:
    try:
        value = dt.datetime.strptime(form_text(data, name), LOCAL_FORMAT)
    except ValueError:
        raise service.MeetingError(N_("Give the date and time of {field}."), field=label) from None
    return value.replace(tzinfo=ZoneInfo(request.app.state.settings.timezone)).astimezone(dt.UTC)


def _panel_candidates(db: Session) -> list[Expert]:
    """Active experts with an active judge account: the people who can vote on their own device."""
    return list(db.scalars(select(Expert).join(User, User.id == Expert.user_id)
                           .where(Expert.active.is_(True), User.active.is_(True), User.role == Role.JUDGE)
                           .order_by(Expert.id)))


def _approved_runs(db: Session, category_id: int) -> list[ResultRun]:
    return list(db.scalars(select(ResultRun).join(RunApproval, RunApproval.run_id == ResultRun.id)
                           .where(ResultRun.category_id == category_id).order_by(ResultRun.id.desc())))


def _meeting_view(db: Session, meeting: Meeting) -> dict[str, Any]:
    experts = {e.id: e for e in db.scalars(select(Expert).where(
        Expert.id.in_([m.expert_id for m in meeting.members])))}
    recused = db.scalars(select(MeetingRecusal).where(MeetingRecusal.meeting_id == meeting.id)
                         .order_by(MeetingRecusal.nomination_id, MeetingRecusal.member_id)).all()
    run = db.get(ResultRun, meeting.run_id)
    key = service.key_of(db, meeting)
    tallied = meeting.status is MeetingStatus.TALLIED
    automatic = service.automatic_recusals(db, meeting) if meeting.status is MeetingStatus.SETUP else {}
    return {"meeting": meeting, "experts": experts, "recusals": recused, "run": run,
            "category": db.get(Category, meeting.category_id), "titles": service.titles(db, meeting, whole_run=meeting.status is MeetingStatus.SETUP),
            "entries": sorted(run.entries, key=lambda e: e.rank), "overall": service.overall(meeting),
            "quorum": service.quorum_of(meeting), "threshold": service.threshold_of(meeting),
            "automatic": automatic, "seats": service.seats(meeting), "shortlist": service.slot_rows(meeting),
            "shares": service.shares_of(db, meeting), "key": key, "fingerprint": service.fingerprint(key) if key else "",
            "receipts": service.published_receipts(db, meeting), "verified": tallied and service.verify_tally(db, meeting),
            "minimum_ballots": service.minimum_ballots(meeting), "waiting": len(service.waiting_members(db, meeting)),
            "ballots_cast": sum(1 for m in meeting.members if m.ballot_cast),
            "shortlisted": {row.nomination_id for row in meeting.shortlist},
            "candidates": _panel_candidates(db), "recusal_reasons": service.recusal_reasons,
            "tally_sheet": sheet.stored_sheet(db, meeting.id)}


def ballot_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The choices of a ballot form, keyed by the nominations' handles (fields ``c_<handle>``); a field
    sent twice stays a list, which the service refuses."""
    return {name[2:]: value for name, value in data.items() if name.startswith("c_")}


def _nomination_of(meeting: Meeting, handle: str) -> int:
    row = next((row for row in meeting.shortlist if row.handle == handle), None)
    if row is None:
        raise NotFound("nomination")
    return row.nomination_id


def _make_share(request: Request, db: Session, meeting_id: int, *, back: str) -> Template:
    """Make the caller's share code and show it once (never stored; the page is not cached)."""
    meeting = _meeting(db, meeting_id)
    try:
        code = service.make_key_share(db, meeting=meeting, user=current_user(request))
        db.commit()
    except JudgingError as exc:
        db.rollback()
        return render(request, "pages/meeting_share.html", meeting=meeting, error=error_text(request, exc), back=back,
                      category=db.get(Category, meeting.category_id), status_code=error_status(exc))
    return render(request, "pages/meeting_share.html", meeting=meeting, code=code, back=back,
                  category=db.get(Category, meeting.category_id))


class MeetingsController(Controller):
    path = "/meetings"
    guards = [requires(permissions.VIEW)]

    def _overview(self, request: Request, db: Session, *, year: int | None = None, error: str | None = None,
                  form: dict | None = None, status_code: int = 200) -> Template:
        edition = _edition(db, year)
        categories = []
        for category in (edition.categories if edition else []):
            categories.append({
                "category": category,
                "stage": status_of(db, category_id=category.id, kind=StageKind.PANEL_MEETING),
                "meetings": db.scalars(select(Meeting).where(Meeting.category_id == category.id)
                                       .order_by(Meeting.id.desc())).all(),
                "current": service.current_meeting(db, category_id=category.id),
                "runs": _approved_runs(db, category.id)})
        zone = ZoneInfo(request.app.state.settings.timezone)
        tomorrow = (dt.datetime.now(zone) + dt.timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
        defaults = {"opens_at": tomorrow.strftime(LOCAL_FORMAT),
                    "closes_at": (tomorrow + dt.timedelta(hours=3)).strftime(LOCAL_FORMAT),
                    "quorum": "2/3", "threshold": "2/3", "top_m": "15"}
        years = list(db.scalars(select(Edition.year).order_by(Edition.year.desc())))
        return render(request, "pages/meetings_home.html", edition=edition, categories=categories, years=years,
                      candidates=_panel_candidates(db), form={**defaults, **(form or {})}, error=error,
                      open_status=StageStatus.OPEN, status_code=status_code)

    @get("/", sync_to_thread=True)
    def home(self, request: Request, db: DbSession, year: FromQuery[int | None] = None) -> Template:
        return self._overview(request, db, year=year)

    @post("/", sync_to_thread=True, guards=[requires(permissions.CREATE)])
    def create(self, request: Request, db: DbSession, data: FormData) -> Template | Redirect:
        form = {k: form_text(data, k) for k in ("category_id", "run_id", "top_m", "chair", "opens_at", "closes_at",
                                                 "quorum", "threshold")}
        form["members"] = data.get("member", [])
        try:
            meeting = service.create_meeting(
                db, category_id=form_int(data, "category_id"), run_id=form_int(data, "run_id"),
                top_m=form_int(data, "top_m"), member_expert_ids=form_ints(data, "member"),
                chair_expert_id=form_int(data, "chair", 0), opens_at=_local_time(request, data, "opens_at", N_("Voting opens")),
                closes_at=_local_time(request, data, "closes_at", N_("Voting closes")),
                quorum=service.parse_fraction(form["quorum"], field=N_("Quorum")),
                threshold=service.parse_fraction(form["threshold"], field=N_("Pass threshold")),
                by=request_actor(request))
            db.commit()
        except JudgingError as exc:
            db.rollback()
            return self._overview(request, db, error=error_text(request, exc), form=form,
                                  status_code=error_status(exc))
        return Redirect(path=f"/meetings/{meeting.id}")

    @get("/{meeting_id:int}", sync_to_thread=True)
    def show(self, request: Request, db: DbSession, meeting_id: FromPath[int]) -> Template:
        meeting = _meeting(db, meeting_id)
        return render(request, "pages/meeting.html", **_meeting_view(db, meeting))

    def _act(self, request: Request, db: Session, meeting_id: int, action: Callable[[Meeting], Any]) -> Response:
        meeting = _meeting(db, meeting_id)
        return commit_or_refuse(
            request, db, lambda: action(meeting), then=f"/meetings/{meeting_id}", query={},
            refused=lambda error, status: render(request, "pages/meeting.html", error=error, status_code=status,
                                                 **_meeting_view(db, _meeting(db, meeting_id))))

    @post("/{meeting_id:int}/shortlist", sync_to_thread=True, guards=[requires(permissions.SETUP, load=load_meeting)])
    def shortlist(self, request: Request, db: DbSession, meeting_id: FromPath[int], data: FormData) -> Redirect:
        return self._act(request, db, meeting_id, lambda m: service.set_shortlist(
            db, meeting=m, nomination_ids=form_ints(data, "nomination"), by=request_actor(request)))

    @post("/{meeting_id:int}/attendance", sync_to_thread=True, guards=[requires(permissions.SETUP, load=load_meeting)])
    def attendance(self, request: Request, db: DbSession, meeting_id: FromPath[int], data: FormData) -> Redirect:
        return self._act(request, db, meeting_id, lambda m: service.record_attendance(
            db, meeting=m, member_id=form_int(data, "member_id"), present=form_text(data, "present") == "1",
            by=request_actor(request)))

    @post("/{meeting_id:int}/substitutes", sync_to_thread=True, guards=[requires(permissions.SETUP, load=load_meeting)])
    def substitute(self, request: Request, db: DbSession, meeting_id: FromPath[int], data: FormData) -> Redirect:
        def action(meeting: Meeting) -> None:
            chair = service.chair_of(meeting)
            if form_text(data, "chair_approved") != "1" or chair is None:
                raise service.MeetingError(N_("Only the chair can approve a substitute."))
            service.add_substitute(db, meeting=meeting, absent_member_id=form_int(data, "member_id"),
                                   expert_id=form_int(data, "expert_id"), approved_by_member_id=chair.id,
                                   by=request_actor(request))
        return self._act(request, db, meeting_id, action)

    @post("/{meeting_id:int}/recusals", sync_to_thread=True, guards=[requires(permissions.SETUP, load=load_meeting)])
    def recusal(self, request: Request, db: DbSession, meeting_id: FromPath[int], data: FormData) -> Redirect:
        return self._act(request, db, meeting_id, lambda m: service.record_recusal(
            db, meeting=m, member_id=form_int(data, "member_id"),
            nomination_id=_nomination_of(m, form_text(data, "nomination")), reason=form_text(data, "reason"),
            by=request_actor(request)))

    @post("/{meeting_id:int}/open", sync_to_thread=True, guards=[requires(permissions.OPEN_VOTING, load=load_meeting)])
    def open_voting(self, request: Request, db: DbSession, meeting_id: FromPath[int], data: FormData) -> Response:
        if page := needs_confirmation(
                request, data, title=N_("Open the vote?"), button=N_("Open the vote"), back=f"/meetings/{meeting_id}",
                consequence=N_("The roster freezes: no member, substitute or recusal can change once voting is open.")):
            return page
        return self._act(request, db, meeting_id,
                         lambda m: service.open_voting(db, meeting=m, by=request_actor(request)))

    @post("/{meeting_id:int}/close", sync_to_thread=True, guards=[requires(permissions.CLOSE_VOTING, load=load_meeting)])
    def close_voting(self, request: Request, db: DbSession, meeting_id: FromPath[int], data: FormData) -> Response:
        if page := needs_confirmation(
                request, data, title=N_("Close the vote?"), button=N_("Close the vote"), back=f"/meetings/{meeting_id}",
                consequence=N_("No member can vote online after this; a paper ballot can no longer be entered.")):
            return page
        return self._act(request, db, meeting_id,
                         lambda m: service.close_voting(db, meeting=m, by=request_actor(request)))

    @post("/{meeting_id:int}/paper", sync_to_thread=True, guards=[requires(permissions.SETUP, load=load_meeting)])
    def paper(self, request: Request, db: DbSession, meeting_id: FromPath[int], data: FormData) -> Template:
        """The secretary enters a member's paper ballot; the member (or the chair, with a reason) confirms it
        with their password in the same form. The receipt is shown once, on the page this answers."""
        meeting = _meeting(db, meeting_id)
        try:
            receipt = service.cast_paper_ballot(
                db, meeting=meeting, member_id=form_int(data, "member_id"), choices=ballot_fields(data),
                confirmed_by=form_text(data, "confirmed_by"), password=str(data.get("password") or ""),
                reason=form_text(data, "reason"), by=request_actor(request))
            db.commit()
        except NotFound:
            db.rollback()
            raise NotFoundException() from None
        except JudgingError as exc:
            db.rollback()
            return render(request, "pages/meeting.html", error=error_text(request, exc), status_code=error_status(exc),
                          **_meeting_view(db, _meeting(db, meeting_id)))
        return render(request, "pages/meeting.html", paper_receipt=receipt, **_meeting_view(db, meeting))

    @post("/{meeting_id:int}/share", sync_to_thread=True, guards=[requires(permissions.KEY_SHARE, load=load_meeting)])
    def share(self, request: Request, db: DbSession, meeting_id: FromPath[int]) -> Template:
        return _make_share(request, db, meeting_id, back=f"/meetings/{meeting_id}")

    # No separate confirmation step: typing both holders' share codes is the deliberate act, and a confirmation
    # page would carry the codes in hidden fields.
    @post("/{meeting_id:int}/tally", sync_to_thread=True, guards=[requires(permissions.TALLY, load=load_meeting)])
    def tally(self, request: Request, db: DbSession, meeting_id: FromPath[int], data: FormData) -> Response:
        response = self._act(request, db, meeting_id, lambda m: service.tally(
            db, meeting=m, by=request_actor(request), chair_share=form_text(data, "chair_share"),
            auditor_share=form_text(data, "auditor_share")))
        if isinstance(response, Redirect):  # the tally committed: its sheet is made now, outside that transaction
            try:
                sheet.make_sheet(request.app.state.session_factory, meeting_id=meeting_id, by=request_actor(request))
            except Exception:  # noqa: BLE001 (the tally stands; the sheet is made on its first download instead)
                logger.exception("tally sheet of meeting %s not made", meeting_id)
        return response

    @post("/{meeting_id:int}/cancel", sync_to_thread=True, guards=[requires(permissions.CANCEL, load=load_meeting)])
    def cancel(self, request: Request, db: DbSession, meeting_id: FromPath[int], data: FormData) -> Response:
        if page := needs_confirmation(
                request, data, title=N_("Cancel the meeting?"), button=N_("Cancel the meeting"),
                back=f"/meetings/{meeting_id}",
                consequence=N_("The meeting ends without a result; a new meeting must be set up for this category.")):
            return page
        return self._act(request, db, meeting_id, lambda m: service.cancel_meeting(
            db, meeting=m, reason=form_text(data, "reason"), by=request_actor(request)))

    @get("/{meeting_id:int}/tally.pdf", sync_to_thread=True)
    def tally_sheet(self, request: Request, db: DbSession, meeting_id: FromPath[int]) -> Response:
        document = sheet.stored_sheet(db, meeting_id)
        if document is None:  # tallied before sheets were stored, or its making failed after the tally
            db.rollback()
            try:
                document = sheet.make_sheet(request.app.state.session_factory, meeting_id=meeting_id,
                                            by=request_actor(request))
            except NotFound:
                raise NotFoundException() from None
        return documents.pdf_response(document)


# ---------------------------------------------------------------------- the member's own device


class MemberMeetingsController(Controller):
    path = "/judge/meetings"
    guards = [requires(permissions.MEMBER_VIEW)]

    @get("/", sync_to_thread=True)
    def home(self, request: Request, db: DbSession) -> Template:
        rows = service.meetings_of_user(db, user=current_user(request))
        names = {c.id: c.name for c in db.scalars(select(Category).where(
            Category.id.in_([meeting.category_id for meeting, _member in rows])))}
        return render(request, "pages/member_meetings.html", rows=rows, names=names)

    def _page(self, request: Request, db: Session, meeting_id: int, *, error: str | None = None,
              review: dict[str, str] | None = None, receipt: str | None = None, checked: dict | None = None,
              status_code: int = 200) -> Template:
        member = self._member(request, db, meeting_id)
        meeting = _meeting(db, meeting_id)
        now = dt.datetime.now(dt.UTC)
        chair = service.chair_of(meeting)
        return render(request, "pages/member_ballot.html", meeting=meeting, member=member,
                      category=db.get(Category, meeting.category_id), titles=service.titles(db, meeting),
                      items=service.ballot_items(db, meeting=meeting, member=member),
                      window_open=service.window_open(meeting, now), not_yet=now < meeting.opens_at,
                      is_chair=chair is not None and chair.id == member.id,
                      chair_share=service.shares_of(db, meeting).get(service.CHAIR),
                      receipts=service.published_receipts(db, meeting), error=error, review=review, receipt=receipt,
                      checked=checked, status_code=status_code)

    def _member(self, request: Request, db: Session, meeting_id: int) -> MeetingMember:
        try:
            return service.member_for_user(db, meeting_id=meeting_id, user=current_user(request))
        except NotFound:
            raise NotFoundException() from None

    @get("/{meeting_id:int}", sync_to_thread=True)
    def ballot(self, request: Request, db: DbSession, meeting_id: FromPath[int]) -> Template:
        return self._page(request, db, meeting_id)

    @post("/{meeting_id:int}/ballot", sync_to_thread=True, guards=[requires(permissions.BALLOT, load=load_meeting)])
    def cast(self, request: Request, db: DbSession, meeting_id: FromPath[int], data: FormData) -> Template:
        """First the member reviews the choices (nothing stored), then casts them: they are encrypted at once
        and only the ciphertext is stored. The receipt is shown on the page this answers, once."""
        member = self._member(request, db, meeting_id)
        meeting = _meeting(db, meeting_id)
        choices = ballot_fields(data)
        try:
            if form_text(data, "confirm") != "1":
                review = service.check_ballot(db, meeting=meeting, member=member, choices=choices)
                return self._page(request, db, meeting_id, review=review)
            receipt = service.cast_ballot(db, meeting=meeting, user=current_user(request), choices=choices)
            db.commit()
        except JudgingError as exc:
            db.rollback()
            return self._page(request, db, meeting_id, error=error_text(request, exc), status_code=error_status(exc))
        return self._page(request, db, meeting_id, receipt=receipt)

    @post("/{meeting_id:int}/receipt", sync_to_thread=True)
    def receipt(self, request: Request, db: DbSession, meeting_id: FromPath[int], data: FormData) -> Template:
        """Check a receipt against the list the totals were computed from (a POST: a receipt in a URL
        would end up in access logs next to the member's session)."""
        self._member(request, db, meeting_id)
        text = form_text(data, "receipt")
        try:
            found = service.check_receipt(db, meeting=_meeting(db, meeting_id), receipt=text)
        except JudgingError as exc:
            return self._page(request, db, meeting_id, error=error_text(request, exc), status_code=error_status(exc))
        return self._page(request, db, meeting_id, checked={"receipt": text, "found": found})

    @post("/{meeting_id:int}/share", sync_to_thread=True, guards=[requires(permissions.KEY_SHARE, load=load_meeting)])
    def share(self, request: Request, db: DbSession, meeting_id: FromPath[int]) -> Template:
        self._member(request, db, meeting_id)
        return _make_share(request, db, meeting_id, back=f"/judge/meetings/{meeting_id}")
