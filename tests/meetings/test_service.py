"""The panel meeting's transitions and refusals, the quorum and threshold at their edges, and what
the stage pipeline and the later parts read from it."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from sqlalchemy import func, select

from judging.audit.models import AuditEvent
from judging.errors import Conflict, JudgingError, NotFound
from judging.meetings import service
from judging.meetings.models import (
    MeetingBallot, MeetingKey, MeetingKeyShare, MeetingNomination, MeetingRecusal, MeetingStatus,
)
from judging.panels.models import Conflict as ConflictRow, ConflictSource
from judging.results.service import create_run
from judging.stages.models import StageKind
from judging.stages.service import StageBlocked, StageError, close_stage
from tests.meetings.factories import (
    AFTER, CLOSES, DURING, OPENS, PASSWORD, by_handle, make_meeting, make_shares, make_world, open_with_keys,
    panel_experts, roll_call, user_of,
)
from tests.results.factories import ORGANIZER



def _data(event: AuditEvent) -> dict:
    return json.loads(event.body)["data"]


def _organizers(db):
    from judging.accounts import actor_of, add_user

    return [actor_of(add_user(db, username=f"secretary{i}", password="Secretary-2026-x", role="organizer",
                              by=ORGANIZER)) for i in (1, 2)]


def _snapshot(db) -> tuple:
    """Everything the meeting part stores, to show a refusal changed nothing."""
    db.flush()
    from judging.meetings.models import Meeting, MeetingMember

    return tuple(tuple(tuple(getattr(r, c.key) for c in model.__table__.columns) for r in db.scalars(
        select(model).order_by(*model.__table__.primary_key.columns)).all())
        for model in (Meeting, MeetingMember, MeetingNomination, MeetingRecusal, MeetingBallot, MeetingKey,
                      MeetingKeyShare)) + (
        db.scalar(select(func.count()).select_from(AuditEvent)),)


def _refused(db, error, match, action):
    before = _snapshot(db)
    with db.begin_nested():
        with pytest.raises(error, match=match):
            action()
        db.flush()
    db.expire_all()
    assert _snapshot(db) == before


def _vote_all(db, meeting, world, choices_per_member, now=DURING):
    for expert, choices in zip(world["members"], choices_per_member):
        if choices is None:
            continue
        service.cast_ballot(db, meeting=meeting, user=user_of(db, expert), now=now,
                            choices=by_handle(meeting, dict(zip([n.id for n in world["nominations"]], choices))))


def test_a_meeting_walks_from_set_up_to_tally_and_the_stage_then_closes(db):
    world = make_world(db)
    category = world["category"]
    assert [b.message for b in service.meeting_blockers(db, category)] == ["no panel meeting has been set up"]
    assert service.passed_nominations(db, category.id) is None
    meeting = make_meeting(db, world, top_m=3)
    assert [row.rank for row in meeting.shortlist] == [1, 2, 3]
    service.set_shortlist(db, meeting=meeting, nomination_ids=[n.id for n in world["nominations"]], by=ORGANIZER)
    assert len(meeting.shortlist) == 4
    roll_call(db, meeting, 9)
    codes = open_with_keys(db, meeting, now=OPENS)
    assert [b.message for b in service.meeting_blockers(db, category)] == ["the panel meeting's voting is not closed"]
    a, d, x = "agree", "disagree", "abstain"
    # 9 present: 6 agree passes (6/9 = 2/3), 5 agree fails.
    _vote_all(db, meeting, world, [[a, a, a, d]] * 5 + [[a, d, d, d]] + [[d, d, x, d]] * 3)
    service.close_voting(db, meeting=meeting, by=ORGANIZER, now=DURING)
    assert [b.message for b in service.meeting_blockers(db, category)] == [
        "the panel meeting's votes have not been tallied"]
    service.tally(db, meeting=meeting, by=ORGANIZER, now=AFTER, **codes)
    rows = {row.nomination_id: row for row in meeting.shortlist}
    first, second, third, fourth = (rows[n.id] for n in world["nominations"])
    assert (first.agree, first.disagree, first.abstain, first.present, first.members) == (6, 3, 0, 9, 9)
    assert first.passed and first.quorum_met
    assert (second.agree, second.passed) == (5, False)
    assert (third.abstain, third.passed) == (3, False)
    assert service.passed_nominations(db, category.id) == [world["nominations"][0].id]
    assert service.meeting_blockers(db, category) == []
    close_stage(db, category_id=category.id, kind=StageKind.PANEL_MEETING, by=ORGANIZER)
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "meeting")
                         .order_by(AuditEvent.seq)).all()
    assert actions == ["meeting.created", "meeting.shortlist_set"] + ["meeting.attendance_recorded"] * 9 + [
        "meeting.key_share_made"] * 2 + ["meeting.voting_opened"] + ["meeting.ballot_cast"] * 9 + ["meeting.voting_closed", "meeting.tallied"]


@pytest.mark.parametrize(("present", "quorum_met"), [(6, True), (5, False)])
def test_quorum_at_its_edge_nine_members(db, present, quorum_met):
    world = make_world(db, n_nominations=1)
    meeting = make_meeting(db, world)
    roll_call(db, meeting, present)
    codes = open_with_keys(db, meeting, now=OPENS)
    _vote_all(db, meeting, world, [["agree"]] * present)
    service.close_voting(db, meeting=meeting, by=ORGANIZER, now=DURING)
    if quorum_met:
        service.tally(db, meeting=meeting, by=ORGANIZER, now=AFTER, **codes)
        assert meeting.shortlist[0].passed
    else:
        _refused(db, JudgingError, "No quorum: 5 of 9 members present, 2/3 needed",
                 lambda: service.tally(db, meeting=meeting, by=ORGANIZER, now=AFTER, **codes))
        assert meeting.status is MeetingStatus.CLOSED
        service.cancel_meeting(db, meeting=meeting, reason="到会不足三分之二", by=ORGANIZER)
        assert service.key_of(db, meeting).sealed_key is None  # its ballots can never be decrypted now
        assert service.meeting_blockers(db, world["category"])[0].message == "no panel meeting has been set up"


@pytest.mark.parametrize(("agree", "passed"), [(4, True), (3, False)])
def test_threshold_at_its_edge_six_present(db, agree, passed):
    world = make_world(db, n_nominations=1)
    meeting = make_meeting(db, world)
    roll_call(db, meeting, 6)
    codes = open_with_keys(db, meeting, now=OPENS)
    _vote_all(db, meeting, world, [["agree"]] * agree + [["abstain"]] * (6 - agree))
    service.tally(db, meeting=meeting, by=ORGANIZER, now=AFTER, **codes)  # the window has ended: closes itself
    row = meeting.shortlist[0]
    assert (row.members, row.present, row.agree, row.passed) == (9, 6, agree, passed)


def test_decide_uses_exact_fractions_inclusively():
    third = Fraction(1, 3)
    assert service.decide(members=3, present=2, agree=2, quorum=Fraction(2, 3), threshold=Fraction(2, 3)) == (True, True)
    assert service.decide(members=300, present=200, agree=133, quorum=Fraction(2, 3),
                          threshold=Fraction(2, 3)) == (True, False)
    assert service.decide(members=3, present=1, agree=1, quorum=third, threshold=Fraction(1)) == (True, True)
    assert service.decide(members=0, present=0, agree=0, quorum=third, threshold=third) == (False, False)


def test_fractions_outside_zero_to_one_are_refused(db):
    for text in ("0", "-1/3", "4/3", "1/0", "two thirds", ""):
        with pytest.raises(JudgingError):
            service.parse_fraction(text, field="Quorum")
    assert service.parse_fraction("1", field="Quorum") == 1
    assert service.parse_fraction("0.75", field="Quorum") == Fraction(3, 4)
    world = make_world(db, n_nominations=2)
    _refused(db, JudgingError, "Quorum must be more than 0 and at most 1",
             lambda: make_meeting(db, world, quorum=Fraction(0)))
    _refused(db, JudgingError, "Pass threshold must be more than 0 and at most 1",
             lambda: make_meeting(db, world, threshold=Fraction(7, 6)))


def test_creating_is_refused_without_an_approved_run_an_open_stage_or_account_less_members(db):
    world = make_world(db, n_nominations=2)
    unapproved = create_run(db, round_id=world["round"].id, category_id=world["category"].id, method="trimmed",
                            by=ORGANIZER)
    _refused(db, JudgingError, "approved result run", lambda: service.create_meeting(
        db, category_id=world["category"].id, run_id=unapproved.id, top_m=2,
        member_expert_ids=[world["members"][0].id], chair_expert_id=world["members"][0].id, opens_at=OPENS,
        closes_at=CLOSES, by=ORGANIZER))
    _refused(db, JudgingError, "no active judge account", lambda: make_meeting(
        db, world, members=[world["members"][0], world["experts"][0]]))
    _refused(db, JudgingError, "close after it opens", lambda: service.create_meeting(
        db, category_id=world["category"].id, run_id=world["run"].id, top_m=2,
        member_expert_ids=[world["members"][0].id], chair_expert_id=world["members"][0].id, opens_at=CLOSES,
        closes_at=OPENS, by=ORGANIZER))
    make_meeting(db, world)
    _refused(db, Conflict, "already has a panel meeting", lambda: make_meeting(db, world))
    other = make_world(db, n_nominations=2, year=2032, stage_open=False)
    _refused(db, StageError, "Panel meeting is not open", lambda: make_meeting(db, other))


def test_votes_outside_the_window_by_outsiders_absent_twice_or_malformed_are_refused(db):
    world = make_world(db, n_nominations=2)
    meeting = make_meeting(db, world)
    roll_call(db, meeting, 8)
    ids = [n.id for n in world["nominations"]]
    both = by_handle(meeting, {ids[0]: "agree", ids[1]: "disagree"})
    first, second = list(both)
    member = user_of(db, world["members"][0])
    _refused(db, JudgingError, "Voting is not open",
             lambda: service.cast_ballot(db, meeting=meeting, user=member, choices=both, now=DURING))
    codes = open_with_keys(db, meeting, now=OPENS)
    _refused(db, JudgingError, "not started",
             lambda: service.cast_ballot(db, meeting=meeting, user=member, choices=both, now=OPENS.replace(hour=0)))
    _refused(db, JudgingError, "Voting has closed",  # late
             lambda: service.cast_ballot(db, meeting=meeting, user=member, choices=both, now=CLOSES))
    outsider = user_of(db, panel_experts(db, 1, prefix="outsider")[0])
    _refused(db, NotFound, "Not found",
             lambda: service.cast_ballot(db, meeting=meeting, user=outsider, choices=both, now=DURING))
    absent = user_of(db, world["members"][8])
    _refused(db, JudgingError, "Only members present can vote",
             lambda: service.cast_ballot(db, meeting=meeting, user=absent, choices=both, now=DURING))
    malformed = [
        ({first: "agree"}, "every nomination on the ballot"),
        ({first: "yes", second: "no"}, "agree, disagree or abstain"),
        ({first: ["agree", "disagree"], second: "agree"}, "more than one choice"),  # a field sent twice
        ({**both, str(ids[0]): "agree"}, "not on it"),  # an internal id instead of a handle
        ({**both, "0123456789abcdef": "agree"}, "not on it"),  # a handle of no nomination
    ]
    for choices, message in malformed:
        _refused(db, JudgingError, message,
                 lambda choices=choices: service.cast_ballot(db, meeting=meeting, user=member, choices=choices,
                                                             now=DURING))
    receipt = service.cast_ballot(db, meeting=meeting, user=member, choices=both, now=DURING)
    assert len(receipt) == 64 and db.get(MeetingBallot, receipt).meeting_id == meeting.id
    _refused(db, Conflict, "already voted",  # duplicated
             lambda: service.cast_ballot(db, meeting=meeting, user=member, choices=both, now=DURING))
    _refused(db, Conflict, "already voted", lambda: service.cast_paper_ballot(
        db, meeting=meeting, member_id=meeting.members[0].id, choices=both, confirmed_by="member",
        password=PASSWORD, by=ORGANIZER, now=DURING))


def test_recused_members_are_left_out_of_that_nominations_count(db):
    world = make_world(db, n_nominations=2)
    first, second = world["nominations"]
    # Member 2 works where the first nomination comes from: an automatic recusal when voting opens.
    world["members"][1].employer = "测试单位00有限公司"
    # Member 3 declared a conflict with the second nomination to the panels part.
    db.add(ConflictRow(expert_id=world["members"][2].id, nomination_id=second.id, source=ConflictSource.DECLARED,
                       reason="曾参与该项目咨询"))
    meeting = make_meeting(db, world)
    roll_call(db, meeting, 9)
    service.record_recusal(db, meeting=meeting, member_id=meeting.members[3].id, nomination_id=first.id,
                           reason="近亲属参与该项目", by=ORGANIZER)
    _refused(db, JudgingError, "reason for the recusal", lambda: service.record_recusal(
        db, meeting=meeting, member_id=meeting.members[4].id, nomination_id=first.id, reason=" ", by=ORGANIZER))
    codes = open_with_keys(db, meeting, now=OPENS)
    stored = {(r.member_id, r.nomination_id): r.source.value for r in db.scalars(select(MeetingRecusal))}
    m = meeting.members
    assert stored == {(m[1].id, first.id): "automatic", (m[2].id, second.id): "automatic",
                      (m[3].id, first.id): "recorded"}
    recused_voter = user_of(db, world["members"][1])
    _refused(db, JudgingError, "not on it", lambda: service.cast_ballot(
        db, meeting=meeting, user=recused_voter, choices=by_handle(meeting, {first.id: "agree", second.id: "agree"}),
        now=DURING))
    assert [r.nomination_id for r in service.ballot_items(db, meeting=meeting, member=m[1])] == [second.id]
    for index, expert in enumerate(world["members"]):
        items = service.ballot_items(db, meeting=meeting, member=m[index])
        service.cast_ballot(db, meeting=meeting, user=user_of(db, expert), now=DURING,
                            choices={row.handle: "agree" if index < 5 else "disagree" for row in items})
    service.tally(db, meeting=meeting, by=ORGANIZER, now=AFTER, **codes)
    rows = {row.nomination_id: row for row in meeting.shortlist}
    # First: 7 seats not recused, 7 present, 3 agree of members 0, 2, 4 -> 3/7 < 2/3.
    assert (rows[first.id].members, rows[first.id].present, rows[first.id].agree) == (7, 7, 3)
    assert (rows[second.id].members, rows[second.id].agree, rows[second.id].disagree) == (8, 4, 4)


def test_a_substitute_takes_an_absent_seat_only_with_the_chairs_approval(db):
    world = make_world(db, n_nominations=1, n_members=3)
    spare = panel_experts(db, 2, prefix="spare")
    meeting = make_meeting(db, world)
    chair, other, absent = meeting.members
    service.record_attendance(db, meeting=meeting, member_id=chair.id, present=True, by=ORGANIZER)
    service.record_attendance(db, meeting=meeting, member_id=other.id, present=True, by=ORGANIZER)
    _refused(db, JudgingError, "recorded as absent", lambda: service.add_substitute(
        db, meeting=meeting, absent_member_id=absent.id, expert_id=spare[0].id, approved_by_member_id=chair.id,
        by=ORGANIZER))
    service.record_attendance(db, meeting=meeting, member_id=absent.id, present=False, by=ORGANIZER)
    _refused(db, JudgingError, "Only the chair", lambda: service.add_substitute(
        db, meeting=meeting, absent_member_id=absent.id, expert_id=spare[0].id, approved_by_member_id=other.id,
        by=ORGANIZER))
    _refused(db, JudgingError, "already on the panel", lambda: service.add_substitute(
        db, meeting=meeting, absent_member_id=absent.id, expert_id=world["members"][1].id,
        approved_by_member_id=chair.id, by=ORGANIZER))
    substitute = service.add_substitute(db, meeting=meeting, absent_member_id=absent.id, expert_id=spare[0].id,
                                        approved_by_member_id=chair.id, by=ORGANIZER)
    assert (substitute.substitute_for_id, substitute.approved_by_member_id, substitute.present) == (
        absent.id, chair.id, True)
    assert service.overall(meeting) == service.Overall(3, 3, True)
    codes = open_with_keys(db, meeting, now=OPENS)
    _refused(db, JudgingError, "replaced by a substitute", lambda: service.cast_ballot(
        db, meeting=meeting, user=user_of(db, world["members"][2]),
        choices=by_handle(meeting, {world["nominations"][0].id: "agree"}), now=DURING))
    for expert in (world["members"][0], world["members"][1], spare[0]):
        service.cast_ballot(db, meeting=meeting, user=user_of(db, expert), now=DURING,
                            choices=by_handle(meeting, {world["nominations"][0].id: "agree"}))
    service.tally(db, meeting=meeting, by=ORGANIZER, now=AFTER, **codes)
    assert (meeting.shortlist[0].members, meeting.shortlist[0].present, meeting.shortlist[0].passed) == (3, 3, True)
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "meeting.substitute_seated"))
    assert _data(event)["approved_by_expert"] == world["members"][0].id


def test_a_paper_ballot_is_confirmed_by_the_member_or_by_the_chair_with_a_reason_and_counts_like_any(db):
    world = make_world(db, n_nominations=2, n_members=3)
    first, second = (n.id for n in world["nominations"])
    meeting = make_meeting(db, world)
    roll_call(db, meeting, 3)
    codes = open_with_keys(db, meeting, now=OPENS)
    chair, member, other = meeting.members

    def paper(seat, choices, now=DURING, **kwargs):
        return service.cast_paper_ballot(db, meeting=meeting, member_id=seat.id, now=now, by=ORGANIZER,
                                         choices=by_handle(meeting, choices), **kwargs)

    both = {first: "agree", second: "agree"}
    _refused(db, JudgingError, "confirming password is not right",
             lambda: paper(member, both, confirmed_by="member", password="not-the-password"))
    _refused(db, JudgingError, "reason why the chair confirms",
             lambda: paper(member, both, confirmed_by="chair", password=PASSWORD, reason=" "))
    _refused(db, JudgingError, "by the member who cast it or by the chair",
             lambda: paper(member, both, confirmed_by="secretary", password=PASSWORD))
    _refused(db, JudgingError, "Voting has closed",
             lambda: paper(member, both, confirmed_by="member", password=PASSWORD, now=CLOSES))
    one = paper(member, both, confirmed_by="member", password=PASSWORD)
    two = paper(other, {first: "agree", second: "abstain"}, confirmed_by="chair", password=PASSWORD,
                reason="委员眼疾，无法登录")
    assert one != two and {b.receipt for b in service.stored_ballots(db, meeting)} == {one, two}
    assert [(m.ballot_cast, m.ballot_method) for m in meeting.members] == [(False, ""), (True, "paper"),
                                                                          (True, "paper")]
    service.cast_ballot(db, meeting=meeting, user=user_of(db, world["members"][0]), now=DURING,
                        choices=by_handle(meeting, {first: "agree", second: "disagree"}))
    service.tally(db, meeting=meeting, by=ORGANIZER, now=AFTER, **codes)
    rows = {row.nomination_id: row for row in meeting.shortlist}
    assert (rows[first].agree, rows[first].passed) == (3, True)
    assert (rows[second].agree, rows[second].disagree, rows[second].abstain, rows[second].passed) == (1, 1, 1, False)
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "meeting.ballot_cast").order_by(AuditEvent.seq))
    assert [{k: v for k, v in _data(e).items() if k not in ("category_id", "expert")} for e in events] == [
        {"member": member.id, "method": "paper", "confirmed_by": "member"},
        {"member": other.id, "method": "paper", "confirmed_by": "chair", "reason": "委员眼疾，无法登录"},
        {"member": chair.id, "method": "online"}]


def test_nothing_changes_after_the_tally(db):
    world = make_world(db, n_nominations=1, n_members=3)
    meeting = make_meeting(db, world)
    roll_call(db, meeting, 3)
    codes = open_with_keys(db, meeting, now=OPENS)
    _vote_all(db, meeting, world, [["disagree"]] * 3)
    service.tally(db, meeting=meeting, by=ORGANIZER, now=AFTER, **codes)
    assert meeting.shortlist[0].passed is False and meeting.shortlist[0].present == 3
    _refused(db, Conflict, "already been tallied",
             lambda: service.tally(db, meeting=meeting, by=ORGANIZER, now=AFTER, **codes))
    _refused(db, JudgingError, "The meeting is over",
             lambda: service.cancel_meeting(db, meeting=meeting, reason="重开", by=ORGANIZER))
    _refused(db, JudgingError, "before voting opens", lambda: service.record_attendance(
        db, meeting=meeting, member_id=meeting.members[0].id, present=False, by=ORGANIZER))


def test_the_stage_cannot_close_before_the_tally(db):
    world = make_world(db, n_nominations=1, n_members=3)
    make_meeting(db, world)
    with pytest.raises(StageBlocked, match="voting is not closed"):
        close_stage(db, category_id=world["category"].id, kind=StageKind.PANEL_MEETING, by=ORGANIZER)


def test_opening_needs_everyones_attendance(db):
    world = make_world(db, n_nominations=1, n_members=3)
    meeting = make_meeting(db, world)
    roll_call(db, meeting, 2)
    meeting.members[2].present = None
    make_shares(db, meeting)
    _refused(db, JudgingError, r"attendance of every member first \(1 missing\)",
             lambda: service.open_voting(db, meeting=meeting, by=ORGANIZER, now=OPENS))
