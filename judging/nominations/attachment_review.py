"""Attachments through the organizer's review: store the sanitized copy and the redacted copy judges get,
say what was removed, masked and still looks identifying, and replace a file. Services take a Session,
never commit, and audit their changes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from judging import audit
from judging.db.base import utcnow
from judging.editions.models import Edition
from judging.errors import N_, JudgingError, NotFound
from judging.nominations import detector, dictionary, masking
from judging.nominations.attachment_text import redact_file
from judging.nominations.attachments import KINDS, AttachmentError, CleanFile, sanitize
from judging.nominations.models import (
    Attachment, Nomination, NominationFlag, NominationIdentity, NominationOriginal, NominationStatus,
)
from judging.nominations.redaction import redact
from judging.nominations.storage import AttachmentStore

__all__ = ["AttachmentView", "attachment_view", "refused", "replace", "review_file", "store_file"]

#: Flag kinds raised on an attachment, in the order the review lists them.
FLAG_KINDS = ("attachment_refused", "attachment_leftover", "attachment_review")
_LOOK_AT = ("image", "scanned_page", "converted")


def store_file(clean: CleanFile, *, names, store: AttachmentStore,
               written: list[str]) -> tuple[Attachment, list[tuple[str, list[dict]]]]:
    """An Attachment row for `clean` (position not set) and the flags it raises, as (kind, detail)."""
    if clean.refusal:
        attachment = Attachment(original_name=clean.declared_name[:300], stored_name=None, review_name=None,
                                kind="refused", size=0, sha256="", state="refused", refusal=clean.refusal,
                                findings=[])
        return attachment, [("attachment_refused", [{"text": clean.refusal}])]
    result = redact_file(clean, names)
    review_name = store.put(clean.data)
    stored = store.put(result.data)
    written.extend([review_name, stored])
    redacted_text = redact(clean.text, global_names=names).text if clean.text else ""
    leftovers = detector.detect(redacted_text, "attachment")
    findings = ([{"kind": "masked", "what": h.kind, "text": h.text} for h in result.hits][:200]
                + [{"kind": n["kind"], "text": n["text"]} for n in result.notes]
                + [{"kind": "detector", "what": f.kind, "text": f.text} for f in leftovers][:200])
    attachment = Attachment(original_name=clean.declared_name[:300], stored_name=stored, review_name=review_name,
                            kind=clean.kind, size=len(result.data), sha256=hashlib.sha256(result.data).hexdigest(),
                            state="ok", refusal="", findings=findings)
    flags: list[tuple[str, list[dict]]] = []
    if leftovers:
        flags.append(("attachment_leftover", [{"kind": f.kind, "text": f.text} for f in leftovers]))
    look = [n for n in result.notes if n["kind"] in _LOOK_AT]
    if look:
        flags.append(("attachment_review", look))
    return attachment, flags


def refused(session: Session, *, nomination_id: int) -> list[Attachment]:
    """The nomination's refused attachments (it stays in review until each is replaced)."""
    return list(session.scalars(select(Attachment).where(Attachment.nomination_id == nomination_id,
                                                         Attachment.state == "refused")))


@dataclass(frozen=True)
class AttachmentView:
    """One attachment as the organizer reviews it."""

    nomination: Nomination
    attachment: Attachment
    flags: list[NominationFlag]
    masked: list[dict]
    removed: list[dict]
    notes: list[dict]
    leftovers: list[dict]


def _get(session: Session, *, edition: Edition, nomination_id: int, attachment_id: int) -> tuple[Nomination,
                                                                                                  Attachment]:
    row = session.execute(select(Nomination, Attachment).join(Attachment, Attachment.nomination_id == Nomination.id)
                          .where(Nomination.id == nomination_id, Nomination.edition_id == edition.id,
                                 Attachment.id == attachment_id)).first()
    if row is None:
        raise NotFound("attachment")
    return row[0], row[1]


