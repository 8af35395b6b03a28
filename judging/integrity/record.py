"""Each expert's record across editions: assignments, completion and timeliness, reopened sheets,
declared conflicts, severity and consistency in approved runs, favouritism flags, organizer's notes.

The record is read, never stored: it is derived from the rows each part keeps. :func:`pool_exclusions`
turns it into the filter the organizer applies when drawing or composing the next pool.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from judging import audit
from judging.documents.models import Document
from judging.editions.models import Category, Edition, Round
from judging.errors import N_, JudgingError, NotFound
from judging.integrity.analysis import DIMENSION_LABELS
from judging.integrity.report import KIND, SUBJECT
from judging.panels.models import Assignment, Conflict, ConflictSource, Expert
from judging.panels.pool_models import ExpertNote
from judging.results.models import JudgeDiagnostic, ResultRun, RunApproval
from judging.scoring.models import DeadlineExtension, ScoreSheet, SheetStatus


def _sheets(session: Session, expert_id: int) -> dict[int, dict[str, Any]]:
    """Per edition: assignments, withdrawn, submitted, on time, late, reopened."""
    extensions = dict(session.execute(select(DeadlineExtension.round_id, DeadlineExtension.deadline_at)
                                      .where(DeadlineExtension.expert_id == expert_id)).all())
    rows = session.execute(
        select(Round.edition_id, Round.id, Round.deadline_at, Assignment.withdrawn_at, ScoreSheet.status,
               ScoreSheet.submitted_at, ScoreSheet.reopened_at)
        .join(Round, Round.id == Assignment.round_id)
        .outerjoin(ScoreSheet, ScoreSheet.assignment_id == Assignment.id)
        .where(Assignment.expert_id == expert_id)).all()
    out: dict[int, dict[str, Any]] = defaultdict(lambda: dict.fromkeys(
        ("assignments", "withdrawn", "submitted", "on_time", "late", "reopened"), 0))
    for edition_id, round_id, deadline, withdrawn_at, status, submitted_at, reopened_at in rows:
        e = out[edition_id]
        if withdrawn_at is not None:
            e["withdrawn"] += 1
            continue
        e["assignments"] += 1
        e["reopened"] += reopened_at is not None
        if status is SheetStatus.SUBMITTED:
            e["submitted"] += 1
            due = extensions.get(round_id) or deadline
            if due is not None and submitted_at is not None:
                e["on_time" if submitted_at <= due else "late"] += 1
    return out


def _flags(session: Session, expert_id: int) -> list[dict[str, Any]]:
    flags = []
    for document in session.scalars(select(Document).where(Document.kind == KIND, Document.subject_type == SUBJECT)
                                    .order_by(Document.id)):
        for flag in (document.details or {}).get("flags", []):
            if flag.get("expert") == expert_id:
                flags.append({"run": document.subject_id, "dimension": flag["dimension"],
                              "label": DIMENSION_LABELS.get(flag["dimension"], flag["dimension"]), "bonus": flag["bonus"],
                              "qvalue": flag["qvalue"], "report": document.id})
    # a run's report may be made more than once: one flag per run and dimension
    return list({(f["run"], f["dimension"]): f for f in flags}.values())


def expert_record(session: Session, expert_id: int) -> dict[str, Any]:
    """The expert's record, per edition and in all, as plain values."""
    expert = session.get(Expert, expert_id)
    if expert is None:
        raise NotFound("expert")
    sheets = _sheets(session, expert_id)
    runs = session.execute(
        select(ResultRun.id, ResultRun.edition_id, Category.name, Round.name, JudgeDiagnostic.severity,
               JudgeDiagnostic.correlation, JudgeDiagnostic.n_scores)
        .join(JudgeDiagnostic, JudgeDiagnostic.run_id == ResultRun.id)
        .join(RunApproval, RunApproval.run_id == ResultRun.id)
        .join(Category, Category.id == ResultRun.category_id).join(Round, Round.id == ResultRun.round_id)
        .where(JudgeDiagnostic.expert_id == expert_id).order_by(ResultRun.id)).all()
    editions = {e.id: e for e in session.scalars(select(Edition).order_by(Edition.year))}
    notes = session.scalars(select(ExpertNote).where(ExpertNote.expert_id == expert_id)
                            .order_by(ExpertNote.id.desc())).all()
    per_edition = [{"edition": editions[eid].name, "year": editions[eid].year, **sheets[eid]}
                   for eid in sorted(sheets, key=lambda e: editions[e].year)]
    total = {k: sum(e[k] for e in per_edition) for k in
             ("assignments", "withdrawn", "submitted", "on_time", "late", "reopened")}
    total["completion"] = total["submitted"] / total["assignments"] if total["assignments"] else None
    timed = total["on_time"] + total["late"]
    total["timeliness"] = total["on_time"] / timed if timed else None
    total["declared_conflicts"] = _declared(session, expert_id)
    return {
        "expert": {"id": expert.id, "name": expert.name, "active": expert.active},
        "editions": per_edition, "total": total,
        "runs": [{"run": r, "edition": editions[e].name if e in editions else "", "category": c, "round": rd,
                  "severity": s, "consistency": corr, "n_scores": n} for r, e, c, rd, s, corr, n in runs],
        "flags": _flags(session, expert_id),
        "notes": [{"text": n.text, "at": n.created_at, "edition": editions[n.edition_id].name
                   if n.edition_id in editions else ""} for n in notes],
    }


def _declared(session: Session, expert_id: int) -> int:
    return len(session.scalars(select(Conflict.id).where(Conflict.expert_id == expert_id,
                                                         Conflict.source == ConflictSource.DECLARED)).all())


def add_note(session: Session, *, expert_id: int, text: str, by: audit.Actor,
             edition_id: int | None = None) -> ExpertNote:
    """An organizer's note on the expert's record. Audited."""
    if session.get(Expert, expert_id) is None:
        raise NotFound("expert")
    text = (text or "").strip()
    if not text:
        raise JudgingError(N_("Write the note."))
    if len(text) > 2000:
        raise JudgingError(N_("A note is at most {limit} characters."), limit=2000)
    note = ExpertNote(expert_id=expert_id, text=text, edition_id=edition_id, created_by_id=by.id)
    session.add(note)
    session.flush()
    audit.append(session, actor=by, action="expert_note.added", object_type="expert_note", object_id=note.id,
                 data={"expert": expert_id, "edition": edition_id, "text": text})
    return note


def pool_exclusions(session: Session, *, exclude_flagged: bool, min_completion: float | None) -> dict[int, str]:
    """Experts the record filter leaves out of a draw or pool, with why ("flagged", "completion")."""
    out: dict[int, str] = {}
    for expert_id in session.scalars(select(Expert.id).where(Expert.active.is_(True)).order_by(Expert.id)):
        record = expert_record(session, expert_id)
        if exclude_flagged and record["flags"]:
            out[expert_id] = "flagged"
        elif min_completion is not None and record["total"]["completion"] is not None \
                and record["total"]["completion"] < min_completion:
            out[expert_id] = "completion"
    return out
