"""The panel meeting (会议评审): set-up, roll call, recusals, secret ballot, paper ballots and the tally.

Every function takes the caller's Session, never commits, and appends one audit event per change.
What is written for a ballot is chosen so that nobody can tell how a member voted (see
``judging.meetings.models``): the audit event of a ballot names the member and never the choices;
refusals never repeat them either.

Counting rules (SPEC §3): for each shortlisted nomination, the seats that are not recused from it
are its members and those of them present its present count. The quorum holds when
present / members ≥ quorum and the nomination passes when agree / present ≥ threshold; both are
exact fractions (default 2/3), compared inclusively.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from judging import audit
from judging.accounts import actor_of
from judging.accounts.models import Role, User
from judging.db.base import utcnow
from judging.editions.models import Category, Edition, Round, RoundKind
from judging.errors import N_, Conflict, JudgingError, NotFound
from judging.meetings.models import (
    Choice, Meeting, MeetingMember, MeetingNomination, MeetingRecusal, MeetingStatus, PaperBallot, PaperStatus,
    RecusalSource,
)
from judging.nominations.models import Nomination, NominationIdentity
from judging.panels.conflicts import REASON_LABELS, SAME_CITY, conflict_set, same_city_rule
from judging.panels.models import Expert
from judging.results.models import ResultRun, RunApproval
from judging.stages.models import StageKind
from judging.stages.service import Blocker, require_open

DEFAULT_FRACTION = Fraction(2, 3)
ONLINE, PAPER = "online", "paper"


class MeetingError(JudgingError):
    """A meeting action refused; nothing was changed. Text parameters that are message ids (a field's
    label) are translated too; names and numbers pass through as they are."""

    def render(self, gettext) -> str:
        return gettext(self.message).format(**{k: gettext(v) if isinstance(v, str) else v
                                                for k, v in self.params.items()})


# --------------------------------------------------------------------------- reading


def get_meeting(session: Session, meeting_id: int) -> Meeting:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound("meeting")
    return meeting


def current_meeting(session: Session, *, category_id: int) -> Meeting | None:
    """The category's meeting that is not cancelled (there is at most one)."""
    return session.scalar(select(Meeting).where(Meeting.category_id == category_id,
                                                Meeting.status != MeetingStatus.CANCELLED)
                          .order_by(Meeting.id.desc()).limit(1))


def quorum_of(meeting: Meeting) -> Fraction:
    return Fraction(meeting.quorum_num, meeting.quorum_den)


def threshold_of(meeting: Meeting) -> Fraction:
    return Fraction(meeting.threshold_num, meeting.threshold_den)


def parse_fraction(text: str, *, field: str) -> Fraction:
    """"2/3", "0.75" or "1" as an exact fraction in (0, 1]; anything else is refused."""
    try:
        value = Fraction(str(text).strip().replace("／", "/"))
    except (ValueError, ZeroDivisionError):
        raise MeetingError(N_("{field} must be a fraction such as 2/3."), field=field) from None
    check_fraction(value, field=field)
    return value


def check_fraction(value: Fraction, *, field: str) -> None:
    if not 0 < value <= 1:
        raise MeetingError(N_("{field} must be more than 0 and at most 1."), field=field)


def seats(meeting: Meeting) -> list[MeetingMember]:
    """The members who count: everyone but those replaced by a substitute."""
    return [m for m in meeting.members if not m.replaced]


def chair_of(meeting: Meeting) -> MeetingMember | None:
    return next((m for m in meeting.members if m.is_chair), None)


def recusals(session: Session, meeting: Meeting) -> set[tuple[int, int]]:
    """(member id, nomination id) pairs stored for the meeting."""
    return {(member_id, nomination_id) for member_id, nomination_id in session.execute(
        select(MeetingRecusal.member_id, MeetingRecusal.nomination_id).where(MeetingRecusal.meeting_id == meeting.id))}


