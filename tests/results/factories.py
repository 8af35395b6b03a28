"""Factories for result tests: a small scored edition built from a design, and scoring a demo category."""

from __future__ import annotations

import random
from decimal import Decimal

from sqlalchemy import select

from judging import audit
from judging.demo import on_scale
from judging.editions.models import (
    Category, CategoryKey, Criterion, Edition, EditionStatus, Round, RoundKind, RoundStatus, Rubric,
)
from judging.nominations.codes import ensure_blind_codes
from judging.nominations.models import BlindCode, Nomination, NominationIdentity, NominationStatus
from judging.panels.models import Assignment, Expert
from judging.scoring.models import CriterionScore, ScoreSheet, SheetStatus

ORGANIZER = audit.Actor(None, "organizer-test")
AUDITOR = audit.Actor(None, "auditor-test")
SURNAMES = "王李张刘陈杨黄赵吴周"


def make_small_edition(session, design, *, tie_rule="shared", top_n=2, key=CategoryKey.ACHIEVEMENT,
                       year=2030) -> dict:
    """An edition with one category, one criterion (0–10, weight 1) and submitted sheets.

    ``design`` is a list of (nomination index, judge index, value); the weighted total is value·10.
    """
    edition = Edition(year=year, name=f"{year}年度测试评选", status=EditionStatus.RUNNING,
                      settings={"tie_rule": tie_rule})
    category = Category(edition=edition, key=key, name="十大科技成果", top_n=top_n, position=0)
    rubric = Rubric(category=category, name="评分标准")
    rubric.criteria.append(Criterion(position=0, name="综合", weight=Decimal(1), scale_min=Decimal(0),
                                     scale_max=Decimal(10), scale_step=Decimal("0.5")))
    round_ = Round(edition=edition, kind=RoundKind.PRELIMINARY, name="初评", status=RoundStatus.OPEN)
    final = Round(edition=edition, kind=RoundKind.FINAL, name="终评", status=RoundStatus.DRAFT)
    session.add_all([edition, category, rubric, round_, final])
    session.flush()
    n_noms = max(n for n, _j, _v in design) + 1
    n_judges = max(j for _n, j, _v in design) + 1
    nominations = []
    for i in range(n_noms):
        nomination = Nomination(edition_id=edition.id, category_id=category.id, title=f"测试成果{i + 1:02d}",
                                summary=f"公开摘要{i + 1:02d}", body=f"保密正文{i + 1:02d}",
                                status=NominationStatus.CONFIRMED)
        nomination.identity = NominationIdentity(
            inventors=[f"{SURNAMES[i % 10]}一{i:02d}", f"合作者{i:02d}"], employer=f"测试单位{i:02d}有限公司",
            city="南京", patents=[f"ZL2025100{i:05d}.1"], contact_phone=f"1390000{i:04d}",
            contact_email=f"secret{i:02d}@example.cn")
        session.add(nomination)
        nominations.append(nomination)
    experts = [Expert(name=f"专家{j:02d}", employer=f"专家单位{j}", city="苏州") for j in range(n_judges)]
    session.add_all(experts)
    session.flush()
    for i, nomination in enumerate(nominations):
        session.add(BlindCode(round_id=round_.id, nomination_id=nomination.id, code=f"T{year % 100:02d}{i:05d}X"))
    criterion = rubric.criteria[0]
    for n, j, value in design:
        assignment = Assignment(round_id=round_.id, nomination_id=nominations[n].id, expert_id=experts[j].id)
        session.add(assignment)
        session.flush()
        sheet = ScoreSheet(assignment_id=assignment.id, status=SheetStatus.SUBMITTED, familiarity="familiar")
        sheet.scores.append(CriterionScore(criterion_id=criterion.id, value=Decimal(str(value))))
        session.add(sheet)
    session.flush()
    return {"edition": edition, "category": category, "round": round_, "final": final,
            "nominations": nominations, "experts": experts}


def advance_all(session, made: dict) -> None:
    """Every nomination of ``make_small_edition`` advances to its final round: the final round's code is the
    ticket ``results.advance`` issues (tests of the final round's panels need no run approved first)."""
    ensure_blind_codes(session, round_id=made["final"].id, nomination_ids=[n.id for n in made["nominations"]],
                       by=ORGANIZER)
    session.flush()


def score_demo_category(session, key: CategoryKey, *, seed: int = 5) -> None:
    """Submit a sheet for every preliminary assignment of a demo category that has none yet."""
    rng = random.Random(seed)
    edition = session.scalar(select(Edition).order_by(Edition.year.desc()).limit(1))  # the 2026 demo edition
    category = next(c for c in edition.categories if c.key is key)
    preliminary = next(r for r in edition.rounds if r.kind is RoundKind.PRELIMINARY)
    rows = session.execute(select(Assignment.id, Assignment.nomination_id).join(
        Nomination, Nomination.id == Assignment.nomination_id).where(
        Assignment.round_id == preliminary.id, Nomination.category_id == category.id)
        .order_by(Assignment.id)).all()
    has_sheet = set(session.scalars(select(ScoreSheet.assignment_id)))
    level: dict[int, float] = {}
    for assignment_id, nomination_id in rows:
        if assignment_id in has_sheet:
            continue  # the demo's own sheets (drafts or submitted) stay as they are
        base = level.setdefault(nomination_id, rng.uniform(3, 9))
        sheet = ScoreSheet(assignment_id=assignment_id, status=SheetStatus.SUBMITTED, familiarity="familiar")
        for criterion in category.rubric.criteria:  # a share of the scale, on its steps or nearest grade
            share = min(10.0, max(0.0, round((base + rng.gauss(0, 0.8)) * 2) / 2)) / 10
            value, grade = on_scale(criterion, Decimal(str(share)))
            sheet.scores.append(CriterionScore(criterion_id=criterion.id, value=value, grade=grade))
        session.add(sheet)
    session.flush()


def demo_ids(session, key: CategoryKey) -> tuple[int, int]:
    """(preliminary round id, category id) of a demo category."""
    edition = session.scalar(select(Edition).order_by(Edition.year.desc()).limit(1))  # the 2026 demo edition
    category = next(c for c in edition.categories if c.key is key)
    preliminary = next(r for r in edition.rounds if r.kind is RoundKind.PRELIMINARY)
    return preliminary.id, category.id


