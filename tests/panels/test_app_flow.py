"""The organizer's assignment flow through the real app: preview (a job) -> plan page -> commit."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from helpers import csrf_token, login
from judging.demo import DEMO_PASSWORDS
from judging.editions.models import Category, CategoryKey, Round, RoundKind
from judging.errors import Conflict as JudgingConflict
from judging.nominations.models import BlindCode, Nomination
from judging.panels.models import Assignment, AssignmentPlan, Conflict, Expert, PlanStatus
from judging.panels import conflicts as conflicts_mod
from judging.panels import service as panels
from judging.results import service as results
from judging.results.models import Advancement
from results.factories import ORGANIZER, demo_ids, score_demo_category


def _final_and_category(session_factory, key=CategoryKey.ACHIEVEMENT, *, advance: int | None = None):
    """The final round and a demo category; with ``advance``, the top of an approved preliminary run of the
    category advanced to it first (the only way into the final round)."""
    with session_factory() as s:
        final = s.scalar(select(Round).where(Round.kind == RoundKind.FINAL))
        category = s.scalar(select(Category).where(Category.key == key))
        if advance is not None:
            score_demo_category(s, key)
            preliminary, _ = demo_ids(s, key)
            run = results.create_run(s, round_id=preliminary, category_id=category.id, method="mean", reps=20,
                                     confirm_incomplete=True, by=ORGANIZER)
            results.approve_run(s, run=run, by=ORGANIZER)
            results.advance(s, run=run, top_m=advance, by=ORGANIZER)
            s.commit()
        return final.id, category.id


def _advanced_ids(session_factory, round_id, category_id) -> set[int]:
    with session_factory() as s:
        return set(s.scalars(select(Advancement.nomination_id).join(Nomination, Nomination.id == Advancement.nomination_id)
                             .where(Advancement.round_id == round_id, Nomination.category_id == category_id)))


def _organizer(client):
    login(client, "organizer", DEMO_PASSWORDS["organizer"])


def _preview(client, round_id, category_id, **form):
    path = f"/organizer/panels/rounds/{round_id}/categories/{category_id}"
    token = csrf_token(client, path)
    data = {"_csrf_token": token, "mode": "k", "k": "5", "max_load": "10", "min_load": "0", "seed": "7", **form}
    response = client.post(path + "/preview", data=data, follow_redirects=False)
    assert response.status_code in (302, 303), response.text[:500]
    job = client.get(response.headers["location"])
    assert job.status_code == 200
    match = re.search(r'href="(/organizer/panels/plans/\d+)"', job.text)
    assert match, job.text[:2000]
    return match.group(1)


def test_preview_then_commit_assigns_exactly_k_without_conflicts(client, demo, session_factory):
    _organizer(client)
    round_id, category_id = _final_and_category(session_factory, advance=30)
    plan_path = _preview(client, round_id, category_id)
    page = client.get(plan_path)
    assert page.status_code == 200
    assert 'id="plan-figures"' in page.text and 'id="commit-button"' in page.text
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Assignment).where(Assignment.round_id == round_id)) == 0
    token = csrf_token(client, plan_path)
    done = client.post(plan_path + "/commit", data={"_csrf_token": token, "confirmed": "1"}, follow_redirects=False)
    assert done.status_code in (302, 303)
    assert "notice=committed" in done.headers["location"]
    advanced = _advanced_ids(session_factory, round_id, category_id)
    with session_factory() as s:
        rows = s.execute(select(Assignment.nomination_id, Assignment.expert_id).where(
            Assignment.round_id == round_id)).all()
        noms = s.scalars(select(Nomination).where(Nomination.id.in_(advanced))).all()
        assert len(noms) == 30  # exactly the nominations that advanced
        per_nom = {}
        for nid, eid in rows:
            per_nom.setdefault(nid, set()).add(eid)
        assert set(per_nom) == {n.id for n in noms}
        assert all(len(v) == 5 for v in per_nom.values())
        loads = {}
        for _nid, eid in rows:
            loads[eid] = loads.get(eid, 0) + 1
        assert max(loads.values()) <= 10
        experts = s.scalars(select(Expert)).all()
        for nid, eids in per_nom.items():
            for expert in experts:
                if expert.id in eids:
                    assert not conflicts_mod.pair_reasons(s, nomination_id=nid, expert=expert, same_city=False)
        codes = s.scalar(select(func.count()).select_from(BlindCode).where(BlindCode.round_id == round_id))
        assert codes == len(noms)
        plan = s.scalar(select(AssignmentPlan).where(AssignmentPlan.round_id == round_id))
        assert plan.status is PlanStatus.COMMITTED


def test_infeasible_preview_says_what_falls_short_and_commits_nothing(client, demo, session_factory):
    _organizer(client)
    round_id, category_id = _final_and_category(session_factory, advance=30)
    plan_path = _preview(client, round_id, category_id, k="5", max_load="1")
    page = client.get(plan_path)
    assert 'id="infeasible"' in page.text
    assert "150" in page.text and "60" in page.text  # 30 x 5 places needed, 60 x 1 allowed
    assert 'id="commit-button"' not in page.text
    token = csrf_token(client, plan_path)
    client.post(plan_path + "/commit", data={"_csrf_token": token, "confirmed": "1"})
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Assignment).where(Assignment.round_id == round_id)) == 0


def test_panel_mode_gives_every_nomination_one_overlapping_panel(client, demo, session_factory):
    _organizer(client)
    round_id, category_id = _final_and_category(session_factory, CategoryKey.CHIEF_EMPLOYEE, advance=20)
    plan_path = _preview(client, round_id, category_id, mode="blocks", panel_size="5", n_panels="3", overlap="1")
    page = client.get(plan_path)
    assert 'id="plan-panels"' in page.text, page.text[:3000]
    with session_factory() as s:
        plan = s.get(AssignmentPlan, int(plan_path.rsplit("/", 1)[1]))
        panels = [{e["expert_id"] for e in p["experts"]} for p in plan.figures["panels"]]
        assert all(len(p) == 5 for p in panels)
        assert all(len(panels[i] & panels[i + 1]) >= 1 for i in range(len(panels) - 1))
        per_nom = {}
        for nid, eid in plan.pairs:
            per_nom.setdefault(nid, set()).add(eid)
        assert len(per_nom) == 20
        assert all(any(v == p for p in panels) for v in per_nom.values())


def test_commit_refuses_a_plan_that_a_new_conflict_invalidates(client, demo, session_factory):
    _organizer(client)
    round_id, category_id = _final_and_category(session_factory, advance=30)
    plan_path = _preview(client, round_id, category_id)
    with session_factory() as s:
        plan = s.get(AssignmentPlan, int(plan_path.rsplit("/", 1)[1]))
        nid, eid = plan.pairs[0]
        s.add(Conflict(expert_id=eid, nomination_id=nid, source="organizer", reason="合作过"))
        s.commit()
    token = csrf_token(client, plan_path)
    response = client.post(plan_path + "/commit", data={"_csrf_token": token, "confirmed": "1"}, follow_redirects=True)
    assert 'id="plan-error"' in response.text
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Assignment).where(Assignment.round_id == round_id)) == 0


def test_pages_answer_404_to_judges_and_send_anonymous_users_to_log_in(client, demo):
    anonymous = client.get("/organizer/panels/", follow_redirects=False)
    assert anonymous.status_code == 401
    login(client, "judge01", DEMO_PASSWORDS["judge"])
    for path in ("/organizer/panels/", "/organizer/panels/experts", "/organizer/panels/conflicts",
                 "/organizer/panels/plans/1"):
        assert client.get(path).status_code == 404


def test_organizer_pages_render(client, demo, session_factory):
    _organizer(client)
    with session_factory() as s:
        preliminary = s.scalar(select(Round).where(Round.kind == RoundKind.PRELIMINARY))
        category = s.scalar(select(Category).where(Category.key == CategoryKey.ACHIEVEMENT))
        assignment = s.scalar(select(Assignment).where(Assignment.round_id == preliminary.id).limit(1))
    for path in ("/organizer/panels/", "/organizer/panels/experts", "/organizer/panels/conflicts",
                 f"/organizer/panels/rounds/{preliminary.id}/categories/{category.id}",
                 f"/organizer/panels/experts/{assignment.expert_id}",
                 f"/organizer/panels/assignments/{assignment.id}/swap",
                 f"/organizer/panels/rounds/{preliminary.id}/categories/{category.id}/why"
                 f"?nomination_id={assignment.nomination_id}&expert_id={assignment.expert_id}"):
        page = client.get(path)
        assert page.status_code == 200, (path, page.text[:1500])
    home = client.get("/organizer/panels/")
    assert "在库专家: 60" in home.text  # the demo's pool of active experts


def test_preview_of_an_assigned_category_is_refused_on_the_page(client, demo, session_factory):
    _organizer(client)
    with session_factory() as s:
        preliminary = s.scalar(select(Round).where(Round.kind == RoundKind.PRELIMINARY))
        category = s.scalar(select(Category).where(Category.key == CategoryKey.ACHIEVEMENT))
    path = f"/organizer/panels/rounds/{preliminary.id}/categories/{category.id}"
    token = csrf_token(client, path)
    page = client.post(path + "/preview", data={"_csrf_token": token, "mode": "k", "k": "5", "max_load": "10"})
    assert page.status_code == 409 and "本轮该类别已有分配" in page.text
    bad = client.post(path + "/preview", data={"_csrf_token": token, "mode": "k", "k": "0", "max_load": "10"})
    assert bad.status_code == 400 and "至少为 1" in bad.text


def test_a_large_plan_is_committed_by_a_job(client, demo, session_factory, monkeypatch):
    import judging.panels.controllers as controllers

    monkeypatch.setattr(controllers, "SYNC_COMMIT_PAIRS", 10)
    _organizer(client)
    round_id, category_id = _final_and_category(session_factory, CategoryKey.CHIEF_EMPLOYEE, advance=20)
    plan_path = _preview(client, round_id, category_id, k="3", max_load="5")
    token = csrf_token(client, plan_path)
    response = client.post(plan_path + "/commit", data={"_csrf_token": token, "confirmed": "1"}, follow_redirects=False)
    assert response.headers["location"].startswith("/jobs/")
    job = client.get(response.headers["location"])
    assert "notice=committed" in job.text
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Assignment).where(Assignment.round_id == round_id)) == 60


def test_the_final_round_cannot_be_assigned_before_anything_advanced_to_it(client, demo, session_factory):
    _organizer(client)
    round_id, category_id = _final_and_category(session_factory, CategoryKey.OPERATING_METHOD)
    path = f"/organizer/panels/rounds/{round_id}/categories/{category_id}"
    token = csrf_token(client, path)
    page = client.post(path + "/preview", data={"_csrf_token": token, "mode": "k", "k": "3", "max_load": "10"})
    assert page.status_code == 409 and "尚无推荐项目晋级决赛轮" in page.text
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(AssignmentPlan).where(AssignmentPlan.round_id == round_id)) == 0
        # A plan made before the rule (every nomination of the category) cannot be committed either.
        stale = AssignmentPlan(round_id=round_id, category_id=category_id, mode="k", settings={"k": 1}, figures={},
                               pairs=[[n, e] for n, e in s.execute(
                                   select(Assignment.nomination_id, Assignment.expert_id)
                                   .join(Nomination, Nomination.id == Assignment.nomination_id)
                                   .where(Nomination.category_id == category_id).limit(3))])
        empty = AssignmentPlan(round_id=round_id, category_id=category_id, mode="k", settings={"k": 1}, figures={},
                               pairs=[])
        s.add_all([stale, empty])
        s.commit()
        for plan, message in ((stale, "have not advanced to the final round"), (empty, "assigns nobody")):
            with pytest.raises(JudgingConflict, match=message):
                panels.commit_plan(s, plan_id=plan.id, by=ORGANIZER)
            s.rollback()
        assert s.scalar(select(func.count()).select_from(Assignment).where(Assignment.round_id == round_id)) == 0
        assert s.scalar(select(func.count()).select_from(BlindCode).where(BlindCode.round_id == round_id)) == 0
