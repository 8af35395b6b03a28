"""Background jobs (huey) with progress that pages and the CLI can show."""

from judging.jobs.models import Job, JobStatus
from judging.jobs.service import JobContext, get_huey, get_job, job_kind, recover_interrupted, run_job, start_job

__all__ = ["Job", "JobContext", "JobStatus", "get_huey", "get_job", "job_kind", "recover_interrupted", "run_job",
           "start_job"]
