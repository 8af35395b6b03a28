"""The organizer's work from the `judging` command (nominations import, panels assign, results run, reports
make), run as a subprocess against the test's database: the same services as the pages, the CLI as the
actor in the audit log, and a refusal that exits 2 with the service's reason."""

from __future__ import annotations

import pytest
from panels.test_app_flow import _final_and_category
from results.factories import demo_ids
from sqlalchemy import func, select

from judging.audit.models import AuditEvent
from judging.editions.models import CategoryKey
from judging.panels.models import Assignment, AssignmentPlan
from judging.results.models import ResultRun


@pytest.mark.parametrize("command", [["nominations", "import"], ["panels", "assign"], ["results", "run"],
                                     ["reports", "make"]])
def test_every_work_command_has_help(cli, command):
    result = cli(*command, "--help")
    assert result.returncode == 0 and "usage: judging" in result.stdout


def _ids(session_factory, key=CategoryKey.OPERATING_METHOD) -> tuple[int, int]:
    with session_factory() as s:
        return demo_ids(s, key)


def test_results_run_then_reports_make_writes_the_pdf(cli, demo, db_url, session_factory, tmp_path):
    round_id, _ = _ids(session_factory)
    done = cli("results", "run", "--round", str(round_id), "--category", "operating_method", "--method", "mean",
               "--reps", "20", url=db_url)
    assert done.returncode == 0, done.stderr
    with session_factory() as s:
        run = s.scalar(select(ResultRun).order_by(ResultRun.id.desc()).limit(1))
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "result_run.created")
                         .order_by(AuditEvent.seq.desc()).limit(1))
    assert f"run {run.id}: mean" in done.stdout and run.output_digest in done.stdout
    assert event is not None and event.actor == "cli"
    pdf = tmp_path / "ranking.pdf"
    made = cli("reports", "make", str(run.id), "--kind", "ranking", "--output", str(pdf), url=db_url,
               env={"JUDGING_VAR_DIR": str(tmp_path)})
    assert made.returncode == 0, made.stderr
    assert str(pdf) in made.stdout and pdf.read_bytes().startswith(b"%PDF")


def test_results_run_refuses_an_unknown_method_or_category_and_stores_nothing(cli, demo, db_url, session_factory):
    round_id, _ = _ids(session_factory)
    with session_factory() as s:
        before = s.scalar(select(func.count()).select_from(ResultRun))
    unknown = cli("results", "run", "--round", str(round_id), "--category", "operating_method", "--method", "median",
                  url=db_url)
    assert unknown.returncode == 2 and unknown.stderr.strip() == "judging: error: Unknown method median."
    category = cli("results", "run", "--round", str(round_id), "--category", "poetry", "--method", "mean", url=db_url)
    assert category.returncode == 2 and "unknown category 'poetry'" in category.stderr
    # The page's rules hold here too (results.service.check_request): replicates within 1-5000.
    reps = cli("results", "run", "--round", str(round_id), "--category", "operating_method", "--method", "mean",
               "--reps", "0", url=db_url)
    assert reps.returncode == 2 and reps.stderr.strip() == "judging: error: Bootstrap replicates must be between 1 and 5000."
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(ResultRun)) == before


def test_panels_assign_previews_then_commits_and_refuses_an_assigned_category(cli, demo, db_url, session_factory):
    final_id, category_id = _final_and_category(session_factory, advance=30)
    preview = cli("panels", "assign", "--round", str(final_id), "--category", "achievement", url=db_url)
    assert preview.returncode == 0, preview.stderr
    assert "previewed, not committed" in preview.stdout and "n_nominations" in preview.stdout
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Assignment).where(Assignment.round_id == final_id)) == 0
    committed = cli("panels", "assign", "--round", str(final_id), "--category", str(category_id), "--commit",
                    url=db_url)
    assert committed.returncode == 0, committed.stderr
    with session_factory() as s:
        plan = s.scalar(select(AssignmentPlan).order_by(AssignmentPlan.id.desc()).limit(1))
        assert f"committed plan {plan.id}: {len(plan.pairs)} assignments" in committed.stdout
        # The final round's default is panels (the page's starting values): every advanced nomination has one.
        assigned = s.scalars(select(Assignment.nomination_id).where(Assignment.round_id == final_id)).all()
        assert len(assigned) == len(plan.pairs) and len(set(assigned)) == 30
        actors = set(s.scalars(select(AuditEvent.actor).where(AuditEvent.action.like("assignment_plan.%"),
                                                              AuditEvent.object_id == str(plan.id))))
    assert actors == {"cli"}
    again = cli("panels", "assign", "--round", str(final_id), "--category", "achievement", url=db_url)
    assert again.returncode == 2
    assert again.stderr.strip() == ("judging: error: This category already has assignments in this round; "
                                    "refill or swap experts instead.")


def test_nominations_import_refuses_a_closed_stage_or_a_bad_file_and_stores_nothing(cli, demo, db_url,
                                                                                    session_factory, tmp_path):
    from nominations.test_import_service import ROW_METHOD, csv_bytes

    from judging.nominations.models import Nomination

    with session_factory() as s:
        before = s.scalar(select(func.count()).select_from(Nomination))
    table = tmp_path / "late.csv"
    table.write_bytes(csv_bytes([ROW_METHOD]))
    late = cli("nominations", "import", str(table), "--edition", "2026", url=db_url,
               env={"JUDGING_VAR_DIR": str(tmp_path)})
    assert late.returncode == 2 and "no longer takes nominations" in late.stderr
    assert late.stderr.strip().endswith("judging: error: nothing imported: 1 problem(s), listed above")
    binary = tmp_path / "photo.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    bad = cli("nominations", "import", str(binary), "--edition", "2026", url=db_url,
              env={"JUDGING_VAR_DIR": str(tmp_path)})
    assert bad.returncode == 2 and "The file is not a text table (it contains binary data)." in bad.stderr
    missing = cli("nominations", "import", str(tmp_path / "nowhere.xlsx"), url=db_url)
    assert missing.returncode == 2 and "cannot read" in missing.stderr and "nowhere.xlsx" in missing.stderr
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Nomination)) == before
