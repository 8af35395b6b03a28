"""Judges at work in the 2026 preliminary round, through the scoring service: the organizer's
undertaking, every judge's acceptance of it, then their sheets (the two fully scored categories, and
judges 01–05 part way through the others)."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from judging.accounts import actor_of
from judging.accounts.models import Role, User
from judging.demo.content import SHANGHAI, on_scale, review_opinion
from judging.editions.models import CategoryKey, Edition, Round
from judging.editions.rubrics import plain
from judging.nominations.models import Nomination
from judging.panels.models import Assignment, Expert
from judging.scoring.bulk import submit_sheets
from judging.scoring.models import ScoreSheet
from judging.scoring.rules import field_name
from judging.scoring.service import accept_undertaking, save_draft, set_undertaking_text

DEMO_UNDERTAKING = (
    "本人作为2026年度江苏省职工科技创新成果评选的评审专家，郑重承诺：\n"
    "一、对评审中接触的全部申报材料、附件及评审意见、评分结果严格保密，不复制、不留存、不向任何单位和个人泄露；\n"
    "二、不打探、不猜测申报人身份，不与申报人或其单位私下接触；\n"
    "三、与申报项目存在利害关系（本单位或关联单位申报、近亲属或密切合作者参与、本人曾提供咨询等）时，"
    "立即主动声明回避，不参与该项目评分；\n"
    "四、独立、客观、公正地评分，按时提交评审意见。\n"
    "如有违反，自愿接受取消评审专家资格等处理。")
# Categories whose preliminary sheets the demo fills in and submits, so that a result run can be
# computed right after `make run` (the other categories stay open for judges to try scoring).
DEMO_SCORED_CATEGORIES = (CategoryKey.OPERATING_METHOD, CategoryKey.SUGGESTION)
FAMILIARITY_CHOICES = ["very_familiar", "familiar", "familiar", "somewhat"]
# judges 01–05: (sheets submitted, None for all but the drafts; drafts)
JUDGES_AT_WORK = {"judge01": (1, 1), "judge02": (None, 2), "judge03": (0, 3), "judge04": (None, 0), "judge05": (0, 0)}


def sheet_form(values: dict[int, Decimal], *, comment: str, familiarity: str) -> dict[str, str]:
    """The sheet as the judge's page posts it."""
    return {**{field_name(cid): plain(value) for cid, value in values.items()}, "comment": comment,
            "familiarity": familiarity}


def judges_at_work(session: Session, *, edition: Edition, round_: Round, experts: list[Expert], seed: int,
                   organizer: User) -> None:
    """The undertaking, accepted by every judge the day after the round opens, before any sheet."""
    set_undertaking_text(session, edition=edition, text=DEMO_UNDERTAKING, by=actor_of(organizer))
    judges = {user.id: user for user in session.scalars(select(User).where(User.role == Role.JUDGE))}
    accepted_at = round_.opens_at + dt.timedelta(days=1)
    for expert in experts:
        accept_undertaking(session, judge=judges[expert.user_id], edition=edition, now=accepted_at)
    _submitted_categories(session, edition=edition, round_=round_, experts=experts, judges=judges, seed=seed)
    _judges_part_way(session, edition=edition, round_=round_, experts=experts, judges=judges, seed=seed)


def _submitted_categories(session: Session, *, edition: Edition, round_: Round, experts: list[Expert],
                          judges: dict[int, User], seed: int) -> None:
    """Submitted sheets for DEMO_SCORED_CATEGORIES: quality + judge severity + noise, on the criteria's
    0.5 steps. Deterministic (its own ``random.Random``); each judge submits its sheets at once."""
    rng = random.Random(seed * 31 + 7)
    severity = {expert_id: rng.gauss(0, 0.8) for expert_id in session.scalars(select(Expert.id).order_by(Expert.id))}
    by_expert: dict[int, list[tuple[int, dict[str, str]]]] = defaultdict(list)
    for category in edition.categories:
        if category.key not in DEMO_SCORED_CATEGORIES:
            continue
        criteria = list(category.rubric.criteria)
        rows = session.execute(
            select(Assignment.id, Assignment.nomination_id, Assignment.expert_id)
            .join(Nomination, Nomination.id == Assignment.nomination_id)
            .where(Assignment.round_id == round_.id, Nomination.category_id == category.id)
            .order_by(Assignment.nomination_id, Assignment.expert_id)).all()
        quality: dict[int, float] = {}
        titles = dict(session.execute(select(Nomination.id, Nomination.title)
                                      .where(Nomination.category_id == category.id)).all())
        for assignment_id, nomination_id, expert_id in rows:
            level = quality.setdefault(nomination_id, rng.uniform(4.0, 8.5))
            familiarity = rng.choice(FAMILIARITY_CHOICES)
            values = {}
            for criterion in criteria:
                raw = level - severity[expert_id] + rng.gauss(0, 0.7)
                values[criterion.id] = Decimal(str(min(10.0, max(0.0, round(raw * 2) / 2))))
            by_expert[expert_id].append((assignment_id, sheet_form(
                values, comment=review_opinion(criteria, values, titles[nomination_id]), familiarity=familiarity)))
    submitted_at = dt.datetime(2026, 11, 25, 16, 0, tzinfo=SHANGHAI)
    for expert in experts:
        if by_expert[expert.id]:
            submit_sheets(session, judge=judges[expert.user_id], entries=by_expert[expert.id], now=submitted_at)


def _judges_part_way(session: Session, *, edition: Edition, round_: Round, experts: list[Expert],
                     judges: dict[int, User], seed: int) -> None:
    """judge01 has a draft and a submitted sheet, judge02 has submitted most of its items, judge03 has
    drafts only, judge04 has submitted everything, judge05 has not started. A separate random stream
    (seed + 1) keeps the rest of the demo exactly as before."""
    rng = random.Random(seed + 1)
    by_username = {user.username: user for user in judges.values()}
    by_user = {expert.user_id: expert for expert in experts}
    rubrics = {category.id: category.rubric for category in edition.categories}
    now = round_.opens_at + dt.timedelta(days=2)
    for username, (n_submitted, n_drafts) in JUDGES_AT_WORK.items():
        user = by_username[username]
        assignments = session.scalars(  # items other parts of the demo have not scored already
            select(Assignment).outerjoin(ScoreSheet, ScoreSheet.assignment_id == Assignment.id)
            .where(Assignment.expert_id == by_user[user.id].id, Assignment.round_id == round_.id,
                   ScoreSheet.id.is_(None))
            .order_by(Assignment.id)).all()
        if n_submitted is None:  # all but n_drafts
            n_submitted = len(assignments) - n_drafts
        submitted = []
        for index, assignment in enumerate(assignments[:n_submitted + n_drafts]):
            criteria = rubrics[session.get(Nomination, assignment.nomination_id).category_id].criteria
            filled = criteria if index < n_submitted else criteria[:rng.randint(1, len(criteria))]
            values = {c.id: on_scale(c, Decimal(rng.randint(8, 20)) / 20)[0] for c in filled}
            familiarity = rng.choice(FAMILIARITY_CHOICES)
            if index < n_submitted:
                title = session.get(Nomination, assignment.nomination_id).title
                submitted.append((assignment.id, sheet_form(
                    values, comment=review_opinion(criteria, values, title), familiarity=familiarity)))
            else:
                save_draft(session, judge=user, assignment_id=assignment.id, version=0, now=now,
                           data=sheet_form(values, comment="", familiarity=familiarity))
        submit_sheets(session, judge=user, entries=submitted, now=now)
