"""Load: 300 simulated judges against `judging serve --workers 2` on PostgreSQL, then a check that
every acknowledged save is stored with its last value and that the audit chain verifies.

Usage: python benchmarks/load.py [--judges 300] [--ramp-seconds 30] [--seconds 60]
                                 [--saturate-seconds 15] [--workers 2] [--clients 2] [--database-url URL]

Phases, each bounded in time, all on loopback:

1. logins: judges arrive evenly over --ramp-seconds; each opens the login page and logs in
   (argon2id, 64 MiB: the expensive request, so its latency is reported apart).
2. steady state (--seconds): each judge, starting at a random moment of the first 4 s, opens the
   queue, then its unsubmitted sheets one after the other: opens the sheet, autosaves it every
   2-4 s with changing values (4-8 times), submits and confirms. Requests/s and p50/p95/p99 of
   this phase are the figures to hold to the targets.
3. saturation (--saturate-seconds): every judge autosaves one draft back to back, with no pause;
   then the same number of connections post the same form back to back to a bare Litestar
   endpoint (benchmarks/bare_app.py, also uvicorn with --workers) that parses it without a
   database. The ratio of the two throughputs is what the application costs on top of HTTP.

The judges are split over --clients processes, each with its own event loop and one aiohttp
connection pool (each judge keeps its own cookie jar); phases start together (a barrier) and the
processes' figures are merged. A request counts as an error unless it gets the answer a browser
expects (an exception, a timeout, an unexpected status); nothing is retried. Afterwards every
acknowledged save is looked up in the database: its values must be the last acknowledged ones (or
those of a later save that was sent but never answered, which the server may have committed), and
the audit chain must verify. The server's own log (uvicorn's, access lines included) is kept in
the run's folder and its warnings and errors are counted.

By default a temporary database is created on the local PostgreSQL server
(postgresql+psycopg://postgres@127.0.0.1:5432/<new>, or JUDGING_BENCH_POSTGRES_SERVER) and
dropped afterwards. Client and servers share this machine's cores: the client's CPU time is
printed, since it is taken from the servers. Figures are printed, never asserted here.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, select, text

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from benchmarks.scratch_db import benchmark_database  # noqa: E402
TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')
VERSION = re.compile(r'name="version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="version"')
SCORE_FIELD = re.compile(r'name="(score-\d+)" class="score"')  # numeric criteria
GRADE_CHOICE = re.compile(r'class="grade" id="[^"]+" name="(score-\d+)"\s+value="([^"]+)"')  # one grade of a table
QUEUE_ROW = re.compile(r'href="/judge/sheets/([\w-]+)".*?class="badge (\w+)"', re.S)
STEPS = [str(v) for v in range(0, 11)]  # whole numbers fit every demo scale (0–10 by 0.5, 0–20 and 0–30 by 1)
COMMENT = "创新性突出，经济效益显著，建议推荐。" * 2
TIMEOUT = 30  # seconds for one request: past it the request is an error


# ------------------------------------------------------------------------------------ results

@dataclass
class Stats:
    """What one client process saw in one phase (merged across processes by ``merge``)."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    cpu: float = 0.0  # the client process's own CPU seconds in the phase

    def add(self, kind: str, ms: float) -> None:
        self.latencies.setdefault(kind, []).append(ms)

    def count(self, kinds=None) -> int:
        return sum(len(v) for k, v in self.latencies.items() if kinds is None or k in kinds)

    def samples(self) -> list[float]:
        return [v for values in self.latencies.values() for v in values]


@dataclass
class Writes:
    # assignment id -> values of the last save the server acknowledged
    acknowledged: dict[int, dict[str, str]] = field(default_factory=dict)
    # assignment id -> values sent after that save whose answer never came (timed out, connection
    # lost): the server may have committed one of them, which is not a lost write
    unanswered: dict[int, list[dict[str, str]]] = field(default_factory=dict)


