"""The tally sheet (计票结果表) of a tallied meeting: a stored document, made once right after the tally
commits and served from storage after that.

``sheet_context`` reads everything in the caller's transaction; ``judging.documents`` renders it with
no transaction open and stores it with its SHA-256 (``make_sheet``).
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from judging import audit, documents
from judging.audit.chain import chain_head
from judging.db.base import utcnow
from judging.documents import local_time
from judging.editions.models import Category, Edition
from judging.errors import NotFound
from judging.meetings import service
from judging.meetings.models import Meeting, MeetingRecusal, MeetingStatus
from judging.panels.models import Expert
from judging.results.models import ResultRun


def sheet_context(session: Session, *, meeting_id: int) -> dict[str, Any]:
    meeting = service.get_meeting(session, meeting_id)
    if meeting.status is not MeetingStatus.TALLIED:
        raise NotFound("tally")
    edition = session.get(Edition, meeting.edition_id)
    category = session.get(Category, meeting.category_id)
    run = session.get(ResultRun, meeting.run_id)
    experts = {e.id: e for e in session.scalars(
        select(Expert).where(Expert.id.in_([m.expert_id for m in meeting.members])))}
    by_member = {m.id: m for m in meeting.members}
    name = {m.id: experts[m.expert_id].name for m in meeting.members}
    codes = {row.nomination_id: row.code for row in meeting.shortlist}
    titles = service.titles(session, meeting)
    recused = session.scalars(select(MeetingRecusal).where(MeetingRecusal.meeting_id == meeting.id)
                              .order_by(MeetingRecusal.nomination_id, MeetingRecusal.member_id)).all()
    whole = service.overall(meeting)
    head = chain_head(session)
    chair = service.chair_of(meeting)
    return {
        "edition": edition.name, "category": category.name, "meeting_id": meeting.id,
        "run": {"id": run.id, "method": run.method, "rule": run.rule(documents.gettext)},
        "opens_at": local_time(meeting.opens_at), "closes_at": local_time(meeting.closes_at),
        "tallied_at": local_time(meeting.tallied_at), "generated_at": local_time(utcnow()),
        "quorum": str(service.quorum_of(meeting)), "threshold": str(service.threshold_of(meeting)),
        "overall": {"seats": whole.seats, "present": whole.present, "quorum_met": whole.quorum_met},
        "chair": name[chair.id] if chair else "",
        "members": [{"name": name[m.id], "employer": experts[m.expert_id].employer, "chair": m.is_chair,
                     "present": m.present, "replaced": m.replaced,
                     "substitute_for": name[m.substitute_for_id] if m.substitute_for_id else None,
                     "approved_by": name[m.approved_by_member_id] if m.approved_by_member_id else None,
                     "ballot": m.ballot_method if m.ballot_cast else ""}
                    for m in meeting.members],
        "rows": [{"rank": row.rank, "code": row.code, "title": titles.get(row.nomination_id, ""),
                  "members": row.members, "present": row.present, "agree": row.agree, "disagree": row.disagree,
                  "abstain": row.abstain, "blank": (row.present or 0) - row.agree - row.disagree - row.abstain,
                  "quorum_met": row.quorum_met, "passed": row.passed} for row in meeting.shortlist],
        "recusals": [{"member": name[r.member_id], "code": codes.get(r.nomination_id, ""),
                      "source": r.source.value, "reasons": service.recusal_reasons(r)}
                     for r in recused if r.member_id in by_member],
        "chain": {"length": head.length, "hash": head.hash},
        "ballot": _ballot_proof(session, meeting),
    }


def _ballot_proof(session: Session, meeting) -> dict[str, Any]:
    """What a reader needs to check the totals: the receipts, the key and the aggregate's opening."""
    key = service.key_of(session, meeting)
    if key is None or key.aggregate is None:
        return {}
    return {"receipts": service.published_receipts(session, meeting), "key": service.fingerprint(key),
            "aggregate_sha256": hashlib.sha256(key.aggregate.encode()).hexdigest(),
            "verified": service.verify_tally(session, meeting)}


TALLY_SHEET = "tally_sheet"  # the document kind; its subject is the meeting (one per meeting)


def sheet_draft(session: Session, *, meeting_id: int) -> documents.Draft:
    ctx = sheet_context(session, meeting_id=meeting_id)
    return documents.Draft(kind=TALLY_SHEET, subject_type="meeting", subject_id=meeting_id,
                           filename=f"meeting{meeting_id}-tally.pdf", template="reports/meeting_tally.html",
                           context=ctx, details={"category": session.get(Meeting, meeting_id).category_id})


def stored_sheet(session: Session, meeting_id: int) -> documents.Document | None:
    return documents.latest_of(session, "meeting", meeting_id, kind=TALLY_SHEET)


def make_sheet(session_factory: sessionmaker[Session], *, meeting_id: int, by: audit.Actor) -> documents.Document:
    """The meeting's tally sheet, rendered and stored the first time (a second call returns the stored one)."""
    return documents.produce(session_factory, lambda session: sheet_draft(session, meeting_id=meeting_id), by=by,
                             once=True)
