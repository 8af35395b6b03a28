"""Who may run the public notice and record the committee's approval, and the rule for publishing after 审定."""

from __future__ import annotations

from sqlalchemy import select

from judging.accounts.permissions import Ask, Predicate, Situation, is_auditor, is_organizer, permission
from judging.errors import N_
from judging.notices.models import CommitteeApproval
from judging.stages.models import StageKind
from judging.stages.permissions import ORDER, Capability, category_id_of, stage_allows


def _approved(ask: Ask) -> bool:
    category_id = category_id_of(ask.obj)
    if category_id is None:
        return False
    return ask.session.scalar(select(CommitteeApproval.id).where(CommitteeApproval.category_id == category_id)) \
        is not None


def _before_approval(situation: Situation) -> bool | None:
    """No approval can be recorded before 审定 opens; from then on it depends on the category."""
    if situation.stage is None:
        return None
    return None if ORDER.index(StageKind(situation.stage)) >= ORDER.index(StageKind.APPROVAL) else False


# The committee's approval (审定) is recorded for the category. Publication asks exactly this: it follows
# 审定, also where the notice stage was skipped (the approval is then the committee's act on the run's list).
approval_recorded = Predicate("approval_recorded", _approved, situation=_before_approval,
                              reason=N_("This needs the committee's approval (审定) to be recorded first."))
notice_approved = approval_recorded
published_after_approval = approval_recorded

VIEW = permission("notices.view", is_organizer | is_auditor, N_("See the public notice and the approval"))
PUBLISH_NOTICE = permission("notices.publish", is_organizer & stage_allows(Capability.NOTICE),
                            N_("Publish the public notice"), irreversible=True)
MAKE_PDF = permission("notices.pdf", is_organizer, N_("Prepare the notice's PDF"))
REVIEW_OBJECTION = permission("notices.review_objection", is_organizer & stage_allows(Capability.OBJECT),
                              N_("Take an objection under review"))
DECIDE_OBJECTION = permission("notices.decide_objection", is_organizer & stage_allows(Capability.OBJECT),
                              N_("Uphold or reject an objection"), irreversible=True)
REISSUE = permission("notices.reissue", is_organizer & stage_allows(Capability.NOTICE),
                     N_("Reissue the notice after an upheld objection"), irreversible=True)
RECORD_APPROVAL = permission("notices.approve", is_organizer & stage_allows(Capability.APPROVE),
                             N_("Record the committee's approval"), irreversible=True)

PERMISSIONS = (VIEW, PUBLISH_NOTICE, MAKE_PDF, REVIEW_OBJECTION, DECIDE_OBJECTION, REISSUE, RECORD_APPROVAL)
# Publication after 审定 is the awards part's permission ("awards.publish", judging/awards/permissions.py): it
# reads the list the committee approved, which record_approval hands over to awards.
