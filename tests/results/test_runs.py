"""Result runs: computed as a background job, stored immutably with digests that survive a database
round trip, reproduced by an auditor's recomputation, frozen by approval; bad input is refused clearly."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select, update

from judging import audit
from judging.editions.models import CategoryKey
from judging.errors import Conflict, JudgingError
from judging.jobs import Job, JobStatus, start_job
from judging.panels.models import Assignment
from judging.results import comparison, inputs, service
from judging.results.models import ResultEntry, ResultRun, RunApproval, RunCheck
from judging.accounts import actor_of
from judging.accounts.models import Role, User
from judging.nominations.models import Nomination
from judging.scoring import service as scoring
from judging.scoring.models import CriterionScore, ScoreSheet, SheetStatus
from results.factories import ORGANIZER, AUDITOR, demo_ids, make_small_edition


REPS = 40


def _run_as_job(session_factory, db_url, round_id, category_id, method="additive", **params) -> int:
    job_id = start_job(session_factory, kind="results.compute", by=ORGANIZER, database_url=db_url,
                       params={"round_id": round_id, "category_id": category_id, "method": method, "reps": REPS,
                               "seed": 7, **params})
    with session_factory() as session:
        job = session.get(Job, job_id)
        assert job.status is JobStatus.SUCCEEDED, job.error
        assert job.progress == 1.0
        return job.result["run_id"]


def _recompute_as_job(session_factory, db_url, run_id: int) -> RunCheck:
    """The auditor's recomputation as the app runs it: the ``results.recompute`` job."""
    job_id = start_job(session_factory, kind="results.recompute", by=AUDITOR, database_url=db_url,
                       params={"run_id": run_id, "by_label": AUDITOR.label})
    with session_factory() as session:
        job = session.get(Job, job_id)
        assert job.status is JobStatus.SUCCEEDED, job.error
        check = session.get(RunCheck, job.result["check_id"])
        session.expunge(check)
        return check


@pytest.mark.backend_sensitive
def test_a_run_is_a_job_and_reproduces_its_digests_after_a_database_round_trip(session_factory, db_url, demo):
    with session_factory() as session:
        round_id, category_id = demo_ids(session, CategoryKey.OPERATING_METHOD)
    run_id = _run_as_job(session_factory, db_url, round_id, category_id)
    with session_factory() as session:
        run = session.get(ResultRun, run_id)
        assert run.method == "additive" and run.seed == 7 and run.options["reps"] == REPS
        assert run.engine_version == __import__("judgestats").__version__
        assert run.options["tie_rule"] == "item_se"  # the demo edition's declared rule
        assert run.n_items == 50 and run.n_scores == 250 and run.unsubmitted == 0
        assert len(run.input_digest) == len(run.output_digest) == 64
        # The stored JSON still hashes to the stored digests (exact floats survived the database).
        assert service.stored_outputs_verify(run)
        entries = session.scalars(select(ResultEntry).where(ResultEntry.run_id == run_id)
                                  .order_by(ResultEntry.rank)).all()
        assert [e.rank for e in entries] == list(range(1, 51))
        assert [e.code for e in entries if not e.rank_low <= e.rank <= e.rank_high] == []
        assert sum(e.in_top for e in entries) == 10
    check = _recompute_as_job(session_factory, db_url, run_id)
    assert check.inputs_match and check.outputs_match and check.changes == []
    with session_factory() as session:
        actions = session.scalars(select(audit.AuditEvent.action)).all()
        assert "result_run.created" in actions and "result_run.recomputed" in actions