def automatic_recusals(session: Session, meeting: Meeting) -> dict[tuple[int, int], list[str]]:
    """(member id, nomination id) -> reasons, from the panels part's conflicts as they stand now."""
    holders = seats(meeting)
    if not holders or not meeting.shortlist:
        return {}
    ids = [row.nomination_id for row in meeting.shortlist]
    people = {i.nomination_id: i for i in session.scalars(
        select(NominationIdentity).where(NominationIdentity.nomination_id.in_(ids)))}
    experts = [session.get(Expert, m.expert_id) for m in holders]
    edition = session.get(Edition, meeting.edition_id)
    final = session.scalar(select(Round).where(Round.edition_id == edition.id, Round.kind == RoundKind.FINAL))
    same_city = same_city_rule(edition, final)
    nominations = [(nid, people[nid].employer if nid in people else "", people[nid].city if nid in people else "")
                   for nid in ids]
    found = conflict_set(session, nominations=nominations, experts=experts, same_city=same_city)
    out: dict[tuple[int, int], list[str]] = {}
    rows, cols = found.matrix.nonzero()
    for i, j in zip(rows.tolist(), cols.tolist()):
        out[(holders[j].id, ids[i])] = found.reasons.get((i, j)) or [SAME_CITY]
    return out


# --------------------------------------------------------------------------- set-up


def _audit(session: Session, by: audit.Actor, action: str, meeting: Meeting, **data: Any) -> None:
    session.flush()
    audit.append(session, actor=by, action=action, object_type="meeting", object_id=meeting.id,
                 data={"category_id": meeting.category_id, **data})


def _require_status(meeting: Meeting, *allowed: MeetingStatus) -> None:
    if meeting.status not in allowed:
        messages = {
            MeetingStatus.SETUP: N_("This can only be done before voting opens."),
            MeetingStatus.VOTING: N_("Voting is not open."),
            MeetingStatus.CLOSED: N_("Voting has not been closed yet."),
        }
        raise MeetingError(messages.get(allowed[0], N_("The meeting is over.")))


def _approved_run(session: Session, *, run_id: int, category_id: int) -> ResultRun:
    run = session.get(ResultRun, run_id)
    if run is None or run.category_id != category_id:
        raise NotFound("run")
    approved = session.scalar(select(RunApproval).where(RunApproval.run_id == run.id))
    if approved is None:
        raise MeetingError(N_("The shortlist must come from an approved result run."))
    return run


def _voting_member_expert(session: Session, expert_id: int) -> Expert:
    expert = session.get(Expert, expert_id)
    if expert is None:
        raise NotFound("expert")
    user = session.get(User, expert.user_id) if expert.user_id is not None else None
    if user is None or user.role is not Role.JUDGE or not user.active or not expert.active:
        raise MeetingError(N_("{name} has no active judge account to vote with."), name=expert.name)
    return expert


def _shortlist_rows(run: ResultRun, nomination_ids: list[int]) -> list[MeetingNomination]:
    entries = {e.nomination_id: e for e in run.entries}
    unknown = [nid for nid in nomination_ids if nid not in entries]
    if unknown:
        raise MeetingError(N_("Only nominations of the run can be shortlisted."))
    if not nomination_ids:
        raise MeetingError(N_("Shortlist at least one nomination."))
    chosen = sorted({entries[nid] for nid in nomination_ids}, key=lambda e: (e.rank, e.code))
    return [MeetingNomination(nomination_id=e.nomination_id, rank=e.rank, code=e.code) for e in chosen]


