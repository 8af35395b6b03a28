"""Who may set the formal-review checklist and decide on a nomination, and when (形式审查 open)."""

from __future__ import annotations

from judging.accounts.permissions import is_auditor, is_organizer, permission
from judging.errors import N_
from judging.stages.permissions import Capability, stage_allows

VIEW = permission("formal_review.view", is_organizer | is_auditor, N_("See the formal review"))
CHECKLIST = permission("formal_review.checklist", is_organizer, N_("Set a category's checklist"))
DECIDE = permission("formal_review.decide", is_organizer & stage_allows(Capability.FORMAL_REVIEW),
                    N_("Pass, return or reject a nomination"))

# Not gated by stage, like every redaction fix: a leak can always be mended.
ATTACHMENT_REPLACE = permission("formal_review.attachment_replace", is_organizer,
                                N_("Replace a nomination's attachment"))

PERMISSIONS = (VIEW, CHECKLIST, DECIDE, ATTACHMENT_REPLACE)
