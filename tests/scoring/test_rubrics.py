"""The organizer's rubric page and service: numeric scales with bands, grade tables, the review opinion's
minimum length; validation that names what is wrong; the lock once scores exist; the audit event."""

from __future__ import annotations

import dataclasses
import json
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from helpers import login
from judging import audit
from judging.accounts import actor_of
from judging.accounts.models import User
from judging.audit.models import AuditEvent
from judging.demo import DEMO_PASSWORDS
from judging.editions.models import Category, CategoryKey, ScaleKind
from judging.errors import Conflict
from judging.nominations.models import Nomination
from judging.panels.models import Assignment
from judging.scoring import rubrics
from judging.scoring.models import ScoreSheet
from judging.scoring.rubrics import BandSpec, CriterionSpec, GradeSpec, RubricInvalid, RubricSpec
from scoring.sheets_helpers import CSRF

D = Decimal
TECH_LEVEL = CriterionSpec("技术水平", D("0.4"), D(0), D(40), D(0), ScaleKind.GRADE, "与国内外同类技术相比",
                           grades=(GradeSpec("A", D(40)), GradeSpec("B", D(32)), GradeSpec("C", D(24)),
                                   GradeSpec("D", D(12))))
INNOVATION = CriterionSpec("创新性", D("0.6"), D(0), D(60), D(1), ScaleKind.NUMERIC,
                           bands=(BandSpec(D(50), D(60), "优秀"), BandSpec(D(36), D(49), "良好"),
                                  BandSpec(D(0), D(35), "一般")))
GOOD = RubricSpec("首席员工评分标准", 30, (INNOVATION, TECH_LEVEL))


def _category(session, key: CategoryKey) -> Category:
    return session.scalar(select(Category).where(Category.key == key))


def _unlock(session_factory, key: CategoryKey) -> int:
    """Remove the demo's sheets of one category, so that its rubric may change; returns its id."""
    with session_factory() as session:
        category = _category(session, key)
        for sheet in session.scalars(select(ScoreSheet).join(Assignment, Assignment.id == ScoreSheet.assignment_id)
                                     .join(Nomination, Nomination.id == Assignment.nomination_id)
                                     .where(Nomination.category_id == category.id)):
            session.delete(sheet)
        session.commit()
        return category.id


def _organizer(session) -> audit.Actor:
    return actor_of(session.scalar(select(User).where(User.username == "organizer")))


def _rubric_events(session_factory) -> list[dict]:
    with session_factory() as session:
        return [json.loads(body) for body in session.scalars(
            select(AuditEvent.body).where(AuditEvent.action == "category.rubric_updated").order_by(AuditEvent.seq))]


def _with(spec: RubricSpec, index: int, **changes) -> RubricSpec:
    criteria = list(spec.criteria)
    criteria[index] = dataclasses.replace(criteria[index], **changes)
    return dataclasses.replace(spec, criteria=tuple(criteria))


