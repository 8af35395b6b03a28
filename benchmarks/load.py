"""Load: 300 simulated judges against `judging serve --workers 2` on PostgreSQL, then a check that
every acknowledged save is stored with its last value and that the audit chain verifies.

Usage: python benchmarks/load.py [--judges 300] [--seconds 60] [--saturate-seconds 15]

Phase 1 (realistic): each judge logs in, opens the queue, opens two sheets, autosaves each every
2–4 s with changing values, then submits. Phase 2 (saturation): the same judges fire autosaves
back to back, first against the app, then against a bare Litestar endpoint (benchmarks/bare_app.py,
also 2 uvicorn workers) that parses the same form without a database: the ratio of the two
throughputs is what the application costs on top of HTTP. Everything runs on loopback; every loop
is bounded in time. Figures are printed, never asserted. Client and servers share this machine's
2 cores, so the client's own CPU use lowers both throughputs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import httpx
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')
VERSION = re.compile(r'name="version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="version"')
SCORE_FIELD = re.compile(r'name="(score-\d+)" class="score"')  # numeric criteria
GRADE_CHOICE = re.compile(r'class="grade" id="[^"]+" name="(score-\d+)"\s+value="([^"]+)"')  # one grade of a table
SHEET_LINK = re.compile(r'href="/judge/sheets/(\d+)"')
STEPS = [str(v) for v in range(0, 11)]  # whole numbers fit every demo scale (0–10 by 0.5, 0–20 and 0–30 by 1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            if process.poll() is not None:
                raise RuntimeError("server exited") from None
            time.sleep(0.2)
    raise RuntimeError("server did not start")


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    # assignment id -> values of the last save the server acknowledged
    acknowledged: dict[int, dict[str, str]] = field(default_factory=dict)
    # assignment id -> values sent after that save whose answer never came (timed out, connection
    # lost): the server may have committed one of them, which is not a lost write
    unanswered: dict[int, list[dict[str, str]]] = field(default_factory=dict)

    def add(self, kind: str, ms: float) -> None:
        self.latencies.setdefault(kind, []).append(ms)

    def all(self) -> list[float]:
        return [v for values in self.latencies.values() for v in values]


def pct(samples: list[float]) -> str:
    if len(samples) < 2:
        return "n/a"
    q = statistics.quantiles(sorted(samples), n=100, method="inclusive")
    return f"p50 {q[49]:7.1f}  p95 {q[94]:7.1f}  p99 {q[98]:7.1f} ms"


async def timed(stats: Stats, kind: str, call):
    started = time.perf_counter()
    response = await call
    stats.add(kind, (time.perf_counter() - started) * 1000)
    return response


async def judge_session(base: str, username: str, password: str, stats: Stats, stop_at: float, *, paced: bool,
                        rng: random.Random, transport: httpx.AsyncHTTPTransport) -> None:
    # One client (cookie jar) per judge over one shared connection pool: creating 300 pools would
    # cost the client more CPU than the server spends answering.
    async with httpx.AsyncClient(base_url=base, timeout=30, transport=transport) as client:
        try:
            page = await timed(stats, "login page", client.get("/login"))
            token = TOKEN.search(page.text).group(1)
            response = await timed(stats, "login", client.post("/login", data={
                "username": username, "password": password, "_csrf_token": token}))
            if response.status_code not in (302, 303):
                stats.errors.append(f"login {username}: {response.status_code}")
                return
            queue = await timed(stats, "queue", client.get("/judge"))
            sheets = list(dict.fromkeys(int(x) for x in SHEET_LINK.findall(queue.text)))
            rng.shuffle(sheets)
            for assignment_id in sheets[:2]:
                if time.monotonic() > stop_at:
                    return
                await work_on_sheet(client, assignment_id, stats, stop_at, paced=paced, rng=rng)
        except httpx.HTTPError as exc:
            stats.errors.append(f"{username}: {type(exc).__name__}")


async def work_on_sheet(client, assignment_id: int, stats: Stats, stop_at: float, *, paced: bool,
                        rng: random.Random) -> None:
    page = await timed(stats, "sheet page", client.get(f"/judge/sheets/{assignment_id}"))
    match = VERSION.search(page.text)
    fields = list(dict.fromkeys(SCORE_FIELD.findall(page.text)))
    grades: dict[str, list[str]] = {}
    for name, value in GRADE_CHOICE.findall(page.text):
        grades.setdefault(name, []).append(value)
    if page.status_code != 200 or not match or not fields or "readonly" in page.text and "disabled" in page.text:
        return  # already submitted (the demo submits some sheets): nothing to edit
    version = int(match.group(1) or match.group(2))
    token = TOKEN.search(page.text).group(1)
    values: dict[str, str] = {}
    saves = 0
    while time.monotonic() < stop_at and (not paced or saves < 6):
        values = {**{name: rng.choice(STEPS) for name in fields},
                  **{name: rng.choice(choices) for name, choices in grades.items()}}
        form = {"_csrf_token": token, "version": str(version), "comment": "创新性突出，经济效益显著，建议推荐。" * 2,
                "familiarity": "familiar", **values}
        stats.unanswered.setdefault(assignment_id, []).append(values)
        response = await timed(stats, "autosave", client.post(f"/judge/sheets/{assignment_id}/draft", data=form,
                                                              headers={"accept": "application/json"}))
        if response.status_code != 200:
            stats.errors.append(f"autosave {assignment_id}: {response.status_code} {response.text[:80]!r}")
            return
        version = response.json()["version"]
        stats.acknowledged[assignment_id] = values
        stats.unanswered[assignment_id] = []
        saves += 1
        if paced:
            await asyncio.sleep(rng.uniform(2, 4))
    if paced and time.monotonic() < stop_at:
        form = {"_csrf_token": token, "version": str(version), "comment": "创新性突出，经济效益显著，建议推荐。" * 2,
                "familiarity": "familiar", **values}
        review = await timed(stats, "submit", client.post(f"/judge/sheets/{assignment_id}/submit", data=form))
        if review.status_code != 200:
            stats.errors.append(f"submit {assignment_id}: {review.status_code}")
            return
        shown = VERSION.search(review.text)  # the confirmation names the version it shows
        confirm = await timed(stats, "confirm", client.post(
            f"/judge/sheets/{assignment_id}/confirm",
            data={"_csrf_token": token, "version": shown.group(1) or shown.group(2)}, follow_redirects=False))
        if confirm.status_code not in (302, 303):
            stats.errors.append(f"confirm {assignment_id}: {confirm.status_code}")


async def bare_session(base: str, stats: Stats, stop_at: float, transport: httpx.AsyncHTTPTransport) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30, transport=transport) as client:
        version = 0
        while time.monotonic() < stop_at:
            form = {"_csrf_token": "x", "version": str(version), "comment": "创新性突出，经济效益显著，建议推荐。" * 2,
                    "familiarity": "familiar", **{f"score-{i}": "5" for i in range(4)}}
            response = await timed(stats, "bare", client.post("/bare", data=form))
            if response.status_code != 200:
                stats.errors.append(f"bare {response.status_code}")
                return
            version = response.json()["version"]


def prepare_database(url: str, n_judges: int) -> tuple[str, list[str]]:
    """Demo edition plus enough judges (with assignments and undertakings) to reach ``n_judges``."""
    from judging import audit
    from judging.accounts.models import Role, User
    from judging.db import create_db_engine, make_session_factory, upgrade
    from judging.demo import DEMO_PASSWORDS, load_demo
    from judging.editions.models import Edition, Round, RoundKind
    from judging.nominations.models import BlindCode
    from judging.panels.models import Assignment, Expert
    from judging.scoring.service import accept_undertaking

    engine = create_db_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    rng = random.Random(7)
    with factory() as session:
        load_demo(session, seed=2026)
        session.commit()
        template = session.scalar(select(User).where(User.username == "judge01"))
        preliminary = session.scalar(select(Round).where(Round.kind == RoundKind.PRELIMINARY))
        coded = session.scalars(select(BlindCode.nomination_id).where(BlindCode.round_id == preliminary.id)).all()
        for index in range(61, n_judges + 1):
            user = User(username=f"judge{index:03d}", display_name=f"专家{index:03d}", role=Role.JUDGE,
                        password_hash=template.password_hash)
            session.add(user)
            session.flush()
            expert = Expert(user_id=user.id, name=user.display_name, employer=f"负载测试单位{index}",
                            city="南京", fields=["机械工程"], max_load=30)
            session.add(expert)
            session.flush()
            for nomination_id in rng.sample(coded, 8):
                session.add(Assignment(round_id=preliminary.id, nomination_id=nomination_id, expert_id=expert.id))
        session.flush()
        audit.append(session, actor=audit.Actor.system("benchmark"), action="benchmark.judges_added",
                     object_type="round", object_id=preliminary.id, data={"judges": n_judges - 60})
        edition = session.scalar(select(Edition))
        for user in session.scalars(select(User).where(User.role == Role.JUDGE)).all():
            accept_undertaking(session, judge=user, edition=edition)
        session.commit()
        usernames = session.scalars(select(User.username).where(User.role == Role.JUDGE)
                                    .order_by(User.username)).all()[:n_judges]
    engine.dispose()
    return DEMO_PASSWORDS["judge"], usernames


def check_database(url: str, stats: Stats) -> tuple[int, int, object]:
    """Count acknowledged sheets whose stored values are neither the last acknowledged save nor a
    later one that was sent but never answered."""
    from judging import audit
    from judging.db import create_db_engine, make_session_factory
    from judging.scoring.models import CriterionScore, ScoreSheet

    engine = create_db_engine(url)
    lost = 0
    with make_session_factory(engine)() as session:
        for assignment_id, values in stats.acknowledged.items():
            sheet = session.scalar(select(ScoreSheet).where(ScoreSheet.assignment_id == assignment_id))
            stored = {} if sheet is None else {
                f"score-{row.criterion_id}": row.value for row in
                session.scalars(select(CriterionScore).where(CriterionScore.sheet_id == sheet.id))}
            candidates = [values, *stats.unanswered.get(assignment_id, [])]
            if not any(all(stored.get(name) == Decimal(value) for name, value in candidate.items())
                       for candidate in candidates):
                lost += 1
        verification = audit.verify(session)
    engine.dispose()
    return len(stats.acknowledged), lost, verification


def start_server(args: list[str], env: dict[str, str], health: str) -> subprocess.Popen:
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wait_ready(health, process)
    return process


async def run_judges(base: str, usernames, password: str, seconds: float, *, paced: bool) -> tuple[Stats, float]:
    stats, rng = Stats(), random.Random(11)
    transport = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=len(usernames),
                                                             max_keepalive_connections=len(usernames)))
    started = time.monotonic()
    stop_at = started + seconds
    tasks = []
    for index, username in enumerate(usernames):
        if paced:
            await asyncio.sleep(min(10.0, seconds / 6) / len(usernames))  # a ramp-up, as judges arrive
        tasks.append(asyncio.create_task(judge_session(base, username, password, stats, stop_at, paced=paced,
                                                       rng=random.Random(rng.random()), transport=transport)))
    await asyncio.gather(*tasks)
    await transport.aclose()
    return stats, time.monotonic() - started


async def run_bare(base: str, clients: int, seconds: float) -> tuple[Stats, float]:
    stats = Stats()
    transport = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=clients,
                                                             max_keepalive_connections=clients))
    started = time.monotonic()
    await asyncio.gather(*(bare_session(base, stats, started + seconds, transport) for _ in range(clients)))
    await transport.aclose()
    return stats, time.monotonic() - started


def report(title: str, stats: Stats, elapsed: float) -> float:
    samples = stats.all()
    rate = len(samples) / elapsed
    print(f"{title}: {len(samples)} requests in {elapsed:.1f} s = {rate:.0f} req/s; errors {len(stats.errors)}")
    print(f"  all requests      {pct(samples)}")
    for kind, values in sorted(stats.latencies.items()):
        print(f"  {kind:<17} {pct(values)}  (n={len(values)})")
    for error in stats.errors[:5]:
        print("  error:", error)
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--judges", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--saturate-seconds", type=float, default=15)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    server = make_url(os.environ.get("JUDGING_BENCH_POSTGRES_SERVER", DEFAULT_SERVER))
    name = f"judging_load_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    processes: list[subprocess.Popen] = []
    try:
        setup_started = time.monotonic()
        password, usernames = prepare_database(url, args.judges)
        print(f"database {name}: demo edition + {len(usernames)} judges, set up in "
              f"{time.monotonic() - setup_started:.1f} s")
        port, bare_port = free_port(), free_port()
        env = {**os.environ, "JUDGING_DATABASE_URL": url, "JUDGING_EMBEDDED_WORKER": "0",
               "JUDGING_VAR_DIR": f"/tmp/{name}", "JUDGING_SECRET_KEY": "load-test-secret"}
        judging = str(Path(sys.executable).parent / "judging")
        processes.append(start_server([judging, "serve", "--workers", str(args.workers), "--port", str(port)],
                                      env, f"http://127.0.0.1:{port}/healthz"))
        base = f"http://127.0.0.1:{port}"

        stats, elapsed = asyncio.run(run_judges(base, usernames, password, args.seconds, paced=True))
        report(f"realistic load, {len(usernames)} judges, {args.workers} workers", stats, elapsed)
        saved, lost, verification = check_database(url, stats)
        print(f"  acknowledged sheets checked: {saved}; lost writes: {lost}; audit chain "
              f"{'valid' if verification.valid else 'BROKEN'} ({verification.length} events)")

        app_stats, app_elapsed = asyncio.run(run_judges(base, usernames, password, args.saturate_seconds,
                                                        paced=False))
        app_rate = len(app_stats.latencies.get("autosave", [])) / app_elapsed
        report("saturation, app", app_stats, app_elapsed)
        saved, lost, verification = check_database(url, app_stats)
        print(f"  acknowledged sheets checked: {saved}; lost writes: {lost}; audit chain "
              f"{'valid' if verification.valid else 'BROKEN'} ({verification.length} events)")
        processes.append(start_server([sys.executable, "-m", "uvicorn", "bare_app:app", "--app-dir",
                                       str(REPO / "benchmarks"), "--workers", str(args.workers), "--port",
                                       str(bare_port), "--log-level", "warning", "--no-access-log"],
                                      dict(os.environ), f"http://127.0.0.1:{bare_port}/schema"))
        bare_stats, bare_elapsed = asyncio.run(run_bare(f"http://127.0.0.1:{bare_port}", len(usernames),
                                                        args.saturate_seconds))
        bare_rate = report("saturation, bare endpoint", bare_stats, bare_elapsed)
        print(f"autosave throughput: app {app_rate:.0f}/s vs bare {bare_rate:.0f}/s = {app_rate / bare_rate:.0%}")
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=20)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