def create_meeting(session: Session, *, category_id: int, run_id: int, top_m: int, member_expert_ids: list[int],
                   chair_expert_id: int, opens_at: dt.datetime, closes_at: dt.datetime,
                   quorum: Fraction = DEFAULT_FRACTION, threshold: Fraction = DEFAULT_FRACTION,
                   by: audit.Actor) -> Meeting:
    """A meeting for the category: the top ``top_m`` of an approved run, its members and chair, the
    voting window and the two fractions. Needs the category's panel-meeting stage open."""
    category = session.get(Category, category_id)
    if category is None:
        raise NotFound("category")
    require_open(session, category_id=category_id, kind=StageKind.PANEL_MEETING)
    if current_meeting(session, category_id=category_id) is not None:
        raise Conflict(N_("This category already has a panel meeting; cancel it first."))
    run = _approved_run(session, run_id=run_id, category_id=category_id)
    if top_m < 1:
        raise MeetingError(N_("Shortlist at least one nomination."))
    if closes_at <= opens_at:
        raise MeetingError(N_("Voting must close after it opens."))
    check_fraction(quorum, field=N_("Quorum"))
    check_fraction(threshold, field=N_("Pass threshold"))
    member_ids = list(dict.fromkeys(member_expert_ids))
    if not member_ids:
        raise MeetingError(N_("Choose the members of the panel."))
    if chair_expert_id not in member_ids:
        raise MeetingError(N_("The chair must be one of the members."))
    experts = [_voting_member_expert(session, expert_id) for expert_id in member_ids]
    meeting = Meeting(edition_id=category.edition_id, category_id=category.id, run_id=run.id,
                      status=MeetingStatus.SETUP, opens_at=opens_at, closes_at=closes_at,
                      quorum_num=quorum.numerator, quorum_den=quorum.denominator,
                      threshold_num=threshold.numerator, threshold_den=threshold.denominator,
                      created_by_id=by.id, cancel_reason="")
    top = [e.nomination_id for e in run.entries if e.rank <= top_m]
    meeting.shortlist = _shortlist_rows(run, top)
    meeting.members = [MeetingMember(expert_id=e.id, is_chair=e.id == chair_expert_id, replaced=False,
                                     ballot_cast=False, ballot_method="") for e in experts]
    session.add(meeting)
    _audit(session, by, "meeting.created", meeting, run_id=run.id, top_m=top_m,
           shortlist=[row.nomination_id for row in meeting.shortlist], members=member_ids, chair=chair_expert_id,
           opens_at=opens_at, closes_at=closes_at, quorum=str(quorum), threshold=str(threshold))
    return meeting


def set_shortlist(session: Session, *, meeting: Meeting, nomination_ids: list[int], by: audit.Actor) -> Meeting:
    """Adjust the shortlist (any nominations of the meeting's run) before voting opens."""
    _require_status(meeting, MeetingStatus.SETUP)
    run = _approved_run(session, run_id=meeting.run_id, category_id=meeting.category_id)
    rows = _shortlist_rows(run, list(dict.fromkeys(nomination_ids)))
    wanted = {row.nomination_id: row for row in rows}
    session.execute(MeetingRecusal.__table__.delete().where(
        MeetingRecusal.meeting_id == meeting.id, MeetingRecusal.nomination_id.not_in(list(wanted))))
    meeting.shortlist = [row for row in meeting.shortlist if row.nomination_id in wanted] + [
        row for nid, row in wanted.items() if nid not in {r.nomination_id for r in meeting.shortlist}]
    session.flush()
    session.expire(meeting, ["shortlist"])
    _audit(session, by, "meeting.shortlist_set", meeting, shortlist=list(wanted))
    return meeting


def _member(meeting: Meeting, member_id: int) -> MeetingMember:
    member = next((m for m in meeting.members if m.id == member_id), None)
    if member is None:
        raise NotFound("member")
    return member


def record_attendance(session: Session, *, meeting: Meeting, member_id: int, present: bool,
                      by: audit.Actor) -> MeetingMember:
    _require_status(meeting, MeetingStatus.SETUP)
    member = _member(meeting, member_id)
    if member.replaced or member.substitute_for_id is not None:
        raise MeetingError(N_("A substitution is recorded for this seat; its attendance is settled."))
    member.present = present
    _audit(session, by, "meeting.attendance_recorded", meeting, member=member.id, expert=member.expert_id, present=present)
    return member


def add_substitute(session: Session, *, meeting: Meeting, absent_member_id: int, expert_id: int,
                   approved_by_member_id: int, by: audit.Actor) -> MeetingMember:
    """An absent member's seat goes to ``expert_id``, with the approval of the chair (recorded)."""
    _require_status(meeting, MeetingStatus.SETUP)
    absent = _member(meeting, absent_member_id)
    approver = _member(meeting, approved_by_member_id)
    if not approver.is_chair or approver.replaced:
        raise MeetingError(N_("Only the chair can approve a substitute."))
    if approver.present is not True:
        raise MeetingError(N_("The chair must be present to approve a substitute."))
    if absent.present is not False or absent.replaced:
        raise MeetingError(N_("Only a member recorded as absent can be replaced."))
    if absent.is_chair:
        raise MeetingError(N_("The chair cannot be replaced by a substitute."))
    if any(m.expert_id == expert_id for m in meeting.members):
        raise MeetingError(N_("This expert is already on the panel."))
    expert = _voting_member_expert(session, expert_id)
    substitute = MeetingMember(expert_id=expert.id, is_chair=False, present=True, substitute_for_id=absent.id,
                               approved_by_member_id=approver.id, replaced=False, ballot_cast=False,
                               ballot_method="")
    absent.replaced = True
    meeting.members.append(substitute)
    _audit(session, by, "meeting.substitute_seated", meeting, absent_member=absent.id, absent_expert=absent.expert_id,
           substitute_expert=expert.id, approved_by_member=approver.id, approved_by_expert=approver.expert_id)
    return substitute