def test_two_runs_on_the_same_scores_have_the_same_digests(session_factory, demo):
    with session_factory() as session:
        round_id, category_id = demo_ids(session, CategoryKey.SUGGESTION)
        a = service.create_run(session, round_id=round_id, category_id=category_id, method="zscore", reps=REPS,
                               seed=3, by=ORGANIZER)
        b = service.create_run(session, round_id=round_id, category_id=category_id, method="zscore", reps=REPS,
                               seed=3, by=ORGANIZER)
        c = service.create_run(session, round_id=round_id, category_id=category_id, method="zscore", reps=REPS,
                               seed=4, by=ORGANIZER)
        session.commit()
        assert a.id != b.id and a.input_digest == b.input_digest == c.input_digest
        assert a.output_digest == b.output_digest != c.output_digest


def _organizer(session) -> audit.Actor:
    user = User(username="office-freeze", display_name="办公室", role=Role.ORGANIZER, password_hash="-")
    session.add(user)
    session.flush()
    return actor_of(user)


def _submitted_sheet(session, category_id: int) -> ScoreSheet:
    return session.scalar(select(ScoreSheet).join(Assignment, Assignment.id == ScoreSheet.assignment_id)
                          .join(Nomination, Nomination.id == Assignment.nomination_id)
                          .where(Nomination.category_id == category_id, ScoreSheet.status == SheetStatus.SUBMITTED)
                          .order_by(ScoreSheet.id).limit(1))


@pytest.mark.backend_sensitive
def test_approval_freezes_the_scores_of_its_round_and_category(session_factory, db_url, demo):
    with session_factory() as session:
        round_id, category_id = demo_ids(session, CategoryKey.OPERATING_METHOD)
        _other_round, other_category = demo_ids(session, CategoryKey.SUGGESTION)
        run = service.create_run(session, round_id=round_id, category_id=category_id, method="mean", reps=REPS,
                                 by=ORGANIZER)
        service.approve_run(session, run=run, by=ORGANIZER)
        session.commit()
        run_id = run.id
    with session_factory() as session:
        office = _organizer(session)
        assert scoring.is_frozen(session, round_id=round_id, category_id=category_id)
        assert not scoring.is_frozen(session, round_id=round_id, category_id=other_category)
        frozen = _submitted_sheet(session, category_id)
        with pytest.raises(Conflict, match="approved"):
            scoring.reopen_sheet(session, sheet_id=frozen.id, by=office, reason="复核评分")
        session.rollback()
        # The other category's scores may still change.
        office = _organizer(session)
        other = _submitted_sheet(session, other_category)
        assert scoring.reopen_sheet(session, sheet_id=other.id, by=office, reason="复核评分").status is SheetStatus.DRAFT
        session.rollback()
    assert _recompute_as_job(session_factory, db_url, run_id).outputs_match


@pytest.mark.backend_sensitive
def test_an_approval_freezes_scores_later_in_the_same_transaction(session_factory, demo):
    with session_factory() as session:
        round_id, category_id = demo_ids(session, CategoryKey.OPERATING_METHOD)
        office = _organizer(session)
        run = service.create_run(session, round_id=round_id, category_id=category_id, method="mean", reps=REPS,
                                 by=ORGANIZER)
        service.approve_run(session, run=run, by=ORGANIZER)
        with pytest.raises(Conflict, match="approved"):
            scoring.reopen_sheet(session, sheet_id=_submitted_sheet(session, category_id).id, by=office,
                                 reason="复核评分")


@pytest.mark.backend_sensitive
def test_one_approval_per_round_and_category_and_not_after_scores_changed(session_factory, demo):
    with session_factory() as session:
        round_id, category_id = demo_ids(session, CategoryKey.OPERATING_METHOD)
        first = service.create_run(session, round_id=round_id, category_id=category_id, method="mean", reps=REPS,
                                   by=ORGANIZER)
        second = service.create_run(session, round_id=round_id, category_id=category_id, method="additive",
                                    reps=REPS, by=ORGANIZER)
        session.commit()
        # A score changes after the first run: that run can no longer be approved.
        session.scalars(select(CriterionScore)).first().value = Decimal("0.5")
        session.flush()
        third = service.create_run(session, round_id=round_id, category_id=category_id, method="mean", reps=REPS,
                                   by=ORGANIZER)
        with pytest.raises(Conflict):
            service.approve_run(session, run=first, by=ORGANIZER)
        service.approve_run(session, run=third, by=ORGANIZER)
        with pytest.raises(Conflict):
            service.approve_run(session, run=second, by=ORGANIZER)
        session.commit()
        assert session.scalar(select(RunApproval.run_id).where(RunApproval.category_id == third.category_id)) \
            == third.id


