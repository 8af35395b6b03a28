"""Background jobs of formal review: receiving an upload of nominations (and their corrections).

``nominations.import`` params: ``{"edition_id", "table", "filename", "archive", "archive_name",
"keep_valid", "var_dir"}`` where ``table``/``archive`` name staged uploads. The
import runs through formal review because a corrected row of a returned nomination is its resubmission.
"""

from __future__ import annotations

from typing import Any

from judging.editions.models import Edition
from judging.errors import N_, NotFound
from judging.formal_review import service
from judging.jobs import JobContext, job_kind
from judging.nominations.storage import AttachmentStore, StagedUpload


@job_kind("nominations.import")
def import_job(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    staged = StagedUpload(params["var_dir"])
    store = AttachmentStore(params["var_dir"])
    written: list[str] = []
    try:
        table = staged.get(params["table"])
        archive = staged.get(params["archive"]) if params.get("archive") else None
        ctx.progress(0.01, N_("Reading the upload"), force=True)
        with ctx.session_factory() as session:
            edition = session.get(Edition, params["edition_id"])
            if edition is None:
                raise NotFound("edition")
            try:
                record = service.import_with_corrections(
                    session, edition=edition, table_data=table, filename=params.get("filename", ""),
                    archive_data=archive, archive_name=params.get("archive_name", ""),
                    keep_valid=bool(params.get("keep_valid")), store=store, by=ctx.actor, written=written)
                session.commit()
            except BaseException:
                session.rollback()
                raise
            return {"import_id": record.id, "status": record.status, "created": record.created,
                    "updated": record.updated, "unchanged": record.unchanged, "errors": len(record.errors),
                    "next_url": f"/organizer/nominations/imports/{record.id}"}
    except BaseException:
        store.remove(written)
        raise
    finally:
        staged.remove(params.get("table", ""))
        staged.remove(params.get("archive") or "")
