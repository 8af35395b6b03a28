"""What each stage of a category allows (declared once), the stage predicates built on it, and who moves stages.

``ALLOWS`` is the one statement of the process (SPEC §4, "the process holds"): intake and formal-review
decisions during 推荐/形式审查, assignment and scoring during 网络评审 (and the final round's during 会议评审),
ballots during 会议评审, the notice and objections during 公示, the committee's approval in 审定, publication
only after 审定. The predicates below read it; services ask ``require_capability`` with the same table.

A category whose pipeline was never started (no stage row at all, as in set-ups and tests that predate
the stages) is not held by the table: its rules are the services' own, as before.
"""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from judging.accounts.permissions import (
    Ask, MessageId, MessageIds, Predicate, Refused, Situation, is_auditor, is_organizer, permission,
)
from judging.db.base import Base
from judging.editions.models import Category
from judging.errors import N_
from judging.stages.models import STAGE_LABELS, Stage, StageKind, StageStatus

ORDER = list(StageKind)


class Capability(enum.StrEnum):
    """Work a stage may allow; the message id names it in refusals and in the access matrix."""

    INTAKE = "intake"                # import, enter, correct and withdraw nominations
    FORMAL_REVIEW = "formal_review"  # formal-review checklist and decisions
    ASSIGN = "assign"                # preview, commit and change a round's assignment
    SCORE = "score"                  # judges save and submit score sheets
    COMPUTE = "compute"              # compute, approve and advance result runs
    MEETING = "meeting"              # the panel meeting: roll call, ballots, tally
    NOTICE = "notice"                # publish and reissue the public notice
    OBJECT = "object"                # file and decide objections
    APPROVE = "approve"              # record the committee's approval (审定)
    PUBLISH = "publish"              # publish the winners and the May Day list


CAPABILITY_LABELS = {
    Capability.INTAKE: N_("nomination intake"),
    Capability.FORMAL_REVIEW: N_("formal-review decisions"),
    Capability.ASSIGN: N_("assignment of judges"),
    Capability.SCORE: N_("scoring"),
    Capability.COMPUTE: N_("result runs"),
    Capability.MEETING: N_("the panel meeting and its ballot"),
    Capability.NOTICE: N_("the public notice"),
    Capability.OBJECT: N_("objections"),
    Capability.APPROVE: N_("the committee's approval"),
    Capability.PUBLISH: N_("publication"),
}

# What the open stage allows. Publication is not work of an open stage: it follows 审定 (see ``published_after``).
ALLOWS: dict[StageKind, frozenset[Capability]] = {
    StageKind.NOMINATION: frozenset({Capability.INTAKE}),
    StageKind.FORMAL_REVIEW: frozenset({Capability.INTAKE, Capability.FORMAL_REVIEW}),
    StageKind.ONLINE_REVIEW: frozenset({Capability.ASSIGN, Capability.SCORE, Capability.COMPUTE}),
    StageKind.PANEL_MEETING: frozenset({Capability.ASSIGN, Capability.SCORE, Capability.COMPUTE, Capability.MEETING}),
    StageKind.PUBLIC_NOTICE: frozenset({Capability.NOTICE, Capability.OBJECT}),
    StageKind.APPROVAL: frozenset({Capability.APPROVE}),
}
# Publication needs 审定 closed (or, where the notice was skipped, the committee's approval recorded:
# ``judging.notices.permissions.approval_recorded``).
PUBLISH_AFTER = StageKind.APPROVAL


def stages_allowing(capability: Capability) -> list[StageKind]:
    return [kind for kind in ORDER if capability in ALLOWS[kind]]


def category_id_of(obj: Any) -> int | None:
    """The category an object belongs to (a category or its id, or anything with ``category_id``)."""
    if obj is None:
        return None
    if isinstance(obj, Category):
        return obj.id
    if isinstance(obj, int):
        return obj
    return getattr(obj, "category_id", None)


def _nomination_through(ask: Ask) -> int | None:
    """The nomination of an object that names only it or its assignment (a score sheet, an assignment).

    Read through the tables by name: those parts sit above this one."""
    if ask.obj is None:
        return None
    nomination_id = getattr(ask.obj, "nomination_id", None)
    if nomination_id is None and getattr(ask.obj, "assignment_id", None) is not None:
        assignments = Base.metadata.tables["assignments"]
        nomination_id = ask.session.scalar(select(assignments.c.nomination_id)
                                           .where(assignments.c.id == ask.obj.assignment_id))
    return nomination_id