def test_recompute_after_a_score_changed_shows_the_digests_differ_and_which_score(session_factory, db_url, demo):
    with session_factory() as session:
        round_id, category_id = demo_ids(session, CategoryKey.SUGGESTION)
        run = service.create_run(session, round_id=round_id, category_id=category_id, method="mean", reps=REPS,
                                 by=ORGANIZER)
        session.commit()
        row = run.inputs["sheets"][3]
        score = session.scalar(select(CriterionScore).join(ScoreSheet)
                               .where(ScoreSheet.assignment_id == row["assignment"]).order_by(CriterionScore.id))
        before = score.value
        score.value = Decimal("10") if before != Decimal("10") else Decimal("0")
        session.commit()
        check = _recompute_as_job(session_factory, db_url, run.id)
        assert not check.inputs_match and not check.outputs_match
        assert check.input_digest != run.input_digest and check.output_digest != run.output_digest
        assert len(check.changes) == 1
        change = check.changes[0]
        assert change["assignment"] == row["assignment"] and change["code"] == row["code"]
        assert (change["stored"], change["now"]) == (f"{before:.3f}", f"{score.value:.3f}")  # as stored: 3 places


def test_unsubmitted_sheets_need_confirmation(session_factory, demo):
    with session_factory() as session:
        round_id, category_id = demo_ids(session, CategoryKey.OPERATING_METHOD)
        sheet = session.scalars(select(ScoreSheet).order_by(ScoreSheet.id)).first()
        sheet.status = SheetStatus.DRAFT
        session.commit()
        check = inputs.preflight(session, round_=session.get(service.Round, round_id),
                                  category=session.get(service.Category, category_id))
        assert check.unsubmitted == 1
        with pytest.raises(Conflict) as refused:
            service.create_run(session, round_id=round_id, category_id=category_id, method="mean", reps=REPS,
                               by=ORGANIZER)
        assert refused.value.params == {"count": 1}
        run = service.create_run(session, round_id=round_id, category_id=category_id, method="mean", reps=REPS,
                                 confirm_incomplete=True, by=ORGANIZER)
        assert run.unsubmitted == 1 and run.n_scores == 249


def test_a_category_without_submitted_scores_is_refused(db):
    made = make_small_edition(db, [(0, 0, 5), (1, 0, 6)])
    db.execute(update(ScoreSheet).values(status=SheetStatus.DRAFT))
    with pytest.raises(JudgingError) as refused:
        service.create_run(db, round_id=made["round"].id, category_id=made["category"].id, method="mean",
                           confirm_incomplete=True, by=ORGANIZER)
    assert refused.value.message == "There are no submitted scores to compute from."


def test_a_disconnected_design_reports_its_components_and_computes_per_component_only_when_asked(db):
    # Judges 0,1 score nominations 0-2; judges 2,3 score nominations 3-5: two components.
    design = [(n, j, 5 + (n % 3) + j * 0.5) for n in range(3) for j in (0, 1)] + \
             [(n, j, 4 + (n % 3) + j * 0.5) for n in range(3, 6) for j in (2, 3)]
    made = make_small_edition(db, design)
    check = inputs.preflight(db, round_=made["round"], category=made["category"])
    assert check.n_components == 2 and [c["items"] for c in check.components] == [3, 3]
    with pytest.raises(JudgingError) as refused:
        service.create_run(db, round_id=made["round"].id, category_id=made["category"].id, method="additive",
                           reps=REPS, by=ORGANIZER)
    assert refused.value.params == {"count": 2}
    run = service.create_run(db, round_id=made["round"].id, category_id=made["category"].id, method="additive",
                             reps=REPS, within_components=True, by=ORGANIZER)
    assert sorted({e.component for e in run.entries}) == [0, 1]


