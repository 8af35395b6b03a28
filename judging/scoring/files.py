"""A judge downloads an attachment of an own assignment, by its blinded name: beside the judge's sheet,
because who may open it is the sheet's rule (own, active assignment in an open round)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from judging.accounts.models import User
from judging.editions.models import Round, RoundStatus
from judging.errors import NotFound
from judging.nominations.models import Attachment, BlindCode
from judging.nominations.storage import AttachmentStore
from judging.panels.models import Assignment, Expert


@dataclass(frozen=True)
class JudgeFile:
    filename: str
    media_type: str
    data: bytes


MEDIA_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpeg": "image/jpeg",
               "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


def judge_attachment(session: Session, *, judge: User, assignment_id: int, name: str,
                     store: AttachmentStore) -> JudgeFile:
    """An attachment of the judge's own active assignment in an open round, under its blinded name.

    NotFound for anything else (another judge's assignment, a withdrawn one, a closed round, a
    name that is not ``<code>-<n>.<ext>`` of this nomination), so nothing can be probed.
    """
    row = session.execute(
        select(Assignment.nomination_id, BlindCode.code)
        .join(Expert, Expert.id == Assignment.expert_id)
        .join(Round, Round.id == Assignment.round_id)
        .join(BlindCode, (BlindCode.nomination_id == Assignment.nomination_id) & (BlindCode.round_id == Round.id))
        .where(Assignment.id == assignment_id, Expert.user_id == judge.id, Assignment.withdrawn_at.is_(None),
               Round.status == RoundStatus.OPEN)).first()
    if row is None:
        raise NotFound("assignment")
    nomination_id, code = row
    # Only a sanitized, redacted copy ever goes out: a refused file has none.
    for attachment in session.scalars(select(Attachment).where(Attachment.nomination_id == nomination_id,
                                                               Attachment.state == "ok",
                                                               Attachment.stored_name.is_not(None))):
        if attachment.blinded_name(code) == name:
            try:
                data = store.get(attachment.stored_name)
            except FileNotFoundError:
                raise NotFound("attachment") from None
            return JudgeFile(name, MEDIA_TYPES.get(attachment.kind, "application/octet-stream"), data)
    raise NotFound("attachment")
