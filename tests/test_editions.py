"""Setting up an edition (categories, rubrics, rounds) and opening and closing its rounds through the
editions service, on both databases: each change audited, bad input refused by name with nothing stored."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from judging import audit
from judging.audit.models import AuditEvent
from judging.editions import service
from judging.editions.models import (
    Category, CategoryKey, Criterion, Edition, EditionStatus, Round, RoundKind, RoundStatus, ScaleKind,
)
from judging.editions.rubrics import CriterionSpec, GradeSpec, RubricSpec, spec_of
from judging.editions.specs import CategorySpec, EditionInvalid, EditionSpec, RoundSpec, edition_spec_from_json
from judging.errors import Conflict

TZ = dt.timezone(dt.timedelta(hours=8))
ACTOR = audit.Actor.system("test")
RUBRIC = RubricSpec("成果评分标准", 20, (
    CriterionSpec("创新性", Decimal("0.6"), Decimal(0), Decimal(10), Decimal("0.5")),
    CriterionSpec("技术水平", Decimal("0.4"), Decimal(0), Decimal(30), Decimal(0), ScaleKind.GRADE,
                  grades=(GradeSpec("国际领先", Decimal(30)), GradeSpec("国内领先", Decimal(22)))),
))
SPEC = EditionSpec(
    2031, "2031年度评选",
    tuple(CategorySpec(key, f"类别{position}", 10, RubricSpec(f"{key.value}评分标准", 0, RUBRIC.criteria))
          for position, key in enumerate(CategoryKey)),
    (RoundSpec(RoundKind.PRELIMINARY, "网络评审", dt.datetime(2031, 11, 1, 9, tzinfo=TZ),
               dt.datetime(2031, 12, 1, 18, tzinfo=TZ)),
     RoundSpec(RoundKind.FINAL, "会议评审", dt.datetime(2032, 1, 10, 9, tzinfo=TZ),
               dt.datetime(2032, 1, 12, 18, tzinfo=TZ))),
    {"tie_rule": "item_se"})


def _events(session, action: str) -> list[dict]:
    return [json.loads(body) for body in session.scalars(
        select(AuditEvent.body).where(AuditEvent.action == action).order_by(AuditEvent.seq))]


def _counts(session) -> tuple[int, ...]:
    return tuple(session.scalar(select(func.count()).select_from(model))
                 for model in (Edition, Category, Round, Criterion, AuditEvent))


def test_an_edition_is_created_with_its_categories_rubrics_and_rounds_in_one_audited_step(db):
    edition = service.create_edition(db, spec=SPEC, by=ACTOR)
    db.commit()
    db.expire_all()
    edition = db.get(Edition, edition.id)
    assert (edition.year, edition.status, edition.settings) == (2031, EditionStatus.SETUP, {"tie_rule": "item_se"})
    assert [c.key for c in edition.categories] == list(CategoryKey)
    assert all(spec_of(c.rubric) == s.rubric for c, s in zip(edition.categories, SPEC.categories))
    assert [(r.kind, r.status, r.deadline_at) for r in edition.rounds] == [
        (RoundKind.PRELIMINARY, RoundStatus.DRAFT, dt.datetime(2031, 12, 1, 10, tzinfo=dt.UTC)),
        (RoundKind.FINAL, RoundStatus.DRAFT, dt.datetime(2032, 1, 12, 10, tzinfo=dt.UTC))]
    (event,) = _events(db, "edition.created")
    assert (event["object_type"], event["object_id"]) == ("edition", str(edition.id))
    assert event["data"]["categories"][1]["rubric"]["criteria"][1]["grades"][0] == {"label": "国际领先", "value": "30"}
    assert event["data"]["rounds"][0]["deadline_at"] == "2031-12-01T18:00:00+08:00"
    with pytest.raises(Conflict, match="2031 edition exists already"):
        service.create_edition(db, spec=dataclasses.replace(SPEC, name="又一届"), by=ACTOR)


@pytest.mark.parametrize(("change", "fields"), [
    ({"year": 1999, "name": " "}, {"year", "name"}),
    ({"categories": ()}, {"categories"}),
    ({"categories": (SPEC.categories[0], SPEC.categories[0])}, {"category-achievement-key"}),
    ({"categories": (dataclasses.replace(SPEC.categories[0], top_n=0, rubric=RubricSpec("", 0, ())),)},
     {"category-achievement-top_n", "category-achievement-rubric-name", "category-achievement-rubric-criteria"}),
    ({"rounds": (SPEC.rounds[1],)}, {"round-final-kind"}),
    ({"rounds": (dataclasses.replace(SPEC.rounds[0], deadline_at=SPEC.rounds[0].opens_at), SPEC.rounds[1])},
     {"round-preliminary-deadline_at"}),
    ({"rounds": (SPEC.rounds[0], dataclasses.replace(SPEC.rounds[1], opens_at=dt.datetime(2031, 11, 30, tzinfo=TZ)))},
     {"round-final-opens_at"}),
    ({"rounds": (dataclasses.replace(SPEC.rounds[0], opens_at=dt.datetime(2031, 11, 1)),)},
     {"round-preliminary-opens_at"}),
])
def test_a_wrong_setup_is_refused_by_name_and_nothing_is_stored(db, change, fields):
    before = _counts(db)
    with pytest.raises(EditionInvalid) as refused:
        service.create_edition(db, spec=dataclasses.replace(SPEC, **change), by=ACTOR)
    assert set(refused.value.fields) == fields
    assert _counts(db) == before


def test_a_rubric_is_replaced_with_its_before_and_after_audited_and_an_unchanged_one_writes_nothing(db):
    edition = service.create_edition(db, spec=SPEC, by=ACTOR)
    category = edition.categories[0]
    smaller = RubricSpec("新标准", 0, RUBRIC.criteria[:1])
    service.set_rubric(db, category_id=category.id, spec=smaller, by=ACTOR)
    service.set_rubric(db, category_id=category.id, spec=smaller, by=ACTOR)
    db.commit()
    db.expire_all()
    assert spec_of(service.category_rubric(db, category_id=category.id)[1]) == smaller
    (event,) = _events(db, "category.rubric_updated")
    assert event["data"]["before"]["name"] == "achievement评分标准" and event["data"]["after"]["name"] == "新标准"


def test_rounds_open_and_close_audited_and_the_first_opening_starts_the_edition(db):
    edition = service.create_edition(db, spec=SPEC, by=ACTOR)
    preliminary = edition.rounds[0]
    service.open_round(db, round_=preliminary, by=ACTOR)
    assert (preliminary.status, edition.status) == (RoundStatus.OPEN, EditionStatus.RUNNING)
    with pytest.raises(Conflict, match="already open"):
        service.open_round(db, round_=preliminary, by=ACTOR)
    service.close_round(db, round_=preliminary, by=ACTOR)
    with pytest.raises(Conflict, match="Only an open round"):
        service.close_round(db, round_=preliminary, by=ACTOR)
    service.open_round(db, round_=preliminary, by=ACTOR)  # reopened
    db.commit()
    opened = _events(db, "round.opened")
    assert [e["data"] for e in opened] == [{"from": "draft", "edition_status": "running"}, {"from": "closed"}]
    assert len(_events(db, "round.closed")) == 1 and preliminary.status is RoundStatus.OPEN


def test_a_setup_document_is_read_and_its_unreadable_values_are_named():
    document = {"year": 2031, "name": "2031年度评选", "settings": {"tie_rule": "item_se"},
                "categories": [{"key": "achievement", "name": "十大科技成果", "top_n": 10, "rubric": {
                    "name": "成果评分标准", "opinion_min_length": 20, "criteria": [
                        {"name": "创新性", "weight": 60, "min": 0, "max": 10, "step": 0.5},
                        {"name": "技术水平", "weight": 40, "min": 0, "max": 30, "kind": "grade",
                         "grades": [{"label": "国际领先", "value": 30}, {"label": "国内领先", "value": 22}]}]}}],
                "rounds": [{"kind": "preliminary", "name": "网络评审", "opens_at": "2031-11-01T09:00+08:00",
                            "deadline_at": "2031-12-01T18:00+08:00"}]}
    spec = edition_spec_from_json(document)
    assert spec.categories[0].rubric == RubricSpec("成果评分标准", 20, RUBRIC.criteria)
    assert spec.rounds == (SPEC.rounds[0],) and spec.settings == {"tie_rule": "item_se"}
    broken = {**document, "year": "2031", "categories": [{"key": "medal"}],
              "rounds": [{"kind": "preliminary", "name": "网络评审", "deadline_at": "next week"}]}
    with pytest.raises(EditionInvalid) as refused:
        edition_spec_from_json(broken)
    assert set(refused.value.fields) == {"year", "categories-0", "round-preliminary-deadline_at"}