def statuses(ask: Ask) -> dict[StageKind, StageStatus] | None:
    """The stages of the asked object's category (None: no category, or its pipeline never started)."""
    category_id = category_id_of(ask.obj)
    if category_id is not None:
        key, query = ("stages", category_id), select(Stage.kind, Stage.status).where(Stage.category_id == category_id)
    elif (nomination_id := _nomination_through(ask)) is not None:
        # An object that names only its nomination (an assignment, a score sheet): its category's stages in
        # one query, through the nominations table (by name: that part sits above this one).
        nominations = Base.metadata.tables["nominations"]
        key = ("stages of nomination", nomination_id)
        query = (select(Stage.kind, Stage.status).join(nominations, nominations.c.category_id == Stage.category_id)
                 .where(nominations.c.id == nomination_id))
    else:
        return None
    if key not in ask.cache:
        ask.cache[key] = dict(ask.session.execute(query).all()) or None
    return ask.cache[key]


def open_stage_of(found: dict[StageKind, StageStatus]) -> StageKind | None:
    return next((kind for kind in ORDER if found.get(kind) is StageStatus.OPEN), None)


def _situation_status(situation: Situation, kind: StageKind) -> StageStatus | None:
    if situation.stage is None:
        return None
    at = ORDER.index(StageKind(situation.stage))
    here = ORDER.index(kind)
    return StageStatus.CLOSED if here < at else StageStatus.OPEN if here == at else StageStatus.PENDING


def stage_is_open(kind: StageKind) -> Predicate:
    def test(ask: Ask) -> bool:
        found = statuses(ask)
        return found is None or found.get(kind) is StageStatus.OPEN
    return Predicate(f"stage_is_open({kind.value})", test, reason=N_("This needs {stage} to be open."),
                     params=lambda ask: {"stage": MessageId(STAGE_LABELS[kind])},
                     situation=lambda s: None if s.stage is None else _situation_status(s, kind) is StageStatus.OPEN)


def stage_is_done(kind: StageKind) -> Predicate:
    def test(ask: Ask) -> bool:
        found = statuses(ask)
        return found is None or found.get(kind) in (StageStatus.CLOSED, StageStatus.SKIPPED)
    return Predicate(f"stage_is_done({kind.value})", test, reason=N_("This needs {stage} to be finished."),
                     params=lambda ask: {"stage": MessageId(STAGE_LABELS[kind])},
                     situation=lambda s: None if s.stage is None else _situation_status(s, kind) is StageStatus.CLOSED)


def _allows(found: dict[StageKind, StageStatus] | None, capability: Capability) -> bool:
    if found is None:
        return True
    current = open_stage_of(found)
    return current is not None and capability in ALLOWS[current]


def stage_allows(capability: Capability) -> Predicate:
    """The category's open stage allows ``capability`` (``ALLOWS``); the refusal names the stages that do."""

    def params(ask: Ask) -> dict[str, Any]:
        return {"work": MessageId(CAPABILITY_LABELS[capability]),
                "stages": MessageIds(STAGE_LABELS[k] for k in stages_allowing(capability))}
    return Predicate(f"stage_allows({capability.value})", lambda ask: _allows(statuses(ask), capability),
                     reason=N_("{work} is only possible while {stages} is open."), params=params,
                     situation=lambda s: None if s.stage is None else capability in ALLOWS[StageKind(s.stage)])


def require_capability(session: Session, *, category_id: int, capability: Capability) -> None:
    """A service's check with the same table: refuse ``capability`` unless the open stage allows it."""
    ask = Ask(None, category_id, session)
    decision = stage_allows(capability).decide(ask)
    if not decision:
        raise Refused(f"stage.{capability.value}", decision.reason)


# ---- who moves the stages ------------------------------------------------------------------------------

VIEW = permission("stages.view", is_organizer | is_auditor, N_("See the stages of an edition"))
OPEN = permission("stages.open", is_organizer, N_("Open a stage"))
CLOSE = permission("stages.close", is_organizer, N_("Close a stage"), irreversible=True)
SKIP = permission("stages.skip", is_organizer, N_("Skip a stage"), irreversible=True)
SCHEDULE = permission("stages.schedule", is_organizer, N_("Schedule a stage"))
REOPEN = permission("stages.reopen", is_organizer, N_("Reopen a stage, with a reason"), irreversible=True)

PERMISSIONS = (VIEW, OPEN, CLOSE, SKIP, SCHEDULE, REOPEN)
