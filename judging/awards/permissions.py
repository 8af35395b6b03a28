"""Who may read the award lists and name a method. Publication follows 审定, which the notices part records:
its permission (``awards.publish``) is declared there (judging/notices/permissions.py)."""

from __future__ import annotations

from judging.accounts.permissions import is_auditor, is_organizer, permission
from judging.errors import N_

VIEW = permission("awards.view", is_organizer | is_auditor, N_("See the award lists and the May Day list"))
NAME_METHOD = permission("awards.name_method", is_organizer, N_("Name an operating method after its creator"))

PERMISSIONS = (VIEW, NAME_METHOD)