def merge(parts: list[Stats]) -> Stats:
    total = Stats(elapsed=max(p.elapsed for p in parts), cpu=sum(p.cpu for p in parts))
    for part in parts:
        for kind, values in part.latencies.items():
            total.latencies.setdefault(kind, []).extend(values)
        total.errors.extend(part.errors)
    return total


def percentiles(samples: list[float]) -> tuple[float, float, float] | None:
    if len(samples) < 2:
        return None
    q = statistics.quantiles(samples, n=100, method="inclusive")
    return q[49], q[94], q[98]


def pct(samples: list[float]) -> str:
    q = percentiles(samples)
    return "n/a" if q is None else f"p50 {q[0]:7.1f}  p95 {q[1]:7.1f}  p99 {q[2]:7.1f} ms"


def report(title: str, stats: Stats, kinds=None) -> float:
    """Print the phase; return its rate (of ``kinds`` only, when given)."""
    rate = stats.count(kinds) / stats.elapsed if stats.elapsed else 0.0
    what = "requests" if kinds is None else "/".join(kinds)
    print(f"{title}: {stats.count()} requests in {stats.elapsed:.1f} s; {what} {rate:.1f}/s; "
          f"errors {len(stats.errors)}; client CPU {stats.cpu:.1f} s")
    print(f"  all requests      {pct(stats.samples())}")
    for kind, values in sorted(stats.latencies.items()):
        print(f"  {kind:<17} {pct(values)}  (n={len(values)})")
    for error in stats.errors[:5]:
        print("  error:", error)
    return rate


# ------------------------------------------------------------------------------- the judges

def _cause(exc: BaseException) -> str:
    """The exception and what caused it, e.g. 'ServerDisconnectedError <- ConnectionResetError: ...'."""
    parts = []
    while exc is not None and len(parts) < 3:
        parts.append(f"{type(exc).__name__}: {exc}".rstrip(": "))
        exc = exc.__cause__ or exc.__context__
    return " <- ".join(parts)