def attachment_view(session: Session, *, edition: Edition, nomination_id: int, attachment_id: int) -> AttachmentView:
    nomination, attachment = _get(session, edition=edition, nomination_id=nomination_id, attachment_id=attachment_id)
    flags = list(session.scalars(select(NominationFlag).where(NominationFlag.attachment_id == attachment.id)
                                 .order_by(NominationFlag.id)))
    findings = attachment.findings or []
    return AttachmentView(nomination, attachment, flags,
                          masked=[f for f in findings if f.get("kind") == "masked"],
                          removed=[f for f in findings if f.get("kind") == "removed"],
                          notes=[f for f in findings if f.get("kind") in _LOOK_AT],
                          leftovers=[f for f in findings if f.get("kind") == "detector"])


def review_file(session: Session, *, edition: Edition, nomination_id: int, attachment_id: int,
                which: str, store: AttachmentStore) -> tuple[str, bytes]:
    """The organizer opens the sanitized copy ("review") or the judges' copy ("judges"): (file name, bytes)."""
    nomination, attachment = _get(session, edition=edition, nomination_id=nomination_id, attachment_id=attachment_id)
    name = attachment.review_name if which == "review" else attachment.stored_name
    if not name:
        raise NotFound("attachment")
    try:
        data = store.get(name)
    except FileNotFoundError:
        raise NotFound("attachment") from None
    return f"{nomination.id}-{attachment.position:02d}-{which}.{KINDS.get(attachment.kind, 'bin')}", data


def replace(session: Session, *, edition: Edition, nomination_id: int, attachment_id: int, data: bytes,
            filename: str, store: AttachmentStore, by: audit.Actor, written: list[str]) -> Attachment:
    """Replace one attachment with a new file, cleaned and redacted like an imported one (audited).

    The attachment's flags are resolved by the act and its new flags raised; a confirmed nomination goes
    back to review, since judges must not get a file nobody looked at. A file that cannot be cleaned is
    refused with the reason and nothing changes.
    """
    nomination, attachment = _get(session, edition=edition, nomination_id=nomination_id, attachment_id=attachment_id)
    if nomination.status is NominationStatus.WITHDRAWN:
        raise JudgingError(N_("A withdrawn nomination cannot be changed."))
    try:
        clean = sanitize(data, filename or attachment.original_name)
    except AttachmentError as exc:
        raise JudgingError(N_("The file was refused: {reason}"), reason=exc.problem) from None
    identity = session.get(NominationIdentity, nomination.id)
    original = session.get(NominationOriginal, nomination.id)
    names = masking.own_names(
        masking.identity_of(identity, original, dictionary.short_names_by_employer(session, edition_id=edition.id)),
        masking.edition_index(session, edition_id=edition.id))
    fresh, flags = store_file(clean, names=names, store=store, written=written)
    before = {"state": attachment.state, "sha256": attachment.sha256, "kind": attachment.kind}
    for name in ("stored_name", "review_name", "kind", "size", "sha256", "state", "refusal", "findings"):
        setattr(attachment, name, getattr(fresh, name))
    attachment.original_name = (filename or attachment.original_name)[:300]
    now = utcnow()
    for flag in session.scalars(select(NominationFlag).where(NominationFlag.attachment_id == attachment.id,
                                                              NominationFlag.resolved_at.is_(None))):
        flag.resolved_at, flag.resolved_by_id = now, by.id
    for kind, detail in flags:
        session.add(NominationFlag(nomination_id=nomination.id, kind=kind, attachment_id=attachment.id,
                                   detail=detail[:50]))
    if nomination.status is NominationStatus.CONFIRMED:
        nomination.status = NominationStatus.RECEIVED
    session.flush()
    audit.append(session, actor=by, action="attachment.replaced", object_type="attachment", object_id=attachment.id,
                 data={"nomination": nomination.id, "before": before,
                       "after": {"state": attachment.state, "sha256": attachment.sha256, "kind": attachment.kind},
                       "flags": [kind for kind, _ in flags], "status": nomination.status.value})
    return attachment
