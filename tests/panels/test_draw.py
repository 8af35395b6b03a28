"""The random draw of experts: eligibility (conflicts, load, record filter), the shortfall refusal, the
supervisor's confirmation, the redraw with its reason, the audit trail, and the replay from the record."""

from __future__ import annotations

import json

import pytest
from results.factories import ORGANIZER, advance_all, make_small_edition
from sqlalchemy import func, select

from judging.accounts.models import Role, User
from judging.accounts.service import actor_of
from judging.audit import AuditEvent
from judging.errors import Conflict, JudgingError
from judging.panels import draw as draws
from judging.panels.models import Assignment, Expert
from judging.panels.pool_models import DrawStatus, ExpertDraw

DESIGN = [(n, j, 5 + (n + j) % 4) for n in range(4) for j in range(3)]


@pytest.fixture
def pool(db):
    made = make_small_edition(db, DESIGN)
    advance_all(db, made)
    organizer = User(username="draw-organizer", display_name="组织者", role=Role.ORGANIZER, password_hash="x")
    auditor = User(username="draw-auditor", display_name="监督员", role=Role.AUDITOR, password_hash="x")
    db.add_all([organizer, auditor])
    experts = [Expert(name=f"机械专家{i}", employer=f"机械单位{i}", city="无锡", fields=["机械"], max_load=30)
               for i in range(6)]
    experts += [Expert(name=f"电气专家{i}", employer=f"电气单位{i}", city="常州", fields=["电气", "机械"], max_load=30)
                for i in range(4)]
    # conflicted with a nomination of the category (same employer), and one at its load
    experts[0].employer = made["nominations"][0].identity.employer
    experts[1].max_load = 2
    db.add_all(experts)
    db.flush()
    made.update(organizer=actor_of(organizer), auditor=actor_of(auditor), pool=experts)
    return made


def _draw(db, made, spec, **kw):
    return draws.draw_experts(db, round_id=made["final"].id, category_id=made["category"].id, spec=spec,
                              by=made["organizer"], **kw)


def test_a_draw_takes_only_eligible_experts_and_replays_to_the_same_result(db, pool):
    draw = _draw(db, pool, {"机械": 3, "电气": 2}, exclude={pool["pool"][2].id: "flagged"},
                 options={"exclude_flagged": True})
    assert draw.status is DrawStatus.PENDING and len(draw.seed) == 32
    ids = {e.id: e for e in pool["pool"]}
    assert len(draw.drawn["机械"]) == 3 and len(draw.drawn["电气"]) == 2
    chosen = draw.drawn["机械"] + draw.drawn["电气"]
    assert len(set(chosen)) == 5
    assert all("电气" in ids[e].fields for e in draw.drawn["电气"])
    assert draw.excluded == {str(pool["pool"][0].id): "conflict", str(pool["pool"][1].id): "load",
                             str(pool["pool"][2].id): "flagged"}
    assert not set(chosen) & {pool["pool"][0].id, pool["pool"][1].id, pool["pool"][2].id}
    db.commit()
    stored = db.get(ExpertDraw, draw.id)
    assert draws.replay(stored) == stored.drawn
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "expert_draw.drawn")).one()
    data = json.loads(event.body)["data"]
    assert data["seed"] == stored.seed and data["drawn"] == stored.drawn
    assert data["candidates"] == stored.candidates
    # the record alone replays it: the pure pick from the audited seed and candidates
    assert draws.pick(data["seed"], data["spec"], data["candidates"]) == stored.drawn


def test_a_draw_for_a_final_round_nobody_advanced_to_is_refused_and_stores_nothing(db):
    made = make_small_edition(db, DESIGN)  # no run approved, nothing advanced
    db.add(Expert(name="机械专家", employer="机械单位", city="无锡", fields=["机械"], max_load=30))
    db.flush()
    with pytest.raises(Conflict, match="advanced to the final round"):
        draws.draw_experts(db, round_id=made["final"].id, category_id=made["category"].id, spec={"机械": 1},
                           by=ORGANIZER)
    assert db.scalar(select(func.count()).select_from(ExpertDraw)) == 0


def test_the_draw_depends_on_the_seed():
    candidates = {"机械": list(range(1, 41))}
    results = {tuple(draws.pick(f"{seed:032x}", {"机械": 5}, candidates)["机械"]) for seed in range(20)}
    assert len(results) > 15
    assert draws.pick("ab" * 16, {"机械": 5}, candidates) == draws.pick("ab" * 16, {"机械": 5}, candidates)


def test_a_draw_that_cannot_be_filled_is_refused_with_the_shortfall_and_stores_nothing(db, pool):
    with pytest.raises(draws.DrawShortfall) as refused:
        _draw(db, pool, {"机械": 9, "电气": 4, "化工": 1})
    short = {s["specialty"]: (s["wanted"], s["eligible"]) for s in refused.value.shortfall}
    assert short == {"机械": (9, 8), "化工": (1, 0)}  # 电气 (4 of 4) could be filled
    assert "机械: 9 / 8" in str(refused.value) and "化工: 1 / 0" in str(refused.value)
    assert db.scalar(select(func.count()).select_from(ExpertDraw)) == 0
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "expert_draw.drawn")) == 0


def test_shared_experts_taken_by_an_earlier_specialty_are_a_shortfall_too(db, pool):
    # the 4 电气 experts are also 机械 (8 eligible in all); 电气, the scarcer, is drawn first and
    # takes all 4, which leaves 4 for 机械: the same refusal whatever the seed
    with pytest.raises(draws.DrawShortfall) as refused:
        _draw(db, pool, {"电气": 4, "机械": 5})
    assert refused.value.shortfall == [{"specialty": "机械", "wanted": 5, "eligible": 4}]


def test_redraw_needs_a_reason_keeps_the_old_draw_and_confirm_needs_another_person(db, pool):
    first = _draw(db, pool, {"机械": 2})
    with pytest.raises(Conflict):
        _draw(db, pool, {"机械": 2})  # one pending draw at a time
    with pytest.raises(JudgingError):
        draws.redraw(db, draw_id=first.id, reason="  ", by=pool["organizer"])
    second = draws.redraw(db, draw_id=first.id, reason="一名专家出差", by=pool["organizer"])
    assert first.status is DrawStatus.REDRAWN and second.replaces_id == first.id
    assert second.redraw_reason == "一名专家出差" and second.seed != first.seed
    with pytest.raises(Conflict):
        draws.confirm_draw(db, draw_id=second.id, by=pool["organizer"])  # the one who drew it
    pairs = draws.confirm_draw(db, draw_id=second.id, by=pool["auditor"])
    assert pairs == 4 * 2
    rows = db.execute(select(Assignment.expert_id).where(Assignment.round_id == pool["final"].id)).scalars().all()
    assert sorted(set(rows)) == sorted(second.drawn["机械"])
    assert second.status is DrawStatus.CONFIRMED and second.confirmed_by_id == pool["auditor"].id
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "expert_draw")
                         .order_by(AuditEvent.seq)).all()
    assert actions == ["expert_draw.drawn", "expert_draw.drawn", "expert_draw.redrawn", "expert_draw.confirmed"]
    with pytest.raises(Conflict):
        draws.confirm_draw(db, draw_id=second.id, by=pool["auditor"])


def test_parse_spec_reads_specialties_and_refuses_bad_lines():
    assert draws.parse_spec("机械:3、电气：2\n化工:1") == {"机械": 3, "电气": 2, "化工": 1}
    for bad in ("", "机械", "机械:0", ":3", "机械:x"):
        with pytest.raises(JudgingError):
            draws.parse_spec(bad)