class Judge:
    """One judge's browser: a cookie jar over the process's shared connection pool."""

    def __init__(self, username: str, password: str, base: str, connector, rng: random.Random,
                 writes: Writes) -> None:
        import aiohttp

        self.username, self.password, self.rng, self.writes = username, password, rng, writes
        self.http = aiohttp.ClientSession(base, connector=connector, connector_owner=False,
                                          cookie_jar=aiohttp.CookieJar(unsafe=True),
                                          timeout=aiohttp.ClientTimeout(total=TIMEOUT))
        self.stats = Stats()
        self.draft: int | None = None  # a sheet left as a draft, for the saturation phase

    async def request(self, kind: str, method: str, path: str, expect: tuple[int, ...], **kwargs) -> str | None:
        """The response's text, or None after recording an error (unexpected status, exception)."""
        started = time.perf_counter()
        try:
            async with self.http.request(method, path, allow_redirects=False, **kwargs) as response:
                body = await response.text()
        except Exception as exc:  # noqa: BLE001 - every failure is counted, with its cause
            self.stats.errors.append(f"{kind} ({self.username}): {_cause(exc)}")
            return None
        self.stats.add(kind, (time.perf_counter() - started) * 1000)
        if response.status not in expect:
            self.stats.errors.append(f"{kind} ({self.username}): HTTP {response.status} {body[:80]!r}")
            return None
        return body

    async def log_in(self) -> bool:
        page = await self.request("login page", "GET", "/login", (200,))
        token = page and TOKEN.search(page)
        if not token:
            return False
        answer = await self.request("login", "POST", "/login", (302, 303), data={
            "username": self.username, "password": self.password, "_csrf_token": token.group(1)})
        return answer is not None

    async def open_sheets(self) -> list[int]:
        """The unsubmitted sheets of the judge's queue, in a random order."""
        queue = await self.request("queue", "GET", "/judge", (200,))
        if queue is None:
            return []
        sheets = [a for a, status in dict(QUEUE_ROW.findall(queue)).items() if status != "submitted"]  # handles
        self.rng.shuffle(sheets)
        return sheets

    async def open_sheet(self, assignment_id: int) -> tuple[int, str, dict[str, list[str]]] | None:
        """The sheet's version, CSRF token and each criterion's field with the values it takes."""
        page = await self.request("sheet page", "GET", f"/judge/sheets/{assignment_id}", (200,))
        version, token = page and VERSION.search(page), page and TOKEN.search(page)
        if not (version and token):
            return None
        fields = {name: STEPS for name in SCORE_FIELD.findall(page)}
        for name, value in GRADE_CHOICE.findall(page):
            fields.setdefault(name, []).append(value)
        return int(version.group(1) or version.group(2)), token.group(1), fields

    async def autosave(self, assignment_id: int, version: int, token: str,
                       fields: dict[str, list[str]]) -> int | None:
        """One autosave; the new version, or None after an error."""
        values = {name: self.rng.choice(choices) for name, choices in fields.items()}
        self.writes.unanswered.setdefault(assignment_id, []).append(values)
        body = await self.request("autosave", "POST", f"/judge/sheets/{assignment_id}/draft", (200,),
                                  headers={"accept": "application/json"},
                                  data={"_csrf_token": token, "version": str(version), "comment": COMMENT,
                                        "familiarity": "familiar", **values})
        if body is None:
            return None
        self.writes.acknowledged[assignment_id] = values
        self.writes.unanswered[assignment_id] = []
        return int(re.search(r'"version":\s*(\d+)', body).group(1))

    async def submit(self, assignment_id: int, version: int, token: str) -> None:
        review = await self.request("submit", "POST", f"/judge/sheets/{assignment_id}/submit", (200,),
                                    data={"_csrf_token": token, "version": str(version), "comment": COMMENT,
                                          "familiarity": "familiar", **self.writes.acknowledged[assignment_id]})
        shown = review and VERSION.search(review)  # the confirmation page names the version it shows
        if shown:
            await self.request("confirm", "POST", f"/judge/sheets/{assignment_id}/confirm", (302, 303),
                               data={"_csrf_token": token, "version": shown.group(1) or shown.group(2)})

    async def steady(self, stop_at: float) -> None:
        """Score sheets as a judge does: autosave every 2-4 s, submit after 4-8 saves.

        Judges start at a random moment of the first autosave interval, as real judges are at
        different points of their work: not 300 queue pages in the same millisecond.
        """
        await asyncio.sleep(self.rng.uniform(0, 4))
        for assignment_id in await self.open_sheets():
            opened = time.monotonic() < stop_at and await self.open_sheet(assignment_id)
            if not opened:
                return
            version, token, fields = opened
            self.draft = assignment_id
            for _ in range(self.rng.randint(4, 8)):
                await asyncio.sleep(min(self.rng.uniform(2, 4), max(0.0, stop_at - time.monotonic())))
                if time.monotonic() >= stop_at:
                    return
                version = await self.autosave(assignment_id, version, token, fields)
                if version is None:
                    break  # the sheet's state is unknown after an error: go on with the next one
            else:
                await self.submit(assignment_id, version, token)
                self.draft = None

    async def saturate(self, stop_at: float) -> None:
        """Autosave one draft back to back until ``stop_at``."""
        sheets = [self.draft] if self.draft else await self.open_sheets()
        opened = sheets and await self.open_sheet(sheets[0])
        if not opened:
            return
        version, token, fields = opened
        while version is not None and time.monotonic() < stop_at:
            version = await self.autosave(sheets[0], version, token, fields)


