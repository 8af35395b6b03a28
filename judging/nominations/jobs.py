"""Background jobs of the intake: confirming clean nominations (the import itself is formal review's job,
``judging.formal_review.jobs``, because a corrected row of a returned nomination is its resubmission)."""

from __future__ import annotations

from typing import Any

from judging.editions.models import Edition
from judging.errors import N_, NotFound
from judging.jobs import JobContext, job_kind
from judging.nominations import service



@job_kind("nominations.confirm_clean")
def confirm_clean_job(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    ctx.progress(0.02, N_("Confirming the nominations"), force=True)
    with ctx.session_factory() as session:
        edition = session.get(Edition, params["edition_id"])
        if edition is None:
            raise NotFound("edition")
        count = service.confirm_clean(session, edition=edition, by=ctx.actor)
        session.commit()
    return {"confirmed": count, "next_url": "/organizer/nominations/?status=confirmed"}
