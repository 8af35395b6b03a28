"""The encrypted ballot on the server: casting (check, Paillier encryption, store, audit, commit) and the
tally (both shares, ciphertext checks, aggregate, decryption of the totals, verification), for a panel
of 15 members voting on 20 nominations. Target (issue 15): casting ≤ 300 ms p95, the tally ≤ 10 s.

Usage: python benchmarks/ballot.py [--meetings N] [--database-url URL]

Each ballot is its own transaction through the meetings service, as the ballot page does it (the
page adds HTTP and template rendering, measured by score_save.py for another route). By default a
temporary PostgreSQL database on the local server is used and dropped afterwards; ``--database-url
sqlite:///path`` runs it on SQLite. Whether gmpy2 speeds Paillier up is printed. Timings vary on a
shared machine; they are printed, never asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("JUDGING_PASSWORD_PROFILE", "cheapest")
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "statistics"), str(ROOT / "tests")]

from benchmarks.scratch_db import benchmark_database  # noqa: E402
from judging.db import create_db_engine, make_session_factory, upgrade  # noqa: E402
from judging.parts import assemble  # noqa: E402
from judging.settings import Settings  # noqa: E402

MEMBERS, NOMINATIONS = 15, 20


def _meeting(factory, year: int):
    from tests.meetings.factories import make_meeting, make_shares, make_world, roll_call

    with factory() as db:
        world = make_world(db, n_nominations=NOMINATIONS, n_members=MEMBERS, year=year)
        meeting = make_meeting(db, world)
        roll_call(db, meeting, MEMBERS)
        codes = make_shares(db, meeting)
        db.commit()
        return meeting.id, [e.user_id for e in world["members"]], codes


def _run(factory, year: int, rng: random.Random) -> tuple[float, list[float], float]:
    from judging.accounts.models import User
    from judging.meetings import service
    from judging.meetings.models import Meeting
    from tests.meetings.factories import AFTER, DURING, OPENS
    from tests.results.factories import ORGANIZER

    meeting_id, users, codes = _meeting(factory, year)
    with factory() as db:
        start = time.perf_counter()
        service.open_voting(db, meeting=db.get(Meeting, meeting_id), by=ORGANIZER, now=OPENS)
        db.commit()
        opening = time.perf_counter() - start
    casts = []
    for user_id in users:
        with factory() as db:
            start = time.perf_counter()
            meeting = db.get(Meeting, meeting_id)
            items = service.ballot_items(db, meeting=meeting, member=service.member_for_user(
                db, meeting_id=meeting_id, user=db.get(User, user_id)))
            service.cast_ballot(db, meeting=meeting, user=db.get(User, user_id), now=DURING,
                                choices={row.handle: rng.choice(service.CHOICES) for row in items})
            db.commit()
            casts.append(time.perf_counter() - start)
    with factory() as db:
        start = time.perf_counter()
        meeting = db.get(Meeting, meeting_id)
        service.tally(db, meeting=meeting, by=ORGANIZER, now=AFTER, **codes)
        db.commit()
        tally = time.perf_counter() - start
        assert service.verify_tally(db, meeting)
    return opening, casts, tally


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meetings", type=int, default=3, help="meetings of 15 × 20 to run (default 3)")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    from phe import util

    with benchmark_database(args.database_url, prefix="bench_ballot") as url:
        engine = create_db_engine(url)
        upgrade(engine)
        assemble().install(Settings(database_url=url, var_dir=Path(tempfile.mkdtemp(prefix="judging-ballot-")),
                                    jobs_backend="immediate"))  # as a process of the product does
        factory = make_session_factory(engine)
        rng = random.Random(15)
        openings, casts, tallies = [], [], []
        for index in range(args.meetings):
            opening, cast, tally = _run(factory, 2041 + index, rng)
            openings.append(opening)
            casts.extend(cast)
            tallies.append(tally)
        engine.dispose()
    casts.sort()
    p95 = casts[min(len(casts) - 1, round(0.95 * (len(casts) - 1)))]
    backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"ballot: {MEMBERS} members × {NOMINATIONS} nominations, {args.meetings} meetings on {backend}, "
          f"gmpy2 {'yes' if util.HAVE_GMP else 'no'}")
    print(f"  open voting (key pair, sealing): median {statistics.median(openings) * 1000:.0f} ms")
    print(f"  cast ({len(casts)} ballots): p50 {statistics.median(casts) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, "
          f"max {casts[-1] * 1000:.1f} ms  (target p95 ≤ 300 ms)")
    print(f"  tally: median {statistics.median(tallies):.2f} s, max {max(tallies):.2f} s  (target ≤ 10 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
