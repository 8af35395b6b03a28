"""Who may score which sheet and when (网络评审, or the final round in 会议评审), and who watches and reopens."""

from __future__ import annotations

from judging.accounts.permissions import is_auditor, is_judge, is_organizer, permission
from judging.errors import N_
from judging.panels.permissions import is_assigned_judge
from judging.stages.permissions import Capability, stage_allows

JUDGE_HOME = permission("scoring.judge_home", is_judge, N_("The judge's assignments and undertaking"))
SHEET_VIEW = permission("scoring.sheet_view", is_judge & is_assigned_judge, N_("Read an assigned sheet"))
SHEET_SAVE = permission("scoring.sheet_save", is_judge & is_assigned_judge & stage_allows(Capability.SCORE),
                        N_("Save or submit a score sheet"))
DECLARE_CONFLICT = permission("scoring.declare_conflict", is_judge & is_assigned_judge,
                              N_("Declare a conflict of interest"), irreversible=True)
ROUNDS_VIEW = permission("scoring.rounds_view", is_organizer | is_auditor,
                         N_("See rounds, progress and each judge's sheets"))
ROUND_STATUS = permission("scoring.round_status", is_organizer, N_("Open or close a round"), irreversible=True)
REOPEN_SHEET = permission("scoring.reopen_sheet", is_organizer & stage_allows(Capability.SCORE),
                          N_("Reopen a submitted sheet, with a reason"))
EXTENSION = permission("scoring.extension", is_organizer, N_("Extend a judge's deadline"))
UNDERTAKING = permission("scoring.undertaking", is_organizer, N_("Set the confidentiality undertaking"))
RUBRIC_VIEW = permission("scoring.rubric_view", is_organizer, N_("See a category's rubric"))
RUBRIC_EDIT = permission("scoring.rubric_edit", is_organizer, N_("Change a category's rubric"))
SHEET_HISTORY = permission("scoring.sheet_history", is_auditor, N_("Read each sheet's history"))
ROSTER_VIEW = permission("scoring.roster_view", is_organizer, N_("See the swap form of an assignment"))
DROP_EXPERT = permission("scoring.drop_expert", is_organizer, N_("Withdraw an expert from a round"), irreversible=True)
ROSTER = permission("scoring.roster", is_organizer & stage_allows(Capability.ASSIGN),
                    N_("Swap an assignment to another expert"))
REMIND = permission("scoring.remind", is_organizer, N_("Remind the late judges of a round"))

PERMISSIONS = (JUDGE_HOME, SHEET_VIEW, SHEET_SAVE, DECLARE_CONFLICT, ROUNDS_VIEW, ROUND_STATUS, REOPEN_SHEET,
               EXTENSION, UNDERTAKING, RUBRIC_VIEW, RUBRIC_EDIT, SHEET_HISTORY, ROSTER_VIEW, DROP_EXPERT, ROSTER,
               REMIND)
