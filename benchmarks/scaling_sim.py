"""Simulate saves from N workers on each of M machines against one PostgreSQL, with the old global
chain lock and with lock-free appends and a sealer, to show which resource bounds the throughput.

Usage: python benchmarks/scaling_sim.py [--seconds 20] [--app-cpu-ms 6.5] [--db-cpu-ms 1.2] ...

A closed discrete-event model (no think time: saturation). A save is: Python work in its worker (the
worker is one process: one request's Python at a time, and the machine's cores are shared by its
workers), then its statements, each a network round trip plus PostgreSQL CPU (the database machine's
cores are shared by all), then the commit's WAL flush (group commit: one flush serves every commit
waiting for it). With the old design the part from the audit append to the end of the commit holds one
lock for the whole log: the lock's hold time is that part's length, including the time a descheduled
holder waits for a core. With the new design there is no such lock; one sealer (one process at a
time) chains the events in batches and its work is counted against the database's cores.

The defaults are this machine's measured figures (docs/scaling.md says where each comes from); every
one can be changed. The output is the saves/s of each (N, M) and the busiest resource.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import random
from dataclasses import dataclass, field


@dataclass
class Resource:
    """``capacity`` servers, FIFO; tracks busy time."""

    name: str
    capacity: int
    busy: int = 0
    queue: list = field(default_factory=list)
    busy_time: float = 0.0
    last: float = 0.0

    def account(self, now: float) -> None:
        self.busy_time += self.busy * (now - self.last)
        self.last = now


class Sim:
    def __init__(self) -> None:
        self.now, self.events, self.counter = 0.0, [], itertools.count()

    def at(self, delay: float, callback) -> None:
        heapq.heappush(self.events, (self.now + delay, next(self.counter), callback))

    def acquire(self, resource: Resource, then) -> None:
        resource.account(self.now)
        if resource.busy < resource.capacity:
            resource.busy += 1
            then()
        else:
            resource.queue.append(then)

    def release(self, resource: Resource) -> None:
        resource.account(self.now)
        if resource.queue:
            self.at(0, resource.queue.pop(0))
        else:
            resource.busy -= 1

    def hold(self, resource: Resource, duration: float, then) -> None:
        """Use one server of ``resource`` for ``duration`` seconds, then continue."""
        def start():
            self.at(duration, lambda: (self.release(resource), then()))
        self.acquire(resource, start)

    def run(self, until: float) -> None:
        while self.events and self.events[0][0] <= until:
            self.now, _, callback = heapq.heappop(self.events)
            callback()


@dataclass(frozen=True)
class Params:
    app_cpu: float       # s of worker Python per save, outside the lock
    app_cpu_locked: float  # s of worker Python per save between the append and the commit (old design)
    db_cpu: float        # s of PostgreSQL CPU per save (all its statements and the commit)
    statements: int      # round trips per save
    rtt: float           # s per round trip (loopback ~0.05 ms, LAN ~0.2 ms)
    locked_statements: int  # of those, how many run under the old lock (lock, head, insert, commit...)
    flush: float         # s per WAL flush (fdatasync)
    machine_cores: int
    db_cores: int
    sealer_cpu: float    # s of database CPU per sealed event (the sealer's UPDATE, in batches)


def simulate(p: Params, *, workers: int, machines: int, clients: int, seconds: float, locked: bool,
             seed: int = 1) -> tuple[float, dict[str, float]]:
    sim, rng = Sim(), random.Random(seed)
    db = Resource("database CPU", p.db_cores)
    lock = Resource("global chain lock", 1)
    wal = Resource("WAL flush", 1)
    cores = [Resource(f"machine {m} cores", p.machine_cores) for m in range(machines)]
    gils = [[Resource(f"worker {m}.{w}", 1) for w in range(workers)] for m in range(machines)]
    done = [0]
    jitter = lambda x: x * rng.uniform(0.8, 1.2)  # noqa: E731

    def python(m: int, w: int, seconds_: float, then) -> None:
        # A worker's Python needs its own interpreter and a core of its machine.
        sim.acquire(gils[m][w], lambda: sim.hold(cores[m], jitter(seconds_),
                                                   lambda: (sim.release(gils[m][w]), then())))

    def statements(n: int, then) -> None:
        if n == 0:
            return then()
        per = p.db_cpu / p.statements
        sim.at(p.rtt, lambda: sim.hold(db, jitter(per), lambda: statements(n - 1, then)))

    waiting: list = []

    def flush_done(served: list) -> None:
        sim.release(wal)
        for then in served:
            then()
        if waiting:
            start_flush()

    def start_flush() -> None:
        served = waiting[:]
        waiting.clear()
        sim.acquire(wal, lambda: sim.at(p.flush, lambda: flush_done(served)))

    def commit(then) -> None:
        # Group commit: one flush at a time, and it makes durable every commit waiting when it starts.
        waiting.append(then)
        if wal.busy == 0 and len(waiting) == 1:
            start_flush()

    def save(client: int) -> None:
        m = client % machines
        w = (client // machines) % workers
        unlocked = p.statements - (p.locked_statements if locked else 0)

        def finish():
            done[0] += 1
            sim.at(0, lambda: save(client))

        def tail():
            if not locked:
                return commit(finish)
            sim.acquire(lock, lambda: python(m, w, p.app_cpu_locked, lambda: statements(
                p.locked_statements, lambda: commit(lambda: (sim.release(lock), finish())))))

        python(m, w, p.app_cpu if locked else p.app_cpu + p.app_cpu_locked,
               lambda: statements(unlocked, tail))

    for client in range(clients):
        sim.at(rng.uniform(0, 0.01), lambda c=client: save(c))
    if not locked:  # the sealer: every 0.5 s, the events since, in one batch of database work
        sealed = [0]

        def seal():
            batch = done[0] - sealed[0]
            sealed[0] = done[0]
            sim.hold(db, batch * p.sealer_cpu, lambda: None)
            sim.at(0.5, seal)
        sim.at(0.5, seal)
    sim.run(seconds)
    busy = {}
    for resource in [db, lock, wal, *cores]:
        resource.account(seconds)
        busy[resource.name] = resource.busy_time / (seconds * resource.capacity)
    return done[0] / seconds, busy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=300)
    parser.add_argument("--app-cpu-ms", type=float, default=4.5)
    parser.add_argument("--app-cpu-locked-ms", type=float, default=2.0)
    parser.add_argument("--db-cpu-ms", type=float, default=1.2)
    parser.add_argument("--statements", type=int, default=7)
    parser.add_argument("--locked-statements", type=int, default=4)
    parser.add_argument("--rtt-ms", type=float, default=0.05)
    parser.add_argument("--flush-ms", type=float, default=0.11)
    parser.add_argument("--machine-cores", type=int, default=2)
    parser.add_argument("--db-cores", type=int, default=8)
    parser.add_argument("--sealer-cpu-ms", type=float, default=0.05)
    args = parser.parse_args()
    p = Params(args.app_cpu_ms / 1000, args.app_cpu_locked_ms / 1000, args.db_cpu_ms / 1000, args.statements,
               args.rtt_ms / 1000, args.locked_statements, args.flush_ms / 1000, args.machine_cores, args.db_cores,
               args.sealer_cpu_ms / 1000)
    print(f"{p}\n{args.clients} clients saving back to back, {args.seconds:.0f} s simulated per cell")
    print(f"{'workers x machines':<20}{'old: saves/s':>14}  {'busiest':<28}{'new: saves/s':>14}  busiest")
    for machines in (1, 2, 4, 8, 16, 32, 64):
        for workers in (2,):
            row = []
            for locked in (True, False):
                rate, busy = simulate(p, workers=workers, machines=machines, clients=args.clients,
                                      seconds=args.seconds, locked=locked)
                name, share = max(busy.items(), key=lambda item: item[1])
                row.append(f"{rate:>14.0f}  {name + f' {share:.0%}':<28}")
            print(f"{workers} x {machines:<16}" + "".join(row))


if __name__ == "__main__":
    main()
