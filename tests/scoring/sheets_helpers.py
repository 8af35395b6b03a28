"""Helpers of the scoring tests: a judge's open items in the demo, posting a sheet, reading it back."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from judging import audit
from judging.accounts.models import Role, User
from judging.accounts.service import add_user
from judging.editions.models import Category, CategoryKey, Criterion, Rubric
from judging.nominations.models import Nomination
from judging.panels.models import Assignment, Expert
from judging.scoring.roster import swap_expert
from judging.scoring.models import ScoreSheet

CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')
VERSION = re.compile(r'name="version" value="(\d+)"')
JSON = {"accept": "application/json"}


@dataclass(frozen=True)
class Item:
    """One of a judge's assignments that nobody has scored yet, with its rubric's criteria."""

    assignment_id: int
    criterion_ids: list[int]
    nomination_id: int
    handle: str = ""  # what the judge's URLs carry

    def values(self, *numbers) -> dict[str, str]:
        return {f"score-{cid}": str(n) for cid, n in zip(self.criterion_ids, numbers)}


def open_items(session_factory, username: str, *, key: CategoryKey = CategoryKey.ACHIEVEMENT) -> list[Item]:
    with session_factory() as session:
        return open_items_in(session, username, key=key)


def open_items_in(session, username: str, *, key: CategoryKey = CategoryKey.ACHIEVEMENT) -> list[Item]:
    rows = session.execute(
        select(Assignment.id, Nomination.id, Rubric.id, Assignment.handle)
        .join(Expert, Expert.id == Assignment.expert_id).join(User, User.id == Expert.user_id)
        .join(Nomination, Nomination.id == Assignment.nomination_id)
        .join(Category, Category.id == Nomination.category_id).join(Rubric, Rubric.category_id == Category.id)
        .outerjoin(ScoreSheet, ScoreSheet.assignment_id == Assignment.id)
        .where(User.username == username, Category.key == key, ScoreSheet.id.is_(None),
               Assignment.withdrawn_at.is_(None))
        .order_by(Assignment.id)).all()
    criteria = {rubric_id: session.scalars(select(Criterion.id).where(Criterion.rubric_id == rubric_id)
                                           .order_by(Criterion.position)).all()
                for rubric_id in {row[2] for row in rows}}
    return [Item(aid, list(criteria[rid]), nid, handle) for aid, nid, rid, handle in rows]


def page_token(client, path: str) -> tuple[str, int]:
    page = client.get(path)
    assert page.status_code == 200, page.text[:300]
    version = VERSION.search(page.text)
    return CSRF.search(page.text).group(1), int(version.group(1)) if version else 0


def post_sheet(client, item: Item, action: str = "draft", *, values: dict[str, str] | None = None, version=None,
               comment: str = "", familiarity: str | None = "familiar", as_json: bool = True, token: str | None = None,
               assignment_id: int | str | None = None):
    aid = assignment_id or item.handle  # a handle; tests probing others' pass an id or a foreign handle
    if token is None or version is None:
        page_csrf, page_version = page_token(client, f"/judge/sheets/{aid}")
        token = token if token is not None else page_csrf
        version = page_version if version is None else version
    form = {"_csrf_token": token, "version": str(version), "comment": comment, **(values or {})}
    if familiarity is not None:
        form["familiarity"] = familiarity
    return client.post(f"/judge/sheets/{aid}/{action}", data=form, headers=JSON if as_json else {},
                       follow_redirects=False)


def stored(session_factory, assignment_id: int) -> tuple[int, str, dict[int, Decimal]] | None:
    """(version, status, values) of the stored sheet, or None."""
    with session_factory() as session:
        sheet = session.scalar(select(ScoreSheet).where(ScoreSheet.assignment_id == assignment_id))
        if sheet is None:
            return None
        return sheet.version, sheet.status.value, {s.criterion_id: s.value for s in sheet.scores}


def new_judge(session_factory, username: str, password: str, *, items: int = 1) -> list[Item]:
    """A judge who joins the demo's open round late (every demo judge has accepted the undertaking and
    scored): an account, the expert it stands for, and ``items`` of judge06's unscored 十大科技成果
    assignments swapped over to it through the panels service. Returns the new judge's open items."""
    with session_factory() as session:
        organizer = audit.Actor.system("test")
        user = add_user(session, username=username, password=password, role=Role.JUDGE, display_name=username,
                        by=organizer)
        expert = Expert(user_id=user.id, name=f"{username}专家", employer="省外某研究院", city="上海",
                        phone="13900000000", email=f"{username}@example.cn", fields=["机械工程"], max_load=30)
        session.add(expert)
        session.flush()
        for item in open_items_in(session, "judge06")[:items]:
            swap_expert(session, assignment_id=item.assignment_id, expert_id=expert.id, reason="专家临时调整",
                        by=organizer)
        session.commit()
    return open_items(session_factory, username)
