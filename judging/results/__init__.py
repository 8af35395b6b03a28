"""Result runs, approval (which freezes scores), recomputation, advancing, unblinding, awards, publication.

``is_frozen(session, assignment_id)`` / ``ensure_not_frozen(...)`` are what the scoring service asks
before changing a sheet; a flush guard refuses such changes in any case.
"""

from judging.results.models import (
    Advancement, JudgeDiagnostic, NamedMethod, Publication, Report, ResultEntry, ResultRun, RunApproval, RunCheck,
    Unblinding,
)
from judging.results.service import (
    advance, approve_run, award_list, create_run, ensure_not_frozen, gather_inputs, is_frozen, may_day_list,
    preflight, publish, unblind,
)

__all__ = [
    "Advancement", "JudgeDiagnostic", "NamedMethod", "Publication", "Report", "ResultEntry", "ResultRun",
    "RunApproval", "RunCheck", "Unblinding", "advance", "approve_run", "award_list", "create_run",
    "ensure_not_frozen", "gather_inputs", "is_frozen", "may_day_list", "preflight", "publish", "unblind",
]
