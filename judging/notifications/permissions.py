"""Who manages accounts and invitations, who reads their own account, and who watches the outbox."""

from __future__ import annotations

from judging.accounts.permissions import is_admin, is_logged_in, is_organizer, permission
from judging.errors import N_

# Which roles each manager may touch is the service's rule (accounts.manage.ensure_may_manage): the admin
# every account, the organizer the experts' accounts.
ACCOUNTS = permission("accounts.manage", is_admin | is_organizer,
                      N_("Create, edit, deactivate and invite accounts (the organizer: the experts' accounts)"))
OWN_ACCOUNT = permission("accounts.own", is_logged_in, N_("Change one's password and read one's notifications"))
OUTBOX = permission("notifications.outbox", is_organizer, N_("See the outbox and have it sent now"))

PERMISSIONS = (ACCOUNTS, OWN_ACCOUNT, OUTBOX)
