"""The auditor's log at a million events: how long each filtered page takes, as the page asks it.

Usage: python benchmarks/audit_log.py [--events N] [--database-url URL] [--repeat R]

The demo edition is loaded into a temporary PostgreSQL database (or the one given), then the audit table is
padded to N events (default 1,000,000) by copying the demo's own events with new sequence numbers, actors and
times following the demo's, 31 s apart, about a year (the padding is not hash-chained: this measures reading, not verification). Each
query is the one the page runs (judging.audit.log.page: the filter, newest first, keyset page of 50) on
a warm cache; the median and the worst of R runs are printed, never asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("JUDGING_PASSWORD_PROFILE", "cheapest")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "statistics"))

from sqlalchemy import func, select, text  # noqa: E402

from benchmarks.scratch_db import benchmark_database  # noqa: E402


def _pad(engine, events: int) -> None:
    """Copy the demo's events until the table holds ``events`` rows: same bodies, new seq, spread times."""
    with engine.begin() as connection:
        have, top, last = connection.execute(text("SELECT count(*), max(seq), max(at) FROM audit_events")).one()
        missing = events - have
        if missing <= 0:
            return
        connection.execute(text("""
            INSERT INTO audit_events (seq, at, actor_id, actor, action, object_type, object_id, body, prev_hash, hash)
            SELECT :top + g,
                   CAST(:last AS timestamptz) + (g * interval '31 seconds'),  -- after the demo, as appends come
                   e.actor_id,
                   CASE WHEN e.actor_id IS NULL THEN e.actor ELSE 'judge' || lpad(((g % 60) + 1)::text, 2, '0') END,
                   e.action, e.object_type, ((g % 5000) + 1)::text, e.body, '', md5(g::text) || md5((g + 1)::text)
            FROM generate_series(1, :missing) AS g
            JOIN (SELECT row_number() OVER (ORDER BY seq) - 1 AS i, * FROM audit_events) AS e
              ON e.i = g % :have
        """), {"top": top, "missing": missing, "have": have, "last": last})
        connection.execute(text("ANALYZE audit_events"))


def _time(fn, repeat: int) -> tuple[float, float]:
    fn()  # warm the cache
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--database-url")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    from judging.audit import log
    from judging.audit.models import AuditEvent
    from judging.db import create_db_engine, make_session_factory, upgrade
    from judging.demo import load_demo
    from judging.parts import assemble
    from judging.settings import Settings

    with benchmark_database(args.database_url, prefix="bench_audit") as url:
        assemble().install(Settings(database_url=url, jobs_backend="immediate"))
        engine = create_db_engine(url)
        upgrade(engine)
        sessions = make_session_factory(engine)
        with sessions() as session:
            if session.scalar(select(func.count()).select_from(AuditEvent)) == 0:
                load_demo(session, seed=2026)
                session.commit()
        started = time.perf_counter()
        _pad(engine, args.events)
        with sessions() as session:
            total = session.scalar(select(func.count()).select_from(AuditEvent))
            middle = session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).offset(total // 2).limit(1))
        print(f"audit events: {total:,} (padding took {time.perf_counter() - started:.0f} s)")
        with sessions() as session:  # a day in the middle of the log: the walk from the newest event is long
            middle_at = session.scalar(select(AuditEvent.at).where(AuditEvent.seq == middle))
        day = dt.datetime.combine(middle_at.date(), dt.time(), tzinfo=dt.UTC)
        cases = {
            "no filter, newest page": (log.LogFilter(), None),
            "no filter, page in the middle (keyset)": (log.LogFilter(), middle),
            "actor judge07": (log.LogFilter(actor="judge07"), None),
            "action user.created (rare)": (log.LogFilter(action="user.created"), None),
            "action score_sheet.submitted, page in the middle": (log.LogFilter(action="score_sheet.submitted"),
                                                                 middle),
            "object nomination #17": (log.LogFilter(object_type="nomination", object_id="17"), None),
            "one day (Beijing), no other filter": (log.LogFilter(since=day, until=day + dt.timedelta(days=1)), None),
            "actor + action + a month": (log.LogFilter(actor="judge07", action="score_sheet.submitted", since=day,
                                                       until=day + dt.timedelta(days=30)), None),
            "text 建议 (common)": (log.LogFilter(text="建议"), None),
            "text 孙立华 within object objection": (log.LogFilter(text="孙立华", object_type="objection"), None),
            "text 孙立华 (whole table; the padding repeats the demo's objections)": (log.LogFilter(text="孙立华"), None),
            # the worst case: a string in no event, so every body is read before the page comes back empty
            "text found nowhere (whole table scanned)": (log.LogFilter(text="无此内容的检索词"), None),
        }
        print(f"{'query (page of 50)':70} {'median ms':>10} {'worst ms':>10} {'rows':>5}")
        with sessions() as session:
            for name, (where, older) in cases.items():
                rows = len(log.page(session, where=where, older_than=older).events)
                median, worst = _time(lambda: log.page(session, where=where, older_than=older), args.repeat)
                print(f"{name:70} {median:10.1f} {worst:10.1f} {rows:5d}")
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
