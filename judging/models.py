"""Every domain's models in one import, so Alembic and tests see the whole schema."""

from judging.accounts.models import AccountToken, LoginFailure, Role, User, UserSession
from judging.audit.models import AuditEvent
import judging.audit.log  # noqa: F401,E402  (the indexes the auditor's log reads through)
from judging.editions.models import (
    Category, CategoryKey, Criterion, CriterionLevel, Edition, EditionStatus, Round, RoundKind, RoundStatus, Rubric,
)
from judging.jobs.models import Job, JobStatus
import judging.documents.models  # noqa: F401,E402  (stored PDF documents)
from judging.nominations.models import Attachment, BlindCode, Nomination, NominationIdentity, NominationStatus
from judging.panels.models import Assignment, Conflict, ConflictSource, Expert
import judging.panels.pool_models  # noqa: F401,E402  (random draws of experts, organizer's notes)
from judging.scoring.models import CriterionScore, ScoreFreeze, ScoreSheet, SheetStatus
import judging.results.models  # noqa: F401,E402  (result runs, approvals, checks, unblinding)
import judging.awards.models  # noqa: F401,E402  (publication, named methods)
from judging.stages.models import Stage, StageKind, StageStatus
from judging.meetings.models import (
    Meeting, MeetingBallot, MeetingKey, MeetingKeyShare, MeetingMember, MeetingNomination, MeetingRecusal,
)
import judging.formal_review.models  # noqa: F401,E402  (formal-review checklists and decisions)
import judging.notices.models  # noqa: F401,E402  (public notices, objections, committee approval)
from judging.notifications.models import Notification  # noqa: E402  (the outbox)
import judging.cities.models  # noqa: F401,E402  (the cities' online nominations)

__all__ = [
    "AccountToken", "Notification",
    "Assignment", "Attachment", "AuditEvent", "BlindCode", "Category", "CategoryKey", "Criterion", "CriterionLevel",
    "Conflict", "ConflictSource", "CriterionScore", "Edition", "EditionStatus", "Expert", "Job", "Meeting", "MeetingMember", "MeetingNomination", "MeetingRecusal", "MeetingBallot", "MeetingKey", "MeetingKeyShare", "JobStatus", "LoginFailure", "Nomination", "NominationIdentity", "NominationStatus",
    "Role", "Round", "RoundKind", "RoundStatus", "Rubric", "ScoreFreeze", "ScoreSheet", "SheetStatus", "Stage", "StageKind", "StageStatus", "User", "UserSession",
]