def record_recusal(session: Session, *, meeting: Meeting, member_id: int, nomination_id: int, reason: str,
                   by: audit.Actor) -> MeetingRecusal:
    """A member declares at the meeting that they take no part in one nomination's vote."""
    _require_status(meeting, MeetingStatus.SETUP)
    member = _member(meeting, member_id)
    if member.replaced:
        raise MeetingError(N_("This member has been replaced by a substitute."))
    if nomination_id not in {row.nomination_id for row in meeting.shortlist}:
        raise NotFound("nomination")
    reason = (reason or "").strip()
    if not reason:
        raise MeetingError(N_("Give the reason for the recusal."))
    if (member.id, nomination_id) in recusals(session, meeting):
        raise Conflict(N_("This recusal is already recorded."))
    row = MeetingRecusal(meeting_id=meeting.id, member_id=member.id, nomination_id=nomination_id,
                         source=RecusalSource.RECORDED, reason=reason)
    session.add(row)
    _audit(session, by, "meeting.recusal_recorded", meeting, member=member.id, expert=member.expert_id,
           nomination=nomination_id, reason=reason)
    return row


def open_voting(session: Session, *, meeting: Meeting, by: audit.Actor, now: dt.datetime | None = None) -> Meeting:
    """Freeze the roster and open the ballot: everyone's attendance must be recorded. The conflicts
    known now become recusals, so that a conflict entered later cannot change a count already cast."""
    now = now or utcnow()
    _require_status(meeting, MeetingStatus.SETUP)
    require_open(session, category_id=meeting.category_id, kind=StageKind.PANEL_MEETING)
    if now >= meeting.closes_at:
        raise MeetingError(N_("The voting window has already ended."))
    if not meeting.shortlist:
        raise MeetingError(N_("Shortlist at least one nomination."))
    missing = [m for m in seats(meeting) if m.present is None]
    if missing:
        raise MeetingError(N_("Record the attendance of every member first ({count} missing)."), count=len(missing))
    stored = recusals(session, meeting)
    added = 0
    for (member_id, nomination_id), reasons in sorted(automatic_recusals(session, meeting).items()):
        if (member_id, nomination_id) not in stored:
            session.add(MeetingRecusal(meeting_id=meeting.id, member_id=member_id, nomination_id=nomination_id,
                                       source=RecusalSource.AUTOMATIC, reason=",".join(reasons)))
            added += 1
    meeting.status, meeting.voting_opened_at = MeetingStatus.VOTING, now
    _audit(session, by, "meeting.voting_opened", meeting, automatic_recusals=added)
    return meeting


# --------------------------------------------------------------------------- voting


def member_for_user(session: Session, *, meeting_id: int, user: User) -> MeetingMember:
    """The seat ``user`` holds in the meeting; NotFound for anyone else (judges' object-level check)."""
    member = session.scalar(select(MeetingMember).join(Expert, Expert.id == MeetingMember.expert_id)
                            .where(MeetingMember.meeting_id == meeting_id, Expert.user_id == user.id))
    if member is None:
        raise NotFound("meeting")
    return member


def meetings_of_user(session: Session, *, user: User) -> list[tuple[Meeting, MeetingMember]]:
    rows = session.execute(select(Meeting, MeetingMember).join(MeetingMember, MeetingMember.meeting_id == Meeting.id)
                           .join(Expert, Expert.id == MeetingMember.expert_id)
                           .where(Expert.user_id == user.id, Meeting.status != MeetingStatus.CANCELLED)
                           .order_by(Meeting.id.desc()))
    return list(rows)


