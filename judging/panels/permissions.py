"""Who may read and change the expert pool, conflicts and assignments; ``is_assigned_judge`` for the judge's pages."""

from __future__ import annotations

from judging.accounts.permissions import Ask, Predicate, is_auditor, is_organizer, permission
from judging.errors import N_
from judging.panels.models import Assignment
from judging.stages.permissions import Capability, stage_allows


def _assigned(ask: Ask) -> bool:
    """The asked assignment (or score sheet's) is the user's own and not withdrawn."""
    assignment = ask.obj if isinstance(ask.obj, Assignment) else None
    if assignment is None and getattr(ask.obj, "assignment_id", None) is not None:
        assignment = ask.session.get(Assignment, ask.obj.assignment_id)
    return (assignment is not None and ask.user is not None and assignment.withdrawn_at is None
            and assignment.expert.user_id == ask.user.id)


# Failing hides the object: a judge reaching another judge's assignment learns nothing (404).
is_assigned_judge = Predicate("is_assigned_judge", _assigned, hidden=True,
                              situation=lambda s: None if s.role and s.role.value == "judge" else False)

organizer_or_auditor = is_organizer | is_auditor
VIEW = permission("panels.view", organizer_or_auditor, N_("See experts, conflicts and assignments"))
EXPERTS_EDIT = permission("panels.experts_edit", is_organizer, N_("Import and edit experts"))
CONFLICTS_EDIT = permission("panels.conflicts_edit", is_organizer, N_("Enter conflicts and employer groups"))
PREVIEW = permission("panels.preview", is_organizer & stage_allows(Capability.ASSIGN),
                     N_("Preview an assignment"))
COMMIT = permission("panels.commit", is_organizer & stage_allows(Capability.ASSIGN),
                    N_("Commit an assignment plan"), irreversible=True)
REFILL = permission("panels.refill", is_organizer, N_("Refill a round's assignments"))

PERMISSIONS = (VIEW, EXPERTS_EDIT, CONFLICTS_EDIT, PREVIEW, COMMIT, REFILL)
