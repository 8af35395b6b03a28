"""Who may draft, submit, withdraw and correct a city's nominations, and who follows the cities' fulfilment."""

from __future__ import annotations

from judging.accounts.permissions import Predicate, is_auditor, is_nominator, is_organizer, permission
from judging.errors import N_
from judging.stages.models import StageKind
from judging.stages.permissions import stage_is_open

# Another city's entry is not there for this account (404), as an unknown id.
of_own_city = Predicate("of_own_city", lambda ask: ask.user is not None and ask.user.city is not None
                        and getattr(ask.obj, "city", None) == ask.user.city, hidden=True)

HOME = permission("cities.home", is_nominator, N_("See one's city's nominations, quota and returns"))
ENTRY = permission("cities.entry", is_nominator & of_own_city, N_("See a nomination of one's city"))
DRAFT = permission("cities.draft", is_nominator & of_own_city, N_("Draft a nomination of one's city"))
SUBMIT = permission("cities.submit", is_nominator & of_own_city & stage_is_open(StageKind.NOMINATION),
                    N_("Submit a nomination of one's city within its quota"))
WITHDRAW = permission("cities.withdraw", is_nominator & of_own_city & stage_is_open(StageKind.NOMINATION),
                      N_("Withdraw a nomination of one's city"), irreversible=True)
CORRECT = permission("cities.correct", is_nominator & of_own_city & stage_is_open(StageKind.FORMAL_REVIEW),
                     N_("Correct and resubmit a nomination formal review returned"))
OFFICE = permission("cities.office", is_organizer | is_auditor,
                    N_("Follow the cities' online nominations, fulfilment and assessment"))

PERMISSIONS = (HOME, ENTRY, DRAFT, SUBMIT, WITHDRAW, CORRECT, OFFICE)