@pytest.mark.parametrize("spec, field, message", [
    (_with(GOOD, 0, bands=(BandSpec(D(50), D(61), "优秀"),)), "c0-band0-label",
     "The band 50–61 lies outside the scale 0–60."),
    (_with(GOOD, 0, bands=(BandSpec(D(40), D(60), "优秀"), BandSpec(D(30), D(40), "良好"))), "c0-band1-label",
     "The band 30–40 overlaps the band 40–60."),
    (_with(GOOD, 0, bands=(BandSpec(D(40), D(60), "优秀"), BandSpec(D(0), D(39), "优秀"))), "c0-band1-label",
     "The label “优秀” is used twice."),
    (_with(GOOD, 0, bands=(BandSpec(D(60), D(50), "优秀"),)), "c0-band0-label",
     "The band 60–50 runs backwards: its low end is above its high end."),
    (_with(GOOD, 1, grades=(GradeSpec("A", D(40)), GradeSpec("B", D(45)))), "c1-grade1-label",
     "The grade B counts 45, outside the scale 0–40."),
    (_with(GOOD, 1, grades=(GradeSpec("A", D(30)), GradeSpec("B", D(32)))), "c1-grade1-label",
     "List the grades from best to worst: B (32) must count less than A (30)."),
    (_with(GOOD, 1, grades=(GradeSpec("A", D(30)), GradeSpec("A", D(20)))), "c1-grade1-label",
     "The label “A” is used twice."),
    (_with(GOOD, 1, grades=(GradeSpec("A", D(30)),)), "c1-kind", "A grade scale needs at least two grades."),
    (_with(GOOD, 0, weight=D(0)), "c0-weight", "The weight must be more than 0."),
    (_with(GOOD, 0, scale_max=D(0)), "c0-max", "The top of the scale must be above its bottom."),
    (_with(GOOD, 0, scale_step=D(0)), "c0-step", "The step must be more than 0."),
    (_with(GOOD, 1, name="创新性"), "c1-name", "Two criteria are named “创新性”: give each its own name."),
    (_with(GOOD, 0, grades=(GradeSpec("A", D(60)), GradeSpec("B", D(30)))), "c0-kind",
     "Grades belong to a grade scale: clear them, or choose the grade scale."),
    (dataclasses.replace(GOOD, opinion_min_length=-1), "opinion_min_length",
     "The minimum length of the review opinion is a whole number from 0 to 5000."),
    (dataclasses.replace(GOOD, criteria=()), "criteria", "A rubric needs at least one criterion."),
])
def test_a_rubric_that_cannot_be_scored_is_refused_naming_the_field(spec, field, message):
    rubrics.check_rubric(GOOD)
    with pytest.raises(RubricInvalid) as refused:
        rubrics.check_rubric(spec)
    assert refused.value.fields[field].render(lambda m: m) == message


def test_the_service_replaces_the_rubric_and_audits_it_before_and_after(session_factory):
    category_id = _unlock(session_factory, CategoryKey.CHIEF_EMPLOYEE)
    before = _rubric_events(session_factory)
    with session_factory() as session:
        rubric_id = rubrics.update_rubric(session, category_id=category_id, spec=GOOD, by=_organizer(session)).id
        session.commit()
    with session_factory() as session:
        _category_, stored = rubrics.category_rubric(session, category_id=category_id)
        assert rubrics.spec_of(stored) == GOOD and stored.id == rubric_id and stored.opinion_min_length == 30
        assert [g.label for g in stored.criteria[1].grades] == ["A", "B", "C", "D"]
    events = _rubric_events(session_factory)[len(before):]
    assert len(events) == 1 and events[0]["actor"] == "organizer"
    assert events[0]["data"]["before"]["criteria"][0]["name"] == "技能水平"  # the demo's rubric
    assert events[0]["data"]["after"]["criteria"][1]["grades"][0] == {"label": "A", "value": "40"}
    with session_factory() as session:  # unchanged: nothing written
        rubrics.update_rubric(session, category_id=category_id, spec=GOOD, by=_organizer(session))
        session.commit()
    assert len(_rubric_events(session_factory)) == len(before) + 1


def test_a_rubric_is_locked_once_any_score_exists_and_nothing_changes(session_factory):
    events = len(_rubric_events(session_factory))
    with session_factory() as session:
        category = _category(session, CategoryKey.ACHIEVEMENT)
        before = rubrics.spec_of(category.rubric)
        with pytest.raises(Conflict) as refused:
            rubrics.update_rubric(session, category_id=category.id, spec=GOOD, by=_organizer(session))
        session.rollback()
        count = refused.value.params["count"]
        assert count == rubrics.scores_given(session, category=category) > 0  # the demo's judges 01–05 scored some
        assert str(refused.value) == (f"The rubric of 十大科技成果 is locked: judges have already given {count} "
                                      "scores in this category. Nothing was changed.")
        session.rollback()
    with session_factory() as session:
        assert rubrics.spec_of(_category(session, CategoryKey.ACHIEVEMENT).rubric) == before
    assert len(_rubric_events(session_factory)) == events


