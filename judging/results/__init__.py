"""Result runs, approval (scoring freezes the scores), recomputation, advancing and unblinding."""

from judging.results.models import (
    Advancement, JudgeDiagnostic, ResultEntry, ResultRun, RunApproval, RunCheck, Unblinding,
)
from judging.results.inputs import gather_inputs, preflight
from judging.results.service import advance, approve_run, create_run, unblind

__all__ = [
    "Advancement", "JudgeDiagnostic", "ResultEntry", "ResultRun", "RunApproval", "RunCheck", "Unblinding",
    "advance", "approve_run", "create_run", "gather_inputs", "preflight", "unblind",
]
