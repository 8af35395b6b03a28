"""Result pages by role: organizers compute and approve, auditors read and recompute, judges see nothing;
the JSON API is read-only and in the OpenAPI schema; exports carry the run's digests."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from helpers import csrf_token, login
from judging.demo import DEMO_PASSWORDS
from judging.editions.models import CategoryKey
from judging.jobs import Job, JobStatus
from judging.results import service
from judging.results.models import ResultRun, RunApproval
from judging.scoring.models import ScoreSheet, SheetStatus
from results.factories import ORGANIZER, demo_ids

REPS = 30


def _make_run(session_factory, key=CategoryKey.OPERATING_METHOD, method="mean") -> int:
    with session_factory() as session:
        round_id, category_id = demo_ids(session, key)
        run = service.create_run(session, round_id=round_id, category_id=category_id, method=method, reps=REPS,
                                 by=ORGANIZER)
        session.commit()
        return run.id


def _urls(run_id: int) -> list[tuple[str, str]]:
    return [("GET", "/results"), ("GET", f"/results/runs/{run_id}"), ("GET", f"/results/runs/{run_id}/reports"),
            ("GET", f"/results/runs/{run_id}/export/scores.csv"), ("GET", f"/results/runs/{run_id}/export/results.xlsx"),
            ("GET", f"/results/compare?a={run_id}&b={run_id}"), ("GET", "/results/awards"),
            ("GET", "/api/results/runs"), ("GET", f"/api/results/runs/{run_id}"), ("GET", "/api/results/progress"),
            ("POST", "/results/runs"), ("POST", f"/results/runs/{run_id}/approve"),
            ("POST", f"/results/runs/{run_id}/recompute"), ("POST", f"/results/runs/{run_id}/reports"),
            ("POST", f"/results/runs/{run_id}/advance"), ("POST", f"/results/runs/{run_id}/unblind")]


def test_a_judge_gets_404_on_every_results_url(client, demo, session_factory):
    run_id = _make_run(session_factory)
    login(client, "judge01", DEMO_PASSWORDS["judge"])
    token = csrf_token(client, "/judge")
    for method, url in _urls(run_id):
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={"_csrf_token": token})
        assert response.status_code == 404, (method, url, response.status_code)


def test_an_auditor_reads_and_recomputes_but_cannot_approve_or_compute(client, demo, session_factory):
    run_id = _make_run(session_factory)
    login(client, "auditor", DEMO_PASSWORDS["auditor"])
    page = client.get(f"/results/runs/{run_id}")
    assert page.status_code == 200 and "输出摘要" in page.text
    token = csrf_token(client, f"/results/runs/{run_id}")
    for url in ("/results/runs", f"/results/runs/{run_id}/approve", f"/results/runs/{run_id}/advance",
                f"/results/runs/{run_id}/unblind"):
        assert client.post(url, data={"_csrf_token": token}).status_code == 404, url
    response = client.post(f"/results/runs/{run_id}/recompute", data={"_csrf_token": token}, follow_redirects=False)
    assert response.status_code in (302, 303) and response.headers["location"].startswith("/jobs/")
    job_page = client.get(response.headers["location"])
    assert job_page.status_code == 200
    with session_factory() as session:
        job = session.scalars(select(Job).order_by(Job.id.desc())).first()
        assert job.status is JobStatus.SUCCEEDED and job.result["outputs_match"] is True
        assert session.scalar(select(RunApproval).where(RunApproval.run_id == run_id)) is None
    check = client.get(job.result["next_url"])
    assert "复核计算重现了存储的输出摘要" in check.text
    other_id = _make_run(session_factory, method="additive")
    compare = client.get(f"/results/compare?a={run_id}&b={other_id}")
    assert compare.status_code == 200 and 'id="movers"' in compare.text


def test_an_organizer_computes_a_run_through_a_job_and_approves_it(client, demo, session_factory):
    login(client, "organizer", DEMO_PASSWORDS["organizer"])
    home = client.get("/results")
    assert home.status_code == 200 and "计算评审结果" in home.text
    token = csrf_token(client, "/results")
    with session_factory() as session:
        round_id, category_id = demo_ids(session, CategoryKey.SUGGESTION)
    response = client.post("/results/runs", data={"_csrf_token": token, "round_id": round_id,
                                                  "category_id": category_id, "method": "additive", "seed": "11",
                                                  "reps": str(REPS)}, follow_redirects=False)
    assert response.status_code in (302, 303), response.text[:500]
    job_page = client.get(response.headers["location"]).text
    run_url = re.search(r'href="(/results/runs/\d+)"', job_page).group(1)
    run_page = client.get(run_url).text
    with session_factory() as session:
        run = session.scalars(select(ResultRun).where(ResultRun.round_id == round_id)).one()
        assert run.seed == 11 and run.method == "additive"
    assert run.output_digest in run_page and run.input_digest in run_page
    assert 'id="entries"' in run_page and "<svg" in run_page and "已批准" not in run_page
    client.post(f"{run_url}/approve", data={"_csrf_token": token, "confirmed": "1"})
    assert "已批准" in client.get(run_url).text
    with session_factory() as session:
        assert session.scalar(select(RunApproval.run_id).where(RunApproval.round_id == round_id)) == run.id


def test_unsubmitted_sheets_warn_and_ask_to_confirm(client, demo, session_factory):
    with session_factory() as session:
        round_id, category_id = demo_ids(session, CategoryKey.OPERATING_METHOD)
        session.scalars(select(ScoreSheet).order_by(ScoreSheet.id)).first().status = SheetStatus.DRAFT
        session.commit()
    login(client, "organizer", DEMO_PASSWORDS["organizer"])
    token = csrf_token(client, "/results")
    form = {"_csrf_token": token, "round_id": round_id, "category_id": category_id, "method": "mean",
            "reps": str(REPS)}
    warned = client.post("/results/runs", data=form, follow_redirects=False)
    assert warned.status_code == 409 and "有1份已分配的评分表尚未提交" in warned.text and 'name="confirm"' in warned.text
    confirmed = client.post("/results/runs", data={**form, "confirm": "1"}, follow_redirects=False)
    assert confirmed.status_code in (302, 303)
    with session_factory() as session:
        assert session.scalars(select(ResultRun).where(ResultRun.round_id == round_id)).one().unsubmitted == 1


def test_json_api_is_read_only_and_in_the_openapi_schema(client, demo, session_factory):
    run_id = _make_run(session_factory)
    login(client, "auditor", DEMO_PASSWORDS["auditor"])
    runs = client.get("/api/results/runs").json()
    assert [r["id"] for r in runs] == [run_id]
    body = client.get(f"/api/results/runs/{run_id}").json()
    assert body["output_digest"] == runs[0]["output_digest"] and len(body["results"]) == 50
    assert {"code", "rank", "rank_interval", "p_top"} <= set(body["results"][0])
    progress = client.get("/api/results/progress").json()
    assert any(row["submitted"] == 250 for row in progress)
    assert client.get("/schema/openapi.json").status_code == 404  # the API map is the admins' alone
    login(client, "admin", DEMO_PASSWORDS["admin"])
    schema = client.get("/schema/openapi.json").json()
    assert {"/api/results/runs", "/api/results/runs/{run_id}", "/api/results/progress"} <= set(schema["paths"])
    assert set(schema["paths"]["/api/results/runs"]) == {"get"}


def test_exports_carry_the_digests_and_anonymize_judges_for_organizers(client, demo, session_factory):
    run_id = _make_run(session_factory)
    with session_factory() as session:
        run = session.get(ResultRun, run_id)
        digests = (run.input_digest, run.output_digest)
    login(client, "organizer", DEMO_PASSWORDS["organizer"])
    text = client.get(f"/results/runs/{run_id}/export/scores.csv").content.decode("utf-8-sig")
    digest_file = client.get(f"/results/runs/{run_id}/export/scores.csv.sha256").text
    assert f"# 输入摘要: {digests[0]}" in digest_file and f"# 输出摘要: {digests[1]}" in digest_file
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 250 * 4 and rows[0]["专家"].startswith("J") and "专家姓名" not in rows[0]
    # No assignment id either: the swap page (/organizer/panels/assignments/{id}/swap) names its expert.
    assert "评审分配" not in rows[0]
    xlsx = client.get(f"/results/runs/{run_id}/export/judges.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(xlsx.content))
    meta = {row[0]: row[1] for row in book["导出说明"].iter_rows(values_only=True)}
    assert meta["输出摘要"] == digests[1] and meta["输入摘要"] == digests[0]
    assert client.get(f"/results/runs/{run_id}/export/secrets.csv").status_code == 404


def test_every_result_page_export_and_the_api_name_the_runs_rule_in_words(client, demo, session_factory):
    """A trimmed-mean run of the operating methods (5 judges each): the rule is named everywhere, and each
    nomination's value is the mean of its 3 middle totals."""
    run_id = _make_run(session_factory, method="trimmed_mean")
    mean_id = _make_run(session_factory, method="mean")
    rule = "截尾平均（≥5 个评分时去掉一个最高分和一个最低分）"
    login(client, "organizer", DEMO_PASSWORDS["organizer"])
    for url in (f"/results/runs/{run_id}", "/results", f"/results/runs/{run_id}/reports",
                f"/results/compare?a={mean_id}&b={run_id}"):
        assert rule in client.get(url).text, url
    assert "平均分" in client.get(f"/results/runs/{mean_id}").text
    assert f'<option value="trimmed_mean" >{rule}</option>' in client.get("/results").text
    digest_file = client.get(f"/results/runs/{run_id}/export/results.csv.sha256").text
    assert f"# 规则: {rule}" in digest_file.splitlines()
    assert client.get(f"/api/results/runs/{run_id}").json()["rule"] == rule
    with session_factory() as session:
        run = session.get(ResultRun, run_id)
        totals: dict[int, list[float]] = {}
        for row in run.inputs["sheets"]:
            totals.setdefault(row["nomination"], []).append(float(row["total"]))
        for entry in run.entries:
            scores = sorted(totals[entry.nomination_id])
            assert len(scores) == 5 and entry.value == pytest.approx(sum(scores[1:-1]) / 3)


def test_a_run_over_grade_scales_records_and_exports_the_grades_chosen(client, demo, session_factory):
    with session_factory() as session:
        round_id, category_id = demo_ids(session, CategoryKey.ACHIEVEMENT)
        run = service.create_run(session, round_id=round_id, category_id=category_id, method="mean", reps=REPS,
                                 confirm_incomplete=True, by=ORGANIZER)  # the demo judges' submitted sheets
        session.commit()
        run_id, criteria = run.id, run.inputs["criteria"]
    assert criteria[1]["kind"] == "grade" and criteria[1]["grades"][0] == {"label": "国际领先", "value": "30.000"}
    assert "kind" not in criteria[0]
    login(client, "auditor", DEMO_PASSWORDS["auditor"])
    rows = list(csv.DictReader(client.get(f"/results/runs/{run_id}/export/scores.csv")
                               .content.decode("utf-8-sig").splitlines()))
    graded = [r for r in rows if r["评价指标"] == "技术水平"]
    assert graded and all(r["等级"] in {"国际领先", "国际先进", "国内领先", "国内先进", "国内一般"} for r in graded)
    assert all(r["等级"] == "" for r in rows if r["评价指标"] != "技术水平")
