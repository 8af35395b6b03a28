"""Who may compute, approve, advance and unblind result runs, and in which stage (网络评审 or 会议评审)."""

from __future__ import annotations

from judging.accounts.permissions import Ask, Predicate, is_auditor, is_organizer, permission
from judging.errors import N_
from judging.stages.permissions import Capability, stage_allows

VIEW = permission("results.view", is_organizer | is_auditor, N_("See result runs, comparisons and exports"))
CREATE = permission("results.create", is_organizer, N_("Compute a result run"))
APPROVE = permission("results.approve", is_organizer & stage_allows(Capability.COMPUTE),
                     N_("Approve a result run"), irreversible=True)
ADVANCE = permission("results.advance", is_organizer & stage_allows(Capability.COMPUTE),
                     N_("Advance the top M to the final round"), irreversible=True)
UNBLIND = permission("results.unblind", is_organizer, N_("Unblind an approved run"), irreversible=True,
                     audit_refusals=True)
RECOMPUTE = permission("results.recompute", is_organizer | is_auditor, N_("Recompute a run from the stored scores"))
REPORTS = permission("reports.make", is_organizer | is_auditor, N_("Make and read a run's reports"))



def _for_auditors(ask: Ask) -> bool:
    return (getattr(ask.obj, "details", None) or {}).get("audience") == "auditor"


# A report made for the auditors carries identities next to the judges' codes: nobody else may know it exists.
for_auditors_only = Predicate("for_auditors_only", _for_auditors, hidden=True)
READ_REPORT = permission("reports.read", is_auditor | (is_organizer & ~for_auditors_only),
                         N_("Read a run's report (those for the auditors: auditors only)"))

PERMISSIONS = (VIEW, CREATE, APPROVE, ADVANCE, UNBLIND, RECOMPUTE, REPORTS, READ_REPORT)