def ballot_items(session: Session, *, meeting: Meeting, member: MeetingMember) -> list[MeetingNomination]:
    """The shortlisted nominations on this member's ballot (those the member is not recused from)."""
    recused = {nid for mid, nid in recusals(session, meeting) if mid == member.id}
    return [row for row in meeting.shortlist if row.nomination_id not in recused]


def window_open(meeting: Meeting, now: dt.datetime) -> bool:
    return meeting.status is MeetingStatus.VOTING and meeting.opens_at <= now < meeting.closes_at


def _check_may_vote(session: Session, meeting: Meeting, member: MeetingMember,
                    now: dt.datetime) -> list[MeetingNomination]:
    if meeting.status is not MeetingStatus.VOTING:
        raise MeetingError(N_("Voting is not open."))
    if now < meeting.opens_at:
        raise MeetingError(N_("Voting has not started yet."))
    if now >= meeting.closes_at:
        raise MeetingError(N_("Voting has closed."))
    if member.replaced:
        raise MeetingError(N_("This member has been replaced by a substitute."))
    if member.present is not True:
        raise MeetingError(N_("Only members present can vote."))
    if member.ballot_cast:
        raise Conflict(N_("This member has already voted; a ballot cannot be cast twice."))
    items = ballot_items(session, meeting=meeting, member=member)
    if not items:
        raise MeetingError(N_("This member is recused from every shortlisted nomination."))
    return items


