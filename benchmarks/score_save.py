"""Latency of a judge's autosave round trip, against a bare Litestar endpoint in the same run.

Usage: python benchmarks/score_save.py [--saves N] [--database-url URL]

Both apps are served by uvicorn (one worker, in threads of this process) on loopback, and driven
by one keep-alive httpx client, one request at a time (a single user typing). The autosave is the
real route: session cookie resolved to the judge, CSRF checked, the sheet loaded through the
judge's own assignment, the version checked in a guarded UPDATE, criterion rows written, the
audit event chained, the transaction committed, JSON answered. The bare endpoint parses the same
form and answers JSON without a database: the difference is what scoring costs on top of HTTP.

By default a temporary database is created on the local PostgreSQL server
(postgresql+psycopg://postgres@127.0.0.1:5432/<new>) and dropped afterwards; the demo edition is
loaded into it. Timings on a shared machine vary; they are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

os.environ.setdefault("JUDGING_PASSWORD_PROFILE", "cheapest")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
from sqlalchemy import event, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from benchmarks.bare_app import app as bare_app  # noqa: E402
from benchmarks.in_process import free_port, percentiles, serve_in_thread  # noqa: E402
from benchmarks.scratch_db import benchmark_database  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=400)
    parser.add_argument("--database-url", help="an empty database to use (default: a temporary PostgreSQL one)")
    args = parser.parse_args()
    with benchmark_database(args.database_url, prefix="judging_bench") as url:
        _measure(url, args.saves)


def _measure(url: str, n_saves: int) -> None:
    from judging.accounts.models import User
    from judging.db import create_db_engine, make_session_factory, upgrade
    from judging.demo import DEMO_PASSWORDS, load_demo
    from judging.editions.models import Criterion, Rubric
    from judging.nominations.models import Nomination
    from judging.panels.models import Assignment, Expert
    from judging.scoring.models import ScoreSheet
    from judging.settings import Settings
    from judging.parts import assemble
    from judging.web.app import create_app

    engine = create_db_engine(url)
    # No sealer in this process: its statements would be counted as the saves' (load.py runs one).
    settings = Settings(database_url=url, secret_key="benchmark", var_dir=Path("/tmp"), jobs_backend="immediate",
                        embedded_worker=False, audit_seal_seconds=0)
    assemble().install(settings)  # the demo runs as a process of the product does: parts and settings installed
    try:
        upgrade(engine)
        factory = make_session_factory(engine)
        with factory() as session:
            load_demo(session, seed=2026)
            session.commit()
            assignment_id, handle, rubric_id = session.execute(
                select(Assignment.id, Assignment.handle, Rubric.id).join(Expert, Expert.id == Assignment.expert_id)
                .join(User, User.id == Expert.user_id).join(Nomination, Nomination.id == Assignment.nomination_id)
                .join(Rubric, Rubric.category_id == Nomination.category_id)
                .outerjoin(ScoreSheet, ScoreSheet.assignment_id == Assignment.id)
                .where(User.username == "judge01", ScoreSheet.id.is_(None)).limit(1)).one()
            # Each criterion's possible values: its grades, or its numeric range by its step.
            choices = {c.id: [str(g.value) for g in c.grades] or
                       [str(c.scale_min + k * c.scale_step)
                        for k in range(int((c.scale_max - c.scale_min) / c.scale_step) + 1)]
                       for c in session.scalars(select(Criterion).where(Criterion.rubric_id == rubric_id))}
        app_port, bare_port = free_port(), free_port()
        servers = [serve_in_thread(create_app(settings, engine), app_port), serve_in_thread(bare_app, bare_port)]

        with httpx.Client(base_url=f"http://127.0.0.1:{app_port}", timeout=10) as client:
            page = client.get("/login")
            token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
            client.post("/login", data={"username": "judge01", "password": DEMO_PASSWORDS["judge"],
                                        "_csrf_token": token})
            sheet = client.get(f"/judge/sheets/{handle}")
            token = re.search(r'name="_csrf_token" value="([^"]+)"', sheet.text).group(1)
            version, saves = 0, []
            http_statements: list[str] = []
            counting = [False]
            event.listen(engine, "before_cursor_execute",
                         lambda conn, cursor, sql, *a: counting[0] and http_statements.append(sql))
            for i in range(n_saves + 20):
                counting[0] = i >= 20
                form = {"_csrf_token": token, "version": str(version), "comment": f"第{i}次修改",
                        "familiarity": "familiar",
                        **{f"score-{cid}": values[(i + j) % len(values)] for j, (cid, values) in enumerate(choices.items())}}
                started = time.perf_counter()
                response = client.post(f"/judge/sheets/{handle}/draft", data=form,
                                       headers={"accept": "application/json"})
                elapsed = (time.perf_counter() - started) * 1000
                assert response.status_code == 200, response.text
                version = response.json()["version"]
                if i >= 20:  # warm-up
                    saves.append(elapsed)

        counting[0] = False
        if os.environ.get("JUDGING_BENCH_SHOW_SQL"):  # the statements of the last HTTP autosave
            print("\n".join(" ".join(sql.split())[:150] for sql in http_statements[-round(len(http_statements) / n_saves):]))
        with httpx.Client(base_url=f"http://127.0.0.1:{bare_port}", timeout=10) as client:
            bares = []
            for i in range(n_saves + 20):
                form = {"_csrf_token": "x", "version": str(i), "comment": f"第{i}次修改", "familiarity": "familiar",
                        **{f"score-{cid}": values[0] for cid, values in choices.items()}}
                started = time.perf_counter()
                response = client.post("/bare", data=form, headers={"accept": "application/json"})
                elapsed = (time.perf_counter() - started) * 1000
                assert response.status_code == 200, response.text
                if i >= 20:
                    bares.append(elapsed)
        for server in servers:
            server.should_exit = True

        # The service alone (no HTTP, no session cookie): load, check, write, audit, commit.
        from judging.scoring.service import save_draft

        with factory() as session:
            judge = session.scalar(select(User).where(User.username == "judge01"))
            session.expunge(judge)
        statements = []
        event.listen(engine, "before_cursor_execute", lambda conn, cursor, sql, *a: statements.append(sql))
        services = []
        for i in range(n_saves + 20):
            form = {"comment": f"第{i}次", "familiarity": "familiar",
                    **{f"score-{cid}": values[(i + 3 * j) % len(values)] for j, (cid, values) in enumerate(choices.items())}}
            started = time.perf_counter()
            with factory() as session:
                version = save_draft(session, judge=judge, assignment_id=assignment_id, data=form,
                                     version=version).version
                session.commit()
            if i >= 20:
                services.append((time.perf_counter() - started) * 1000)
        per_save = len(statements) / (n_saves + 20)
        if os.environ.get("JUDGING_BENCH_SHOW_SQL"):  # the statements of the last save, to see where they go
            print("\n".join(" ".join(sql.split())[:110] for sql in statements[-round(per_save):]))

        backend = make_url(url).get_backend_name()
        print(f"autosave round trip on {backend}, {n_saves} saves after 20 warm-up, one user, keep-alive")
        print(f"{'endpoint':<34}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
        for label, samples in [("POST /judge/sheets/{id}/draft", saves), ("bare Litestar POST (no database)", bares),
                               ("save_draft + commit (no HTTP)", services)]:
            p50, p95, worst = percentiles(samples)
            print(f"{label:<34}{p50:>9.1f}{p95:>9.1f}{worst:>9.1f}")
        print(f"SQL statements per HTTP autosave (session lookup included): {len(http_statements) / n_saves:.1f} "
              f"(target <= 8)")
        print(f"SQL statements per save_draft: {per_save:.1f}; load average {os.getloadavg()[0]:.1f} "
              f"on {os.cpu_count()} CPUs")
        p50, p95, _ = percentiles(saves)
        print(f"target p95 <= 30 ms: {'met' if p95 <= 30 else 'NOT met'} ({p95:.1f} ms)")
    finally:
        engine.dispose()

if __name__ == "__main__":
    main()
