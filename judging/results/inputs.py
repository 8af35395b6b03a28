"""What a result run is computed from: the submitted scores of a round and category in canonical form
(their SHA-256 is the run's input digest), and the preflight figures shown before a run starts."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

import judgestats
from judging.audit.chain import canonical_json
from judging.editions.models import Category, Criterion, Round, ScaleKind
from judging.nominations.models import BlindCode, Nomination, NominationStatus
from judging.panels.models import Assignment
from judging.scoring.models import CriterionScore, ScoreSheet, SheetStatus
from judging.scoring.rules import CONFIDENCE_WEIGHTS, weighted_total


def sha256_json(value: Any) -> str:
    return hashlib.sha256(canonical_json(value)).hexdigest()


def _dec(value: Decimal) -> str:
    return format(Decimal(value).quantize(Decimal("0.001")), "f")


def familiarity_confidence() -> dict[str, float]:
    """The scoring part's familiarity -> confidence mapping (weights of the ``confidence`` method)."""
    return {str(k): float(v) for k, v in CONFIDENCE_WEIGHTS.items()}


@dataclass
class Inputs:
    """The exact scores of a round and category, in canonical form, and the arrays for the engine."""

    document: dict
    digest: str
    unsubmitted: int
    nominations: list[int]
    codes: list[str]
    experts: list[int]
    item: np.ndarray
    judge: np.ndarray
    score: np.ndarray
    confidence: np.ndarray | None


def gather_inputs(session: Session, *, round_: Round, category: Category) -> Inputs:
    """Submitted sheets of non-withdrawn assignments in ``round_`` for ``category``, canonically ordered."""
    criteria = list(category.rubric.criteria) if category.rubric else []
    base = (select(Assignment.id, Assignment.nomination_id, Assignment.expert_id)
            .join(Nomination, Nomination.id == Assignment.nomination_id)
            .where(Assignment.round_id == round_.id, Nomination.category_id == category.id,
                   Assignment.withdrawn_at.is_(None), Nomination.status != NominationStatus.WITHDRAWN))
    assignments = session.execute(base).all()
    sheets = {row.assignment_id: row for row in session.execute(
        select(ScoreSheet.id, ScoreSheet.assignment_id, ScoreSheet.familiarity)
        .where(ScoreSheet.assignment_id.in_(base.with_only_columns(Assignment.id)),
               ScoreSheet.status == SheetStatus.SUBMITTED))}
    values: dict[int, dict[int, Decimal]] = {}
    grades: dict[int, dict[int, str]] = {}
    for sheet_id, criterion_id, value, grade in session.execute(
            select(CriterionScore.sheet_id, CriterionScore.criterion_id, CriterionScore.value, CriterionScore.grade)
            .join(ScoreSheet, ScoreSheet.id == CriterionScore.sheet_id)
            .where(ScoreSheet.assignment_id.in_(base.with_only_columns(Assignment.id)),
                   ScoreSheet.status == SheetStatus.SUBMITTED)):
        values.setdefault(sheet_id, {})[criterion_id] = value
        if grade is not None:
            grades.setdefault(sheet_id, {})[criterion_id] = grade
    codes = dict(session.execute(select(BlindCode.nomination_id, BlindCode.code)
                                 .where(BlindCode.round_id == round_.id)).all())
    mapping = familiarity_confidence()
    rows = []
    for assignment_id, nomination_id, expert_id in sorted(assignments, key=lambda a: (a[1], a[2], a[0])):
        sheet = sheets.get(assignment_id)
        if sheet is None:
            continue
        sheet_values, sheet_grades = values.get(sheet.id, {}), grades.get(sheet.id, {})
        row = {
            "assignment": assignment_id, "nomination": nomination_id,
            "code": codes.get(nomination_id, f"N{nomination_id}"), "expert": expert_id,
            "familiarity": sheet.familiarity,
            "values": {str(c.position): _dec(sheet_values[c.id]) for c in criteria if c.id in sheet_values},
            "total": _dec(weighted_total(criteria, sheet_values)),
        }
        if sheet_grades:  # the grades chosen beside their numbers (documents without grade scales are unchanged)
            row["grades"] = {str(c.position): sheet_grades[c.id] for c in criteria if c.id in sheet_grades}
        rows.append(row)
    document = {
        "round": round_.id, "category": category.id,
        "criteria": [_criterion_document(c) for c in criteria],
        "sheets": rows,
    }
    nominations = sorted({r["nomination"] for r in rows})
    experts = sorted({r["expert"] for r in rows})
    n_index = {n: i for i, n in enumerate(nominations)}
    e_index = {e: i for i, e in enumerate(experts)}
    item = np.array([n_index[r["nomination"]] for r in rows], dtype=np.int64)
    judge = np.array([e_index[r["expert"]] for r in rows], dtype=np.int64)
    # The engine gets the exact decimal total converted once to the nearest float.
    score = np.array([float(Decimal(r["total"])) for r in rows], dtype=np.float64)
    confidence = None
    if rows:
        confidence = np.array([mapping.get(r["familiarity"] or "", 1.0) for r in rows], dtype=np.float64)
    first_code = {}
    for r in rows:
        first_code.setdefault(r["nomination"], r["code"])
    return Inputs(document=document, digest=sha256_json(document),
                  unsubmitted=len(assignments) - len(rows), nominations=nominations,
                  codes=[first_code[n] for n in nominations], experts=experts,
                  item=item, judge=judge, score=score, confidence=confidence)


def _criterion_document(criterion: Criterion) -> dict:
    """A criterion as a run's inputs record it; a grade scale adds its table of grades and numbers."""
    document = {"position": criterion.position, "name": criterion.name, "weight": _dec(criterion.weight),
                "min": _dec(criterion.scale_min), "max": _dec(criterion.scale_max)}
    if criterion.scale_kind is ScaleKind.GRADE:
        document["kind"] = criterion.scale_kind.value
        document["grades"] = [{"label": g.label, "value": _dec(g.value)} for g in criterion.grades]
    return document


@dataclass(frozen=True)
class Preflight:
    """What an organizer must know before a run: missing sheets and the design's components."""

    n_scores: int
    unsubmitted: int
    n_components: int
    components: list[dict] = field(default_factory=list)


def preflight(session: Session, *, round_: Round, category: Category) -> Preflight:
    inputs = gather_inputs(session, round_=round_, category=category)
    if inputs.item.size == 0:
        return Preflight(0, inputs.unsubmitted, 0)
    conn = judgestats.connectivity(inputs.item, inputs.judge)
    components = []
    if conn.n_components > 1:
        for c in range(conn.n_components):
            items = np.flatnonzero(conn.item_component == c)
            components.append({"component": c + 1, "items": int(items.size),
                               "judges": int(np.sum(conn.judge_component == c)),
                               "codes": [inputs.codes[i] for i in items[:6]]})
    return Preflight(int(inputs.item.size), inputs.unsubmitted, conn.n_components, components)