async def run_phase(judges, phase, stop_at: float, ramp: float = 0.0) -> Stats:
    for judge in judges:
        judge.stats = Stats()
    cpu, started = time.process_time(), time.monotonic()

    async def one(index: int, judge: Judge):
        if ramp:
            await asyncio.sleep(ramp * index / len(judges))
        await phase(judge, stop_at)

    await asyncio.gather(*(one(i, judge) for i, judge in enumerate(judges)))
    stats = merge([judge.stats for judge in judges])
    stats.elapsed, stats.cpu = time.monotonic() - started, time.process_time() - cpu
    return stats


async def client_process_main(base: str, usernames: list[str], password: str, seed: int, args: dict,
                              barrier) -> tuple[dict[str, Stats], Writes]:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=len(usernames))
    rng, writes = random.Random(seed), Writes()
    judges = [Judge(name, password, base, connector, random.Random(rng.random()), writes) for name in usernames]
    results: dict[str, Stats] = {}

    async def together() -> float:
        await asyncio.to_thread(barrier.wait)
        return time.monotonic()

    async def log_in(judge, _stop_at):
        await judge.log_in()

    start = await together()
    # each process spreads its share of the judges over the whole ramp
    results["logins"] = await run_phase(judges, log_in, start + args["ramp"] + TIMEOUT, ramp=args["ramp"])
    start = await together()
    results["steady"] = await run_phase(judges, Judge.steady, start + args["seconds"])
    if args["saturate"]:
        start = await together()
        results["saturation"] = await run_phase(judges, Judge.saturate, start + args["saturate"])
    for judge in judges:
        await judge.http.close()
    await connector.close()
    return results, writes


def client_process(base, usernames, password, seed, args, barrier, queue) -> None:
    queue.put(asyncio.run(client_process_main(base, usernames, password, seed, args, barrier)))