def _page(client, category_id: int) -> tuple[str, str]:
    page = client.get(f"/organizer/rubrics/{category_id}")
    assert page.status_code == 200, page.text[:300]
    return page.text, CSRF.search(page.text).group(1)


def test_organizer_edits_a_rubric_on_its_page(client, session_factory):
    category_id = _unlock(session_factory, CategoryKey.CHIEF_EMPLOYEE)
    login(client, "organizer", DEMO_PASSWORDS["organizer"])
    text, token = _page(client, category_id)
    assert 'id="rubric-locked"' not in text and 'value="技能水平"' in text and 'value="8"' in text  # a band 8–10
    form = {"_csrf_token": token, **rubrics.page_fields(GOOD)}
    saved = client.post(f"/organizer/rubrics/{category_id}", data=form, follow_redirects=False)
    assert saved.status_code in (302, 303), saved.text[:500]
    assert 'id="rubric-saved"' in client.get(saved.headers["location"]).text
    text, token = _page(client, category_id)
    assert 'value="技术水平"' in text and 'value="40"' in text
    with session_factory() as session:
        assert rubrics.spec_of(session.get(Category, category_id).rubric) == GOOD

    # Overlapping bands: refused with the reason beside the row and in the summary; nothing stored.
    bad = {**form, "_csrf_token": token, "c0-band1-high": "55"}
    refused = client.post(f"/organizer/rubrics/{category_id}", data=bad, follow_redirects=False)
    assert refused.status_code == 422
    assert "档次 36–55 与档次 50–60 重叠。" in refused.text and 'id="rubric-error"' in refused.text
    assert "<b>创新性</b>" in refused.text and 'value="55"' in refused.text  # the summary names the criterion
    # Removing a criterion and typing a weight that is no number.
    removed = client.post(f"/organizer/rubrics/{category_id}", data={**form, "c0-remove": "1", "c1-weight": "四十"},
                          follow_redirects=False)
    assert removed.status_code == 422 and "请输入数字。" in removed.text
    with session_factory() as session:
        assert rubrics.spec_of(session.get(Category, category_id).rubric) == GOOD
    removed = client.post(f"/organizer/rubrics/{category_id}", data={**form, "c0-remove": "1"},
                          follow_redirects=False)
    assert removed.status_code in (302, 303)
    with session_factory() as session:
        assert [c.name for c in session.get(Category, category_id).rubric.criteria] == ["技术水平"]


def test_a_locked_rubric_page_is_read_only_and_refuses_a_post(client, session_factory):
    login(client, "organizer", DEMO_PASSWORDS["organizer"])
    with session_factory() as session:
        category = _category(session, CategoryKey.ACHIEVEMENT)
        category_id, before = category.id, rubrics.spec_of(category.rubric)
    text, token = _page(client, category_id)
    assert 'id="rubric-locked"' in text and 'id="save-rubric"' not in text
    assert 'value="国际领先"' in text and 'value="26"' in text  # the grade table and a band from 26
    response = client.post(f"/organizer/rubrics/{category_id}",
                           data={"_csrf_token": token, **rubrics.page_fields(GOOD)})
    assert response.status_code == 409 and "评分标准已锁定" in response.text
    with session_factory() as session:
        assert rubrics.spec_of(session.get(Category, category_id).rubric) == before
        assert session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == "category.rubric_updated")) == 0


def test_an_unknown_category_answers_404(client):
    login(client, "organizer", DEMO_PASSWORDS["organizer"])
    assert client.get("/organizer/rubrics/999999").status_code == 404
    assert re.search(r'href="/organizer/rubrics/\d+"', client.get("/organizer").text)  # linked from the overview