@pytest.mark.parametrize("tie_rule, expected", [("shared", [1, 1, 3]), ("item_order", [1, 2, 3])])
def test_ties_are_broken_by_the_edition_rule(db, tie_rule, expected):
    design = [(0, 0, 8), (0, 1, 8), (1, 0, 8), (1, 1, 8), (2, 0, 5), (2, 1, 6)]
    made = make_small_edition(db, design, tie_rule=tie_rule, top_n=1)
    run = service.create_run(db, round_id=made["round"].id, category_id=made["category"].id, method="mean",
                             reps=REPS, by=ORGANIZER)
    ranks = {e.nomination_id: e.rank for e in run.entries}
    assert [ranks[n.id] for n in made["nominations"]] == expected
    assert run.outputs["ranking"]["tie_at_cutoff"] is True
    assert run.options["tie_rule"] == tie_rule


def test_runs_compare_raw_mean_and_calibrated_naming_the_judges_behind_a_move(db):
    # Judge 1 is very harsh and scores only nomination 1: corrected, nomination 1 moves up.
    design = [(0, 0, 7), (0, 2, 7), (1, 1, 3), (1, 2, 7.5), (2, 0, 6), (2, 1, 2), (2, 2, 6)]
    made = make_small_edition(db, design)
    ids = dict(round_id=made["round"].id, category_id=made["category"].id, reps=REPS, by=ORGANIZER)
    mean = service.create_run(db, method="mean", **ids)
    additive = service.create_run(db, method="additive", **ids)
    rows = comparison.compare_runs(db, base=mean, other=additive)
    moved = next(r for r in rows if r["nomination_id"] == made["nominations"][1].id)
    assert moved["move"] > 0
    harsh = next(d for d in additive.judges if d.expert_id == made["experts"][1].id)
    assert harsh.severity > 0 and moved["judges"][0][0] == harsh.code


@pytest.mark.backend_sensitive
def test_a_score_change_racing_an_approval_waits_for_it_and_is_refused(session_factory, db_url):
    """PostgreSQL runs the two transactions side by side (SQLite serializes whole write transactions)."""
    import threading

    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite starts every write transaction with BEGIN IMMEDIATE: no interleaving to test")
    with session_factory() as setup:
        world = make_small_edition(setup, [(n, j, 4 + (n + j) % 5) for n in range(3) for j in range(3)])
        run_id = service.create_run(setup, round_id=world["round"].id, category_id=world["category"].id,
                                    method="mean", by=ORGANIZER).id
        sheet_id = _submitted_sheet(setup, world["category"].id).id
        office = _organizer(setup)
        setup.commit()
    approver = session_factory()
    service.approve_run(approver, run=approver.get(ResultRun, run_id), by=ORGANIZER)  # not committed yet
    outcome: dict[str, object] = {}

    def change_a_score() -> None:
        with session_factory() as saver:
            try:
                scoring.reopen_sheet(saver, sheet_id=sheet_id, by=office, reason="复核评分")
                saver.commit()
                outcome["saved"] = True
            except Conflict as exc:
                outcome["refused"] = exc

    saver = threading.Thread(target=change_a_score)
    saver.start()
    saver.join(1.0)
    assert saver.is_alive(), "the change must wait for the approval's transaction"
    approver.commit()
    approver.close()
    saver.join(30)
    assert "refused" in outcome and "saved" not in outcome
    with session_factory() as check:
        assert check.get(ScoreSheet, sheet_id).status is SheetStatus.SUBMITTED
