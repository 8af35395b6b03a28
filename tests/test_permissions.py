"""Permissions as named rules: predicates combine with &, |, ~; a refusal says why in the user's language and
whether to hide the object; stages allow what ``ALLOWS`` declares; a closed stage reopens with a reason, audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from judging import audit
from judging.accounts.models import Role, User
from judging.accounts.permissions import (
    Ask, MessageId, Predicate, Refused, Situation, can, decide, is_auditor, is_organizer, permission, require,
)
from judging.audit.models import AuditEvent
from judging.editions.models import Category, CategoryKey, Edition
from judging.errors import NotFound
from judging.i18n import translations
from judging.parts import AssemblyError, Part, assemble
from judging.stages.models import Stage, StageKind, StageStatus
from judging.stages.permissions import ALLOWS, Capability, require_capability, stage_allows, stage_is_open
from judging.stages.service import StageError, reopen_stage, skip_stage, status_of

ORGANIZER_ACTOR = audit.Actor.system("cli")
ZH = translations("zh_CN").gettext


def _user(role: Role) -> User:
    return User(id=7, username=role.value, display_name=role.value, role=role, password_hash="x")


always_no = Predicate("always_no", lambda ask: False, reason="Not now because of {why}.",
                      params=lambda ask: {"why": "the moon"})


def test_a_role_refusal_hides_the_object_and_a_state_refusal_gives_the_reason():
    rule = permission("test.act", is_organizer & always_no)
    assert decide(_user(Role.JUDGE), rule).hidden
    seen = decide(_user(Role.ORGANIZER), rule)
    assert not seen.allowed and not seen.hidden and seen.reason.render(str) == "Not now because of the moon."
    with pytest.raises(NotFound):
        require(_user(Role.JUDGE), rule)
    with pytest.raises(Refused) as refused:
        require(_user(Role.ORGANIZER), rule)
    assert str(refused.value) == "Not now because of the moon." and refused.value.permission == "test.act"
    assert not can(None, rule)


def test_or_allows_either_and_explains_with_the_alternative_the_user_could_meet():
    rule = permission("test.either", is_auditor | (is_organizer & always_no))
    assert can(_user(Role.AUDITOR), rule)
    organizer = decide(_user(Role.ORGANIZER), rule)
    assert not organizer.hidden and organizer.reason.message == "Not now because of {why}."
    assert decide(_user(Role.JUDGE), rule).hidden


def test_not_inverts_and_keeps_hiding():
    secret = Predicate("secret", lambda ask: True, hidden=True)
    rule = permission("test.not", ~secret)
    assert decide(_user(Role.ORGANIZER), rule).hidden
    assert rule.rule.name == "~secret"


def test_the_situation_answers_yes_no_or_it_depends():
    rule = is_organizer & stage_allows(Capability.SCORE)
    assert rule.answer(Situation(Role.ORGANIZER, StageKind.ONLINE_REVIEW.value)) is True
    assert rule.answer(Situation(Role.ORGANIZER, StageKind.PUBLIC_NOTICE.value)) is False
    assert rule.answer(Situation(Role.JUDGE, StageKind.ONLINE_REVIEW.value)) is False
    assert (is_organizer & always_no).answer(Situation(Role.ORGANIZER)) is None
    assert (is_auditor | always_no).answer(Situation(Role.AUDITOR)) is True


def test_publication_is_allowed_in_no_stage_and_scoring_only_in_the_review_stages():
    assert not any(Capability.PUBLISH in allowed for allowed in ALLOWS.values())
    assert [k for k, allowed in ALLOWS.items() if Capability.SCORE in allowed] == [
        StageKind.ONLINE_REVIEW, StageKind.PANEL_MEETING]
    assert [k for k, allowed in ALLOWS.items() if Capability.OBJECT in allowed] == [StageKind.PUBLIC_NOTICE]


def test_a_reason_translates_its_stage_names():
    reason = Predicate("p", lambda a: False, reason="This needs {stage} to be open.",
                       params=lambda a: {"stage": MessageId("Online review")}).decide(Ask(None)).reason
    assert reason.render(ZH) == "须在网络评审开启期间进行。"


def test_a_permission_declared_by_two_parts_stops_the_assembly():
    twice = permission("test.twice", is_organizer)
    with pytest.raises(AssemblyError, match="test.twice"):
        assemble([*assemble.__defaults__[0], Part("a", permissions=(twice,)),
                  Part("b", permissions=(permission("test.twice", is_auditor),))])


def _category(db) -> Category:
    edition = Edition(year=2031, name="2031年度")
    category = Category(key=CategoryKey.SUGGESTION, name="十佳合理化建议", top_n=10)
    edition.categories.append(category)
    db.add(edition)
    db.flush()
    return category


def _walk_to(db, category: Category, kind: StageKind) -> None:
    """The stages before ``kind`` closed (as a finished intake leaves them), ``kind`` open, the rest not started."""
    order = list(StageKind)
    for stage in order[:order.index(kind) + 1]:
        db.add(Stage(edition_id=category.edition_id, category_id=category.id, kind=stage, note="",
                     status=StageStatus.OPEN if stage is kind else StageStatus.CLOSED))
    db.flush()


def test_the_open_stage_decides_what_work_a_service_may_do(db):
    category = _category(db)
    require_capability(db, category_id=category.id, capability=Capability.SCORE)  # no pipeline started yet
    _walk_to(db, category, StageKind.FORMAL_REVIEW)
    require_capability(db, category_id=category.id, capability=Capability.FORMAL_REVIEW)
    with pytest.raises(Refused) as refused:
        require_capability(db, category_id=category.id, capability=Capability.SCORE)
    assert refused.value.render(ZH) == "评分只能在网络评审 / 会议评审开启期间进行。"
    assert can(None, permission("test.decide", stage_is_open(StageKind.FORMAL_REVIEW)), category)


def test_a_closed_stage_reopens_with_a_reason_and_an_audit_event(db):
    category = _category(db)
    _walk_to(db, category, StageKind.FORMAL_REVIEW)
    db.execute(update(Stage).where(Stage.category_id == category.id, Stage.kind == StageKind.FORMAL_REVIEW)
               .values(status=StageStatus.PENDING))
    with pytest.raises(StageError):
        reopen_stage(db, category_id=category.id, kind=StageKind.NOMINATION, reason="  ", by=ORGANIZER_ACTOR)
    reopen_stage(db, category_id=category.id, kind=StageKind.NOMINATION, reason="扬州市补报一项", by=ORGANIZER_ACTOR)
    assert status_of(db, category_id=category.id, kind=StageKind.NOMINATION) is StageStatus.OPEN
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "stage.reopened"))
    assert event is not None and "扬州市补报一项" in event.body.decode("utf-8")


def test_a_stage_is_not_reopened_once_a_later_one_has_started(db):
    category = _category(db)
    _walk_to(db, category, StageKind.ONLINE_REVIEW)
    with pytest.raises(StageError) as refused:
        reopen_stage(db, category_id=category.id, kind=StageKind.NOMINATION, reason="补报", by=ORGANIZER_ACTOR)
    assert refused.value.render(ZH) == "推荐不能重新开启：形式审查已经开始。"
    skip_stage(db, category_id=category.id, kind=StageKind.PANEL_MEETING, reason="不开评审会", by=ORGANIZER_ACTOR)
    with pytest.raises(StageError):  # skipped: nothing to redo
        reopen_stage(db, category_id=category.id, kind=StageKind.PANEL_MEETING, reason="补报", by=ORGANIZER_ACTOR)
