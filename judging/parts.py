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
from judging.accounts import controllers as accounts_pages, permissions as account_permissions
from judging.accounts.permissions import Permission, install_permissions
from judging.awards import controllers as awards_pages, permissions as award_permissions
from judging.cities import controllers as city_pages, permissions as city_permissions
from judging.formal_review import (
    controllers as formal_review_pages, jobs as formal_review_jobs, permissions as formal_review_permissions, service as formal_review,
)
from judging.integrity import (
    controllers as integrity_pages, jobs as integrity_jobs, permissions as integrity_permissions,
)
from judging.jobs import controllers as job_pages
from judging.meetings import controllers as meeting_pages, permissions as meeting_permissions, service as meetings
from judging.nominations import (
    controllers as nomination_pages, jobs as nomination_jobs, permissions as nomination_permissions, service as nominations,
)
from judging.notices import (
    controllers as notice_pages, jobs as notice_jobs, permissions as notice_permissions, service as notices,
)
from judging.panels import controllers as panel_pages, jobs as panel_jobs, permissions as panel_permissions
from judging.notifications import (
    controllers as people_pages, jobs as notification_jobs, permissions as people_permissions,
)
from judging.reports import controllers as report_pages, jobs as report_jobs
from judging.results import (
    controllers as result_pages, jobs as result_jobs, permissions as result_permissions, service as results,
)
from judging.scoring import controllers as scoring_pages, permissions as scoring_permissions
from judging.settings import Settings, install as install_settings
from judging.stages import permissions as stage_permissions
from judging.stages.models import StageKind
from judging.stages.service import BlockerCheck, install_checks


@dataclass(frozen=True)
class Part:
    """One part: its route handlers, the modules of its job handlers, the job kinds its pages start, the
    blocker checks it declares for the stages whose work it owns, and the permissions guarding its actions."""

    name: str
    handlers: tuple[Any, ...] = ()
    job_modules: tuple[ModuleType, ...] = ()
    starts: tuple[str, ...] = ()
    stage_checks: Mapping[StageKind, BlockerCheck] = field(default_factory=dict)
    permissions: tuple[Permission, ...] = ()
    periodic: tuple[jobs.PeriodicTask, ...] = ()  # work every consumer runs once a minute


PARTS: tuple[Part, ...] = (
    Part("stages", permissions=stage_permissions.PERMISSIONS),
    Part("accounts", handlers=(accounts_pages.home, accounts_pages.AccountController, accounts_pages.AdminController),
         permissions=account_permissions.PERMISSIONS),
    Part("jobs", handlers=(job_pages.JobController,)),
    Part("notifications", handlers=people_pages.HANDLERS, job_modules=(notification_jobs,),
         starts=("notifications.deliver",), periodic=(notification_jobs.RELAY,),
         permissions=people_permissions.PERMISSIONS),
    Part("nominations", handlers=(nomination_pages.NominationsController, nomination_pages.QuotasController,
                                  nomination_pages.AuditorNominationsController),
         job_modules=(nomination_jobs,), starts=("nominations.import", "nominations.confirm_clean"),
         stage_checks={StageKind.NOMINATION: nominations.intake_blockers},
         permissions=nomination_permissions.PERMISSIONS),
    Part("formal_review", handlers=(formal_review_pages.FormalReviewController,), job_modules=(formal_review_jobs,),
         stage_checks={StageKind.FORMAL_REVIEW: formal_review.formal_review_blockers},
         permissions=formal_review_permissions.PERMISSIONS),
    Part("cities", handlers=(city_pages.CityController, city_pages.CityOfficeController),
         permissions=city_permissions.PERMISSIONS),
    Part("panels", handlers=(panel_pages.PanelsController,), job_modules=(panel_jobs,),
         starts=("panels.preview", "panels.commit", "panels.refill"), permissions=panel_permissions.PERMISSIONS),
    Part("scoring", handlers=(scoring_pages.JudgeController, scoring_pages.JudgeAttachmentController,
                              scoring_pages.RoundController, scoring_pages.RosterController,
                              scoring_pages.RubricController),
         starts=("panels.refill",), permissions=scoring_permissions.PERMISSIONS),
    Part("results", handlers=(result_pages.ResultsController, result_pages.ResultsApiController),
         job_modules=(result_jobs,), starts=("results.compute", "results.recompute"),
         stage_checks={StageKind.ONLINE_REVIEW: results.online_review_blockers},
         permissions=result_permissions.PERMISSIONS),
    Part("meetings", handlers=(meeting_pages.MeetingsController, meeting_pages.MemberMeetingsController),
         stage_checks={StageKind.PANEL_MEETING: meetings.meeting_blockers},
         permissions=meeting_permissions.PERMISSIONS),
    Part("awards", handlers=(awards_pages.AwardsController, awards_pages.PublicController),
         permissions=award_permissions.PERMISSIONS),
    Part("notices", handlers=(notice_pages.NoticesController, notice_pages.PublicNoticesController),
         job_modules=(notice_jobs,), starts=("notices.pdf",),
         stage_checks={StageKind.PUBLIC_NOTICE: notices.notice_blockers,
                       StageKind.APPROVAL: notices.approval_blockers},
         permissions=notice_permissions.PERMISSIONS),
    Part("reports", handlers=(report_pages.ReportsController,), job_modules=(report_jobs,),
         starts=("results.report",)),
    Part("integrity", handlers=(integrity_pages.IntegrityController, integrity_pages.DrawController),
         job_modules=(integrity_jobs,), starts=("integrity.report",),
         permissions=integrity_permissions.PERMISSIONS),
)


class AssemblyError(RuntimeError):
    """The parts do not fit together; the message names what is missing."""


@dataclass(frozen=True)
class Registry:
    """The assembled parts: what the app routes, what the worker runs and what the stages ask."""

    handlers: tuple[Any, ...]
    job_kinds: tuple[jobs.JobKind, ...]
    stage_checks: dict[StageKind, tuple[BlockerCheck, ...]]
    permissions: tuple[Permission, ...] = ()
    periodic: tuple[jobs.PeriodicTask, ...] = ()

    def install(self, settings: Settings, *, extra_job_kinds: Iterable[jobs.JobKind] = ()) -> None:
        """Make this process run with these parts and settings: the stage checks, the job system with its handlers.

        ``extra_job_kinds``: handlers a process adds to the parts' own (the crash tests' slow jobs)."""
        install_settings(settings)
        install_checks(self.stage_checks)
        install_permissions(self.permissions)
        jobs.configure(settings, [*self.job_kinds, *extra_job_kinds], periodic=self.periodic)


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
    names = [p.name for part in parts for p in part.permissions]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise AssemblyError(f"permissions declared by more than one part: {', '.join(twice)}")
    return Registry(tuple(h for part in parts for h in part.handlers), tuple(kinds), checks,
                    tuple(p for part in parts for p in part.permissions),
                    tuple(task for part in parts for task in part.periodic))


def install(settings: Settings) -> Registry:
    """Assemble the parts and install them in this process (the worker's and the CLI's start)."""
    registry = assemble()
    registry.install(settings)
    return registry

