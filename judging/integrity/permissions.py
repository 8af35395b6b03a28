"""Who may read the integrity report, an expert's record and a random draw, and who draws and who confirms."""

from __future__ import annotations

from judging.accounts.permissions import is_auditor, is_organizer, permission
from judging.errors import N_

# The report names judges next to their scores: the auditor's, like every identity-bearing document.
REPORT = permission("integrity.report", is_auditor, N_("Read and make the integrity report of an unblinded run"))
RECORD_VIEW = permission("integrity.record_view", is_organizer | is_auditor, N_("Read an expert's record"))
NOTE_ADD = permission("integrity.note_add", is_organizer, N_("Add a note to an expert's record"))
DRAW_VIEW = permission("integrity.draw_view", is_organizer | is_auditor, N_("See random draws of experts"))
DRAW = permission("integrity.draw", is_organizer, N_("Draw experts at random, or draw again with a reason"))
# The supervisor confirms: a draw takes effect only through someone other than the organizer who drew it.
DRAW_CONFIRM = permission("integrity.draw_confirm", is_auditor, N_("Confirm a random draw as its supervisor"),
                          irreversible=True, audit_refusals=True)

PERMISSIONS = (REPORT, RECORD_VIEW, NOTE_ADD, DRAW_VIEW, DRAW, DRAW_CONFIRM)
