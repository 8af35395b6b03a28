"""Background jobs (huey) with progress that pages and the CLI can show."""

from judging.jobs.models import Job, JobStatus
from judging.jobs.service import (
    JobContext, JobKind, PeriodicTask, configure, get_huey, get_job, job_kind, kinds_in, recover_interrupted, run_job,
    start_job,
)

__all__ = ["Job", "JobContext", "JobKind", "JobStatus", "PeriodicTask", "configure", "get_huey", "get_job", "job_kind",
           "kinds_in", "recover_interrupted", "run_job", "start_job"]
