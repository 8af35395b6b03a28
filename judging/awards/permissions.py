"""Who may read the award lists, name a method, and publish a category's winners, and when: only the list the
committee approved (审定), once. The awards service refuses through the same rule (``PUBLISHABLE``), so the page's
button, the route and the service give one answer with one reason."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from judging.accounts.permissions import Ask, MessageId, Predicate, Situation, is_auditor, is_organizer, permission
from judging.awards.models import ApprovedWinner, Publication
from judging.errors import N_
from judging.nominations.models import Nomination
from judging.stages.models import STAGE_LABELS, StageKind, StageStatus
from judging.stages.permissions import ORDER, category_id_of, statuses


def _list_approved(ask: Ask) -> bool:
    category_id = category_id_of(ask.obj)
    return category_id is not None and ask.session.scalar(
        select(ApprovedWinner.id).where(ApprovedWinner.category_id == category_id).limit(1)) is not None


def _where(ask: Ask) -> dict[str, Any]:
    """The stage the category is in (the open one, else the next pending), for the refusal."""
    found = statuses(ask) or {}
    stage = next((k for k in ORDER if found.get(k) is StageStatus.OPEN), None) \
        or next((k for k in ORDER if found.get(k, StageStatus.PENDING) is StageStatus.PENDING), StageKind.APPROVAL)
    return {"stage": MessageId(STAGE_LABELS[stage])}


def _by_approval(situation: Situation) -> bool | None:
    """Nothing is approved before 审定; in 审定 it depends on whether the approval is recorded yet."""
    if situation.stage is None:
        return None
    return None if StageKind(situation.stage) is StageKind.APPROVAL else False


def _published(ask: Ask) -> bool:
    category_id = category_id_of(ask.obj)
    return category_id is not None and bool(ask.session.scalar(
        select(func.count()).select_from(Publication).join(Nomination, Nomination.id == Publication.nomination_id)
        .where(Nomination.category_id == category_id)))


# The committee approved the category's list (审定): recorded through the notices part (the list last on
# notice, or the candidates of a category that skipped the notice), kept by awards as what may go public.
list_approved = Predicate("list_approved", _list_approved, situation=_by_approval, params=_where,
                          reason=N_("Publishing needs the committee's approval (Final approval); this category is "
                                    "in {stage}."))
not_published = Predicate("not_published", lambda ask: not _published(ask), situation=lambda s: None,
                          reason=N_("These results are already published."))

# What the service itself asks, for any actor (the route adds who may ask).
PUBLISHABLE = list_approved & not_published

VIEW = permission("awards.view", is_organizer | is_auditor, N_("See the award lists and the May Day list"))
PUBLISH = permission("awards.publish", is_organizer & PUBLISHABLE,
                     N_("Publish the approved winners on the public page"), irreversible=True, audit_refusals=True)
NAME_METHOD = permission("awards.name_method", is_organizer, N_("Name an operating method after its creator"))

PERMISSIONS = (VIEW, PUBLISH, NAME_METHOD)