def gather(processes, queue, timeout: float) -> list:
    """Start the client processes and collect one result from each (a crashed one makes the wait
    time out; the others are ended)."""
    for process in processes:
        process.start()
    try:
        return [queue.get(timeout=timeout) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.terminate()


def drive_judges(base: str, usernames: list[str], password: str, *, clients: int, ramp: float, seconds: float,
                 saturate: float) -> tuple[dict[str, Stats], Writes]:
    """Run the judge phases from ``clients`` processes; their figures merged."""
    ctx = mp.get_context("spawn")
    clients = max(1, min(clients, len(usernames)))
    deadline = ramp + 2 * TIMEOUT + seconds + saturate + 120
    barrier, queue = ctx.Barrier(clients, timeout=deadline), ctx.Queue()
    args = {"ramp": ramp, "seconds": seconds, "saturate": saturate}
    # judge i goes to process i % clients
    processes = [ctx.Process(target=client_process, args=(base, usernames[i::clients], password, 1000 + i, args,
                                                          barrier, queue)) for i in range(clients)]
    outputs = gather(processes, queue, deadline)
    phases = {phase: merge([out[0][phase] for out in outputs]) for phase in outputs[0][0]}
    writes = Writes()
    for _, part in outputs:  # each process has its own judges, so their assignments are disjoint
        writes.acknowledged.update(part.acknowledged)
        writes.unanswered.update(part.unanswered)
    return phases, writes


# ---------------------------------------------------------------------------- bare endpoint

async def bare_process_main(base: str, connections: int, seconds: float, barrier, path: str = "/bare") -> Stats:
    import aiohttp

    stats = Stats()
    form = {"_csrf_token": "x", "comment": COMMENT, "familiarity": "familiar",
            **{f"score-{i}": "5" for i in range(4)}}
    async with aiohttp.ClientSession(base, connector=aiohttp.TCPConnector(limit=connections),
                                     timeout=aiohttp.ClientTimeout(total=TIMEOUT)) as http:
        async def one() -> None:
            version = 0
            while time.monotonic() < stop_at:
                started = time.perf_counter()
                try:
                    async with http.post(path, data={**form, "version": str(version)}) as response:
                        body = await response.json()
                except Exception as exc:  # noqa: BLE001
                    stats.errors.append(f"bare: {_cause(exc)}")
                    return
                stats.add("bare", (time.perf_counter() - started) * 1000)
                if response.status != 200:
                    stats.errors.append(f"bare: HTTP {response.status}")
                    return
                version = body["version"]

        await asyncio.to_thread(barrier.wait)
        cpu, started = time.process_time(), time.monotonic()
        stop_at = started + seconds
        await asyncio.gather(*(one() for _ in range(connections)))
    stats.elapsed, stats.cpu = time.monotonic() - started, time.process_time() - cpu
    return stats


def bare_process(base, connections, seconds, barrier, queue, path="/bare") -> None:
    queue.put(asyncio.run(bare_process_main(base, connections, seconds, barrier, path)))


def drive_bare(base: str, connections: int, *, clients: int, seconds: float, path: str = "/bare") -> Stats:
    ctx = mp.get_context("spawn")
    barrier, queue = ctx.Barrier(clients, timeout=seconds + 60), ctx.Queue()
    shares = [connections // clients + (i < connections % clients) for i in range(clients)]
    processes = [ctx.Process(target=bare_process, args=(base, share, seconds, barrier, queue, path))
                 for share in shares]
    return merge(gather(processes, queue, seconds + TIMEOUT + 60))


# ---------------------------------------------------------------------------------- database

def prepare_database(url: str, n_judges: int) -> tuple[str, list[str]]:
    """Demo edition plus enough judges (with assignments and undertakings) to reach ``n_judges``."""
    from judging import audit
    from judging.accounts.models import Role, User
    from judging.db import create_db_engine, make_session_factory, upgrade
    from judging.demo import DEMO_PASSWORDS, load_demo
    from judging.editions.models import Edition, Round, RoundKind
    from judging.parts import assemble
    from judging.settings import Settings
    from judging.nominations.models import BlindCode
    from judging.panels.models import Assignment, Expert
    from judging.scoring.service import accept_undertaking

    engine = create_db_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    rng = random.Random(7)
    # The demo runs as a process of the product does: parts and settings installed.
    assemble().install(Settings(database_url=url, var_dir=Path(tempfile.mkdtemp(prefix="judging-load-")),
                                jobs_backend="immediate"))
    with factory() as session:
        load_demo(session, seed=2026)
        session.commit()
        template = session.scalar(select(User).where(User.username == "judge01"))
        preliminary = session.scalar(select(Round).where(Round.kind == RoundKind.PRELIMINARY).order_by(Round.id))
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
                     object_type="round", object_id=preliminary.id, data={"judges": max(0, n_judges - 60)})
        edition = session.scalar(select(Edition).order_by(Edition.id))  # the 2026 demo, made first
        for user in session.scalars(select(User).where(User.role == Role.JUDGE)).all():
            accept_undertaking(session, judge=user, edition=edition)
        session.commit()
        usernames = session.scalars(select(User.username).where(User.role == Role.JUDGE)
                                    .order_by(User.username)).all()[:n_judges]
    engine.dispose()
    return DEMO_PASSWORDS["judge"], usernames


def check_database(url: str, writes: Writes, key_file: Path | None = None) -> tuple[int, int, object]:
    """Count acknowledged sheets whose stored values are neither the last acknowledged save nor a
    later one that was sent but never answered; then verify the audit log (sealed by the server's
    sealer, whose key is ``key_file``: every event must be in a signed head)."""
    from judging import audit
    from judging.db import create_db_engine, make_session_factory
    from judging.panels.models import Assignment
    from judging.scoring.models import CriterionScore, ScoreSheet

    engine = create_db_engine(url)
    lost = 0
    with make_session_factory(engine)() as session:
        for assignment_id, values in writes.acknowledged.items():
            sheet = session.scalar(select(ScoreSheet).join(Assignment, Assignment.id == ScoreSheet.assignment_id)
                                   .where(Assignment.handle == assignment_id))
            stored = {} if sheet is None else {
                f"score-{row.criterion_id}": row.value for row in
                session.scalars(select(CriterionScore).where(CriterionScore.sheet_id == sheet.id))}
            candidates = [values, *writes.unanswered.get(assignment_id, [])]
            if not any(all(stored.get(name) == Decimal(value) for name, value in candidate.items())
                       for candidate in candidates):
                lost += 1
    public_key = None
    if key_file is not None and key_file.exists():
        signer = audit.Signer.from_file(key_file)
        public_key = signer.public_key
        # The server sealed while it ran, at most half a second behind; seal what it left, as a restart would.
        while True:
            with make_session_factory(engine)() as session:
                result = audit.seal(session, signer=signer)
                session.commit()
            if result is None or result.sealed < 5000:
                break
    with make_session_factory(engine)() as session:
        verification = audit.verify(session, public_key=public_key)
    engine.dispose()
    return len(writes.acknowledged), lost, verification


# ------------------------------------------------------------------------------------ servers

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(args: list[str], env: dict[str, str], health: str, log: Path) -> subprocess.Popen:
    # The log goes to a file: a pipe nobody reads would block the server once its buffer is full.
    with log.open("ab") as output:  # its own process group: stop() ends the workers with it
        process = subprocess.Popen(args, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 180  # two workers starting on a loaded, shared 2-core machine take a while
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(health, timeout=1)
            return process
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"server exited; see {log}") from None
            time.sleep(0.2)
    stop(process)
    raise RuntimeError(f"server did not start; see {log}")


def stop(process: subprocess.Popen) -> None:
    """Stop the server and its worker processes (a worker outliving a killed supervisor would keep
    serving stuck requests and skew the next measurement)."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        print("  (the server did not stop within 20 s: killed)")
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def server_problems(log: Path) -> list[str]:
    """Warnings, errors and 5xx answers in a server log."""
    lines = log.read_text(errors="replace").splitlines()
    return [line for line in lines if line.startswith(("WARNING", "ERROR", "CRITICAL", "Traceback"))
            or re.search(r'HTTP/1\.1" 5\d\d', line)]


# --------------------------------------------------------------------------------------- main

@dataclass
class Outcome:
    """The figures a run produced (the printed report, as numbers, for the test suite)."""

    phases: dict[str, Stats]
    checked: int
    lost: int
    chain_valid: bool
    server_problems: list[str]
    bare: Stats | None = None
    yardsticks: dict = field(default_factory=dict)


# The same stack (Litestar, uvicorn, the workers, SQLAlchemy, psycopg, the pool, this database), same
# connections: the form alone, one durable insert + commit, one hash-chained insert under one lock.
YARDSTICKS = [("/bare", "bare endpoint (same form, no database)"),
              ("/plain", "yardstick: one plain durable insert + commit"),
              ("/chained", "yardstick: one hash-chained insert under one advisory lock + commit")]


def run(url: str, *, judges: int, ramp: float, seconds: float, saturate: float, workers: int, clients: int,
        folder: Path) -> Outcome:
    """The whole load run against the (empty) database at ``url``; prints the report as it goes."""
    started = time.monotonic()
    password, usernames = prepare_database(url, judges)
    print(f"database: demo edition + {len(usernames)} judges, set up in {time.monotonic() - started:.1f} s; "
          f"{workers} server workers, {clients} client processes, {os.cpu_count()} CPUs (shared)")
    env = {**os.environ, "JUDGING_DATABASE_URL": url, "JUDGING_EMBEDDED_WORKER": "0",
           "JUDGING_VAR_DIR": str(folder / "var"), "JUDGING_SECRET_KEY": "load-test-secret"}
    port, log = free_port(), folder / "serve.log"
    server = start_server([str(Path(sys.executable).parent / "judging"), "serve", "--workers", str(workers),
                           "--port", str(port)], env, f"http://127.0.0.1:{port}/healthz", log)
    try:
        phases, writes = drive_judges(f"http://127.0.0.1:{port}", usernames, password, clients=clients, ramp=ramp,
                                      seconds=seconds, saturate=saturate)
    finally:
        stop(server)
    report(f"logins ({len(usernames)} judges over {ramp:.0f} s)", phases["logins"], ("login",))
    report("steady state (autosave every 2-4 s, submit after 4-8)", phases["steady"])
    if "saturation" in phases:
        report("saturation, app (autosaves back to back)", phases["saturation"], ("autosave",))
    checked, lost, verification = check_database(url, writes, folder / "var" / "audit-signing.key")
    problems = server_problems(log)
    print(f"acknowledged sheets checked: {checked}; lost writes: {lost}; audit log "
          f"{'valid' if verification.valid else 'BROKEN'} ({verification.length} events sealed in "
          f"{verification.heads} signed heads, {verification.unsealed} not sealed); "
          f"server log: {len(problems)} warnings/errors/5xx ({log})")
    for line in problems[:5]:
        print("  server:", line)
    outcome = Outcome(phases, checked, lost, verification.valid and verification.unsealed == 0, problems)
    if saturate:
        postgres = url.startswith("postgresql")
        bare_port, bare_log = free_port(), folder / "bare.log"
        bare_server = start_server([sys.executable, "-m", "uvicorn", "bare_app:app", "--app-dir",
                                    str(REPO / "benchmarks"), "--workers", str(workers), "--port", str(bare_port),
                                    "--timeout-keep-alive", "30"],
                                   {**os.environ, "JUDGING_BENCH_YARDSTICK_URL": url if postgres else ""},
                                   f"http://127.0.0.1:{bare_port}/schema", bare_log)
        rates = {}
        try:
            for path, label in YARDSTICKS if postgres else YARDSTICKS[:1]:
                stats = drive_bare(f"http://127.0.0.1:{bare_port}", len(usernames), clients=clients,
                                   seconds=saturate, path=path)
                outcome.yardsticks[path] = stats
                rates[path] = report(f"saturation, {label}", stats)
        finally:
            stop(bare_server)
            if postgres:  # the yardsticks' tables are not the app's: leave the database as it was given
                engine = create_engine(url)
                with engine.begin() as connection:
                    connection.execute(text("DROP TABLE IF EXISTS yardstick_plain, yardstick_chained"))
                engine.dispose()
        outcome.bare = outcome.yardsticks["/bare"]
        app_rate = phases["saturation"].count(("autosave",)) / phases["saturation"].elapsed
        if not postgres:  # the yardsticks' advisory lock and pool sizes are PostgreSQL's
            print(f"autosave throughput: app {app_rate:.0f}/s vs bare {rates['/bare']:.0f}/s")
            return outcome
        print(f"autosave throughput: app {app_rate:.0f}/s; vs plain durable insert {rates['/plain']:.0f}/s = "
              f"{app_rate / rates['/plain']:.0%} (target >= 50%); vs hash-chained insert under one lock "
              f"{rates['/chained']:.0f}/s = {app_rate / rates['/chained']:.0%}; vs bare form endpoint "
              f"{rates['/bare']:.0f}/s = {app_rate / rates['/bare']:.0%}; load average "
              f"{os.getloadavg()[0]:.1f} (machine shared)")
    return outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--judges", type=int, default=300)
    parser.add_argument("--ramp-seconds", type=float, default=30, help="judges log in evenly over this time")
    parser.add_argument("--seconds", type=float, default=60, help="steady state")
    parser.add_argument("--saturate-seconds", type=float, default=15, help="0: no saturation phase")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers of each server")
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--database-url", help="an empty database to use (default: a temporary PostgreSQL one)")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="judging-load-"))
    with benchmark_database(args.database_url, prefix="judging_load") as url:
        run(url, judges=args.judges, ramp=args.ramp_seconds, seconds=args.seconds, saturate=args.saturate_seconds,
            workers=args.workers, clients=args.clients, folder=folder)

if __name__ == "__main__":
    main()
