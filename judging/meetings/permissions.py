"""Who may run a panel meeting and vote in it, and when (会议评审 open)."""

from __future__ import annotations

from judging.accounts.permissions import is_auditor, is_judge, is_organizer, permission
from judging.errors import N_
from judging.stages.permissions import Capability, stage_allows

in_meeting_stage = stage_allows(Capability.MEETING)
VIEW = permission("meetings.view", is_organizer | is_auditor, N_("See panel meetings and tallies"))
CREATE = permission("meetings.create", is_organizer, N_("Set up a panel meeting"))
SETUP = permission("meetings.setup", is_organizer & in_meeting_stage,
                   N_("Roll call, substitutes, recusals and paper ballots"))
OPEN_VOTING = permission("meetings.open", is_organizer & in_meeting_stage, N_("Open the vote"), irreversible=True)
CLOSE_VOTING = permission("meetings.close", is_organizer & in_meeting_stage, N_("Close the vote"),
                          irreversible=True)
CONFIRM_PAPER = permission("meetings.confirm_paper", is_organizer & in_meeting_stage,
                           N_("Confirm a paper ballot as the second organizer"), irreversible=True)
TALLY = permission("meetings.tally", is_organizer & in_meeting_stage, N_("Tally the ballot"), irreversible=True)
CANCEL = permission("meetings.cancel", is_organizer, N_("Cancel a meeting"), irreversible=True)
MEMBER_VIEW = permission("meetings.member_view", is_judge, N_("A member's meetings"))
BALLOT = permission("meetings.ballot", is_judge & in_meeting_stage, N_("Cast a secret ballot"), irreversible=True,
                    audit_refusals=True)

PERMISSIONS = (VIEW, CREATE, SETUP, OPEN_VOTING, CLOSE_VOTING, CONFIRM_PAPER, TALLY, CANCEL, MEMBER_VIEW, BALLOT)
