"""Who may run a panel meeting and vote in it, and when (会议评审 open)."""

from __future__ import annotations

from judging.accounts.permissions import is_auditor, is_judge, is_organizer, permission
from judging.errors import N_
from judging.stages.permissions import Capability, stage_allows

in_meeting_stage = stage_allows(Capability.MEETING)
VIEW = permission("meetings.view", is_organizer | is_auditor, N_("See panel meetings and tallies"))
CREATE = permission("meetings.create", is_organizer, N_("Set up a panel meeting"))
SETUP = permission("meetings.setup", is_organizer & in_meeting_stage,
                   N_("Roll call, substitutes, recusals and paper ballots (confirmed by the member or the chair)"))
OPEN_VOTING = permission("meetings.open", is_organizer & in_meeting_stage, N_("Open the vote"), irreversible=True)
CLOSE_VOTING = permission("meetings.close", is_organizer & in_meeting_stage, N_("Close the vote"),
                          irreversible=True)
# The service checks that a judge asking is the meeting's chair (a share is bound to its holder).
KEY_SHARE = permission("meetings.key_share", (is_auditor | is_judge) & in_meeting_stage,
                       N_("Make a key share for the tally"))
TALLY = permission("meetings.tally", is_organizer & in_meeting_stage, N_("Tally the ballot"), irreversible=True)
CANCEL = permission("meetings.cancel", is_organizer, N_("Cancel a meeting"), irreversible=True)
MEMBER_VIEW = permission("meetings.member_view", is_judge, N_("A member's meetings"))
BALLOT = permission("meetings.ballot", is_judge & in_meeting_stage, N_("Cast a secret ballot"), irreversible=True,
                    audit_refusals=True)

PERMISSIONS = (VIEW, CREATE, SETUP, OPEN_VOTING, CLOSE_VOTING, KEY_SHARE, TALLY, CANCEL, MEMBER_VIEW, BALLOT)
