"""Who may import, correct, confirm and withdraw nominations, set the city quotas and read identities."""

from __future__ import annotations

from judging.accounts.permissions import is_auditor, is_organizer, permission
from judging.errors import N_
from judging.stages.permissions import Capability, stage_allows

VIEW = permission("nominations.view", is_organizer, N_("See the nominations and their redaction"))
IMPORT = permission("nominations.import", is_organizer, N_("Import nominations"))
EDIT = permission("nominations.edit", is_organizer, N_("Edit a nomination's judged text"))
CONFIRM = permission("nominations.confirm", is_organizer, N_("Confirm a nomination's redaction"))
CONFIRM_CLEAN = permission("nominations.confirm_clean", is_organizer,
                           N_("Confirm every redaction without flags"), irreversible=True)
RESOLVE_FLAG = permission("nominations.resolve_flag", is_organizer, N_("Resolve a redaction flag"))
WITHDRAW = permission("nominations.withdraw", is_organizer & stage_allows(Capability.INTAKE),
                      N_("Withdraw a nomination"), irreversible=True)
QUOTAS_VIEW = permission("quotas.view", is_organizer | is_auditor, N_("See the city quotas"))
QUOTAS_SET = permission("quotas.set", is_organizer, N_("Set the city quotas"))
IDENTITIES = permission("nominations.identities", is_auditor, N_("Read the nominations with their identities"))

PERMISSIONS = (VIEW, IMPORT, EDIT, CONFIRM, CONFIRM_CLEAN, RESOLVE_FLAG, WITHDRAW, QUOTAS_VIEW, QUOTAS_SET,
               IDENTITIES)
