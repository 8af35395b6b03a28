"""The parts of the product, listed once: their pages, their background jobs and their stage checks.

The pages that gather several parts (the organizer's home, the stages of an edition, the auditor's home
with the audit log) belong to the web layer above, which adds them when it assembles the app.

The app (``judging.web.app``), the worker and the CLI assemble the same list and install it, with the
process's settings, before they serve anything; nothing registers itself when it happens to be imported.
``assemble`` refuses a list in which a stage has no blocker check, or a page starts a job kind that no
part handles, so a mistake stops the process at startup instead of failing a user's click later.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from judging import jobs
from judging.accounts import controllers as accounts_pages
from judging.awards import controllers as awards_pages
from judging.formal_review import (
    controllers as formal_review_pages, jobs as formal_review_jobs, service as formal_review,
)
from judging.jobs import controllers as job_pages
from judging.meetings import controllers as meeting_pages, service as meetings
from judging.nominations import controllers as nomination_pages, jobs as nomination_jobs, service as nominations
from judging.notices import controllers as notice_pages, jobs as notice_jobs, service as notices
from judging.panels import controllers as panel_pages, jobs as panel_jobs
from judging.reports import controllers as report_pages, jobs as report_jobs
from judging.results import controllers as result_pages, jobs as result_jobs, service as results
from judging.scoring import controllers as scoring_pages
from judging.settings import Settings, install as install_settings
from judging.stages.models import StageKind
from judging.stages.service import BlockerCheck, install_checks


@dataclass(frozen=True)
class Part:
    """One part: its route handlers, the modules of its job handlers, the job kinds its pages start, and
    the blocker checks it declares for the stages whose work it owns."""

    name: str
    handlers: tuple[Any, ...] = ()
    job_modules: tuple[ModuleType, ...] = ()
    starts: tuple[str, ...] = ()
    stage_checks: Mapping[StageKind, BlockerCheck] = field(default_factory=dict)


PARTS: tuple[Part, ...] = (
    Part("accounts", handlers=(accounts_pages.home, accounts_pages.AccountController, accounts_pages.AdminController)),
    Part("jobs", handlers=(job_pages.JobController,)),
    Part("nominations", handlers=(nomination_pages.NominationsController, nomination_pages.QuotasController,
                                  nomination_pages.AuditorNominationsController),
         job_modules=(nomination_jobs,), starts=("nominations.import", "nominations.confirm_clean"),
         stage_checks={StageKind.NOMINATION: nominations.intake_blockers}),
    Part("formal_review", handlers=(formal_review_pages.FormalReviewController,), job_modules=(formal_review_jobs,),
         stage_checks={StageKind.FORMAL_REVIEW: formal_review.formal_review_blockers}),
    Part("panels", handlers=(panel_pages.PanelsController,), job_modules=(panel_jobs,),
         starts=("panels.preview", "panels.commit", "panels.refill")),
    Part("scoring", handlers=(scoring_pages.JudgeController, scoring_pages.JudgeAttachmentController,
                              scoring_pages.RoundController, scoring_pages.RosterController,
                              scoring_pages.RubricController),
         starts=("panels.refill",)),
    Part("results", handlers=(result_pages.ResultsController, result_pages.ResultsApiController),
         job_modules=(result_jobs,), starts=("results.compute", "results.recompute"),
         stage_checks={StageKind.ONLINE_REVIEW: results.online_review_blockers}),
    Part("meetings", handlers=(meeting_pages.MeetingsController, meeting_pages.MemberMeetingsController),
         stage_checks={StageKind.PANEL_MEETING: meetings.meeting_blockers}),
    Part("awards", handlers=(awards_pages.AwardsController, awards_pages.PublicController)),
    Part("notices", handlers=(notice_pages.NoticesController, notice_pages.PublicNoticesController),
         job_modules=(notice_jobs,), starts=("notices.pdf",),
         stage_checks={StageKind.PUBLIC_NOTICE: notices.notice_blockers,
                       StageKind.APPROVAL: notices.approval_blockers}),
    Part("reports", handlers=(report_pages.ReportsController,), job_modules=(report_jobs,),
         starts=("results.report",)),
)


class AssemblyError(RuntimeError):
    """The parts do not fit together; the message names what is missing."""


@dataclass(frozen=True)
class Registry:
    """The assembled parts: what the app routes, what the worker runs and what the stages ask."""

    handlers: tuple[Any, ...]
    job_kinds: tuple[jobs.JobKind, ...]
    stage_checks: dict[StageKind, tuple[BlockerCheck, ...]]

    def install(self, settings: Settings, *, extra_job_kinds: Iterable[jobs.JobKind] = ()) -> None:
        """Make this process run with these parts and settings: the stage checks, the job system with its handlers.

        ``extra_job_kinds``: handlers a process adds to the parts' own (the crash tests' slow jobs)."""
        install_settings(settings)
        install_checks(self.stage_checks)
        jobs.configure(settings, [*self.job_kinds, *extra_job_kinds])


def assemble(parts: Iterable[Part] = PARTS) -> Registry:
    parts = tuple(parts)
    kinds = [kind for part in parts for module in part.job_modules for kind in jobs.kinds_in(module)]
    names = [kind.name for kind in kinds]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise AssemblyError(f"job kinds handled by more than one part: {', '.join(twice)}")
    unhandled = sorted({kind for part in parts for kind in part.starts} - set(names))
    if unhandled:
        raise AssemblyError(f"job kinds started by a page but handled by no part: {', '.join(unhandled)}")
    checks: dict[StageKind, tuple[BlockerCheck, ...]] = {}
    for part in parts:
        for kind, check in part.stage_checks.items():
            checks[kind] = (*checks.get(kind, ()), check)
    unchecked = [kind.value for kind in StageKind if kind not in checks]
    if unchecked:
        raise AssemblyError(f"stages without a blocker check: {', '.join(unchecked)}")
    return Registry(tuple(h for part in parts for h in part.handlers), tuple(kinds), checks)


def install(settings: Settings) -> Registry:
    """Assemble the parts and install them in this process (the worker's and the CLI's start)."""
    registry = assemble()
    registry.install(settings)
    return registry