def _mark_cast(session: Session, meeting: Meeting, member: MeetingMember, method: str) -> None:
    # The guarded UPDATE makes two simultaneous ballots of one member impossible: only one sees the row unflagged.
    done = session.execute(update(MeetingMember).where(MeetingMember.id == member.id,
                                                       MeetingMember.ballot_cast.is_(False))
                           .values(ballot_cast=True, ballot_method=method).execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise Conflict(N_("This member has already voted; a ballot cannot be cast twice."))
    session.expire(member, ["ballot_cast", "ballot_method"])


def _add_counts(session: Session, meeting: Meeting, choices: Mapping[int, Choice]) -> None:
    # Increments in the database (not read-modify-write), so concurrent ballots all count.
    for nomination_id, choice in sorted(choices.items()):
        column = {Choice.AGREE: MeetingNomination.agree, Choice.DISAGREE: MeetingNomination.disagree,
                  Choice.ABSTAIN: MeetingNomination.abstain}[choice]
        session.execute(update(MeetingNomination).where(MeetingNomination.meeting_id == meeting.id,
                                                        MeetingNomination.nomination_id == nomination_id)
                        .values({column.key: column + 1}).execution_options(synchronize_session=False))
    for row in meeting.shortlist:
        session.expire(row, ["agree", "disagree", "abstain"])


def _parse_choices(raw: Mapping[int, str | Choice], allowed: set[int], *, complete: bool) -> dict[int, Choice]:
    try:
        choices = {int(nid): Choice(value) for nid, value in raw.items() if value not in ("", None)}
    except ValueError:
        raise MeetingError(N_("Each choice must be agree, disagree or abstain.")) from None
    if set(choices) - allowed:
        raise MeetingError(N_("The ballot names a nomination that is not on it."))
    if complete and set(choices) != allowed:
        raise MeetingError(N_("Choose agree, disagree or abstain for every nomination on the ballot."))
    return choices


def check_ballot(session: Session, *, meeting: Meeting, member: MeetingMember, choices: Mapping[int, str | Choice],
                 now: dt.datetime | None = None) -> dict[int, Choice]:
    """Whether the member may cast these choices now (the member's review step); stores nothing."""
    items = _check_may_vote(session, meeting, member, now or utcnow())
    return _parse_choices(choices, {row.nomination_id for row in items}, complete=True)


def cast_ballot(session: Session, *, meeting: Meeting, user: User, choices: Mapping[int, str | Choice],
                now: dt.datetime | None = None) -> MeetingMember:
    """A member's own ballot: one choice for every nomination on it, counted at once, only once."""
    member = member_for_user(session, meeting_id=meeting.id, user=user)
    parsed = check_ballot(session, meeting=meeting, member=member, choices=choices, now=now)
    _mark_cast(session, meeting, member, ONLINE)
    _add_counts(session, meeting, parsed)
    _audit(session, actor_of(user), "meeting.ballot_cast", meeting, member=member.id,
           expert=member.expert_id, method=ONLINE)
    return member


def receive_paper_ballot(session: Session, *, meeting: Meeting, member_id: int, by: audit.Actor,
                         now: dt.datetime | None = None) -> MeetingMember:
    """The secretary records that a member put a (sealed, anonymous) paper ballot in the box."""
    now = now or utcnow()
    member = _member(meeting, member_id)
    _check_may_vote(session, meeting, member, now)
    _mark_cast(session, meeting, member, PAPER)
    _audit(session, by, "meeting.ballot_cast", meeting, member=member.id, expert=member.expert_id, method=PAPER)
    return member


def close_voting(session: Session, *, meeting: Meeting, by: audit.Actor, now: dt.datetime | None = None) -> Meeting:
    _require_status(meeting, MeetingStatus.VOTING)
    meeting.status, meeting.voting_closed_at = MeetingStatus.CLOSED, now or utcnow()
    _audit(session, by, "meeting.voting_closed", meeting,
           ballots=sum(1 for m in seats(meeting) if m.ballot_cast))
    return meeting


def _ensure_closed(session: Session, meeting: Meeting, by: audit.Actor, now: dt.datetime) -> None:
    """Voting is over when the organizer closed it or its window has ended (then it is closed now)."""
    if meeting.status is MeetingStatus.VOTING and now >= meeting.closes_at:
        close_voting(session, meeting=meeting, by=by, now=now)
    _require_status(meeting, MeetingStatus.CLOSED)


def _paper(session: Session, meeting: Meeting, entry_id: int) -> PaperBallot:
    entry = session.get(PaperBallot, entry_id)
    if entry is None or entry.meeting_id != meeting.id:
        raise NotFound("paper ballot")
    return entry


def _paper_counts(session: Session, meeting: Meeting) -> dict[PaperStatus, int]:
    counts = {status: 0 for status in PaperStatus}
    for status in session.scalars(select(PaperBallot.status).where(PaperBallot.meeting_id == meeting.id)):
        counts[status] += 1
    return counts


def enter_paper_ballot(session: Session, *, meeting: Meeting, choices: Mapping[int, str | Choice],
                       by: audit.Actor, now: dt.datetime | None = None) -> PaperBallot:
    """After voting closes, the secretary enters one paper from the box (a blank item is left out).
    It counts only once a different organizer confirms it."""
    now = now or utcnow()
    _ensure_closed(session, meeting, by, now)
    parsed = _parse_choices(choices, {row.nomination_id for row in meeting.shortlist}, complete=False)
    if not parsed:
        raise MeetingError(N_("The paper ballot is blank; enter at least one choice."))
    received = sum(1 for m in seats(meeting) if m.ballot_method == PAPER)
    counts = _paper_counts(session, meeting)
    if counts[PaperStatus.PENDING] + counts[PaperStatus.CONFIRMED] >= received:
        raise MeetingError(N_("Every paper ballot handed in ({count}) has been entered already."), count=received)
    entry = PaperBallot(meeting_id=meeting.id, status=PaperStatus.PENDING,
                        choices={str(nid): choice.value for nid, choice in sorted(parsed.items())},
                        entered_by_id=by.id)
    session.add(entry)
    session.flush()
    _audit(session, by, "meeting.paper_ballot_entered", meeting, entry=entry.id)
    return entry


def _present_by_nomination(session: Session, meeting: Meeting) -> dict[int, tuple[int, int]]:
    """nomination id -> (seats not recused, of them present)."""
    recused = recusals(session, meeting)
    holders = seats(meeting)
    out = {}
    for row in meeting.shortlist:
        eligible = [m for m in holders if (m.id, row.nomination_id) not in recused]
        out[row.nomination_id] = (len(eligible), sum(1 for m in eligible if m.present))
    return out


def confirm_paper_ballot(session: Session, *, meeting: Meeting, entry_id: int, by: audit.Actor) -> PaperBallot:
    """A second organizer checks the entry against the paper; it is then counted and its choices erased."""
    _require_status(meeting, MeetingStatus.CLOSED)
    entry = _paper(session, meeting, entry_id)
    if entry.status is not PaperStatus.PENDING:
        raise Conflict(N_("This paper ballot has already been confirmed or discarded."))
    if by.id is None or by.id == entry.entered_by_id:
        raise MeetingError(N_("A paper ballot must be confirmed by an organizer other than the one who entered it."))
    choices = {int(nid): Choice(value) for nid, value in entry.choices.items()}
    eligible = _present_by_nomination(session, meeting)
    by_id = {row.nomination_id: row for row in meeting.shortlist}
    for nid in choices:
        row = by_id[nid]
        if row.agree + row.disagree + row.abstain + 1 > eligible[nid][1]:
            raise MeetingError(N_("This paper would give a nomination more votes than members present; discard it."))
    _add_counts(session, meeting, choices)
    entry.status, entry.choices, entry.decided_by_id = PaperStatus.CONFIRMED, None, by.id
    _audit(session, by, "meeting.paper_ballot_confirmed", meeting, entry=entry.id)
    return entry


def discard_paper_ballot(session: Session, *, meeting: Meeting, entry_id: int, by: audit.Actor) -> PaperBallot:
    _require_status(meeting, MeetingStatus.CLOSED)
    entry = _paper(session, meeting, entry_id)
    if entry.status is not PaperStatus.PENDING:
        raise Conflict(N_("This paper ballot has already been confirmed or discarded."))
    entry.status, entry.choices, entry.decided_by_id = PaperStatus.DISCARDED, None, by.id
    _audit(session, by, "meeting.paper_ballot_discarded", meeting, entry=entry.id)
    return entry


def pending_papers(session: Session, *, meeting: Meeting) -> list[PaperBallot]:
    return list(session.scalars(select(PaperBallot).where(PaperBallot.meeting_id == meeting.id,
                                                          PaperBallot.status == PaperStatus.PENDING)
                                .order_by(PaperBallot.id)))


# --------------------------------------------------------------------------- tally


@dataclass(frozen=True)
class Overall:
    seats: int
    present: int
    quorum_met: bool


def overall(meeting: Meeting) -> Overall:
    holders = seats(meeting)
    present = sum(1 for m in holders if m.present)
    return Overall(len(holders), present, bool(holders) and Fraction(present, len(holders)) >= quorum_of(meeting))


def decide(*, members: int, present: int, agree: int, quorum: Fraction, threshold: Fraction) -> tuple[bool, bool]:
    """(quorum met, passed) for one nomination; exact fractions, inclusive comparisons."""
    quorum_met = members > 0 and Fraction(present, members) >= quorum
    return quorum_met, quorum_met and present > 0 and Fraction(agree, present) >= threshold


def tally(session: Session, *, meeting: Meeting, by: audit.Actor, now: dt.datetime | None = None) -> Meeting:
    """Count once voting is over. Refused without quorum (the meeting is then cancelled and held again),
    while paper ballots wait for confirmation, or while papers handed in have not all been entered.
    A nomination whose recusals leave it without quorum is recorded as not valid (not passed)."""
    now = now or utcnow()
    require_open(session, category_id=meeting.category_id, kind=StageKind.PANEL_MEETING)
    if meeting.status is MeetingStatus.TALLIED:
        raise Conflict(N_("The votes of this meeting have already been tallied."))
    if meeting.status not in (MeetingStatus.VOTING, MeetingStatus.CLOSED) or (
            meeting.status is MeetingStatus.VOTING and now < meeting.closes_at):
        raise MeetingError(N_("Voting has not been closed yet."))
    whole = overall(meeting)
    if not whole.quorum_met:
        raise MeetingError(N_("No quorum: {present} of {seats} members present, {quorum} needed. The tally is not "
                              "valid; cancel this meeting and hold it again."),
                           present=whole.present, seats=whole.seats, quorum=str(quorum_of(meeting)))
    papers = _paper_counts(session, meeting)
    if papers[PaperStatus.PENDING]:
        raise MeetingError(N_("{count} paper ballots wait for a second organizer's confirmation."),
                           count=papers[PaperStatus.PENDING])
    received = sum(1 for m in seats(meeting) if m.ballot_method == PAPER)
    if papers[PaperStatus.CONFIRMED] != received:
        raise MeetingError(N_("{received} paper ballots were handed in but {entered} have been entered and "
                              "confirmed."), received=received, entered=papers[PaperStatus.CONFIRMED])
    _ensure_closed(session, meeting, by, now)
    eligible = _present_by_nomination(session, meeting)
    results = []
    for row in meeting.shortlist:
        members, present = eligible[row.nomination_id]
        row.members, row.present = members, present
        row.quorum_met, row.passed = decide(members=members, present=present, agree=row.agree,
                                            quorum=quorum_of(meeting), threshold=threshold_of(meeting))
        results.append({"nomination": row.nomination_id, "members": members, "present": present,
                        "agree": row.agree, "disagree": row.disagree, "abstain": row.abstain,
                        "quorum_met": row.quorum_met, "passed": row.passed})
    meeting.status, meeting.tallied_at, meeting.tallied_by_id = MeetingStatus.TALLIED, now, by.id
    _audit(session, by, "meeting.tallied", meeting, quorum=str(quorum_of(meeting)),
           threshold=str(threshold_of(meeting)), seats=whole.seats, present=whole.present, results=results)
    return meeting


def cancel_meeting(session: Session, *, meeting: Meeting, reason: str, by: audit.Actor) -> Meeting:
    """Abandon a meeting that has not been tallied (e.g. without quorum); its counters are cleared unread."""
    if meeting.status in (MeetingStatus.TALLIED, MeetingStatus.CANCELLED):
        raise MeetingError(N_("The meeting is over."))
    reason = (reason or "").strip()
    if not reason:
        raise MeetingError(N_("Give the reason for cancelling the meeting."))
    for row in meeting.shortlist:
        row.agree = row.disagree = row.abstain = 0
    for entry in pending_papers(session, meeting=meeting):
        entry.status, entry.choices, entry.decided_by_id = PaperStatus.DISCARDED, None, by.id
    meeting.status, meeting.cancel_reason = MeetingStatus.CANCELLED, reason
    _audit(session, by, "meeting.cancelled", meeting, reason=reason)
    return meeting


# --------------------------------------------------------------------------- for the other parts


def meeting_blockers(session: Session, category: Category) -> list[Blocker]:
    """What keeps the category's panel-meeting stage from closing (declared in judging.parts)."""
    meeting = current_meeting(session, category_id=category.id)
    if meeting is None:
        return [Blocker(N_("no panel meeting has been set up"))]
    if meeting.status in (MeetingStatus.SETUP, MeetingStatus.VOTING):
        return [Blocker(N_("the panel meeting's voting is not closed"))]
    if meeting.status is MeetingStatus.CLOSED:
        return [Blocker(N_("the panel meeting's votes have not been tallied"))]
    return []


def passed_nominations(session: Session, category_id: int) -> list[int] | None:
    """The nominations the category's tallied meeting passed, in the online run's rank order;
    None when the category has no tallied meeting."""
    meeting = session.scalar(select(Meeting).where(Meeting.category_id == category_id,
                                                   Meeting.status == MeetingStatus.TALLIED)
                             .order_by(Meeting.id.desc()).limit(1))
    if meeting is None:
        return None
    return [row.nomination_id for row in sorted(meeting.shortlist, key=lambda r: (r.rank, r.code)) if row.passed]


def recusal_reasons(recusal: MeetingRecusal) -> list[str]:
    """Message ids (automatic: the panels part's reason labels) or the organizer's own words."""
    if recusal.source is RecusalSource.AUTOMATIC:
        return [REASON_LABELS.get(code, code) for code in recusal.reason.split(",") if code]
    return [recusal.reason]


def titles(session: Session, meeting: Meeting, *, whole_run: bool = False) -> dict[int, str]:
    """Titles of the shortlisted nominations (``whole_run``: of every nomination of the meeting's run)."""
    if whole_run:
        ids = [e.nomination_id for e in session.get(ResultRun, meeting.run_id).entries]
    else:
        ids = [row.nomination_id for row in meeting.shortlist]
    return dict(session.execute(select(Nomination.id, Nomination.title).where(Nomination.id.in_(ids))).all())
