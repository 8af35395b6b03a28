"""A database reader learns nothing of how a member voted: the forensic test of issue 15.

Two worlds start from the same bytes (a meeting set up, the roll call taken) and then differ only in who
chose what: member 1 agrees on the first nomination and disagrees on the second, member 2 the other
way round (in the second world, the reverse); three more members vote alike in both. Then everything a
reader of the data files could read is compared, with times and random values (keys, ciphertexts,
receipts, handles, share keys) masked:

- SQLite: the main file and its WAL, replayed frame by frame (the WAL parsed here), every table dumped
  at every commit the WAL holds (autocheckpoint off, so the WAL keeps every page version);
- PostgreSQL: every heap tuple of every table, dead versions included, read with ``pageinspect``
  (autovacuum off on these tables, so nothing is pruned away), and a ``pg_dump`` of each database.

The worlds must be indistinguishable. Plaintext counters updated by each ballot would make the states
after member 1's ballot differ, so this test fails if they come back.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import sqlite3
import struct
import subprocess
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from judging.db import Base, create_db_engine, make_session_factory
from judging.meetings import service
from judging.meetings.models import Meeting
from judging.accounts import add_user
from tests.meetings.factories import (
    PASSWORD, AFTER, DURING, OPENS, by_handle, make_meeting, make_shares, make_world, roll_call, user_of,
)
from tests.results.factories import ORGANIZER

MASK = "<masked>"
TIME = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(\+\d{2}(:\d{2})?|Z)?")
# Random values: hex of 16+ digits (handles, receipts, n, ciphertexts, digests) and base64 of 40+ (sealed
# key, wrapped shares). Counts are short numbers and are never masked.
RANDOM = re.compile(r"[0-9a-f]{16,}(\.[0-9a-f]{16,})*|[A-Za-z0-9+/]{40,}={0,2}|\d{60,}(\.\d{60,})*")


def _mask(value):
    if isinstance(value, bytes):
        try:
            value = value.decode()
        except UnicodeDecodeError:
            return value
    if isinstance(value, str):
        return RANDOM.sub(MASK, TIME.sub(MASK, value))
    if isinstance(value, dt.datetime):
        return MASK
    return value


# ---------------------------------------------------------------------- the two worlds


def _set_up(session_factory) -> dict:
    """What both worlds share: a meeting on two nominations, five members present, an auditor."""
    with session_factory() as db:
        world = make_world(db, n_nominations=2, n_members=5)
        meeting = make_meeting(db, world)
        roll_call(db, meeting, 5)
        add_user(db, username="inspector", password=PASSWORD, role="auditor", by=ORGANIZER)
        db.commit()
        return {"meeting_id": meeting.id, "nominations": [n.id for n in world["nominations"]],
                "experts": [e.id for e in world["members"]]}


def _vote(session_factory, base: dict, *, swap: bool) -> None:
    """Shares, opening, five ballots and the tally, each in its own transaction as the pages do it."""
    from judging.panels.models import Expert

    first, second = base["nominations"]
    one, two = ("agree", "disagree") if not swap else ("disagree", "agree")
    ballots = [{first: one, second: two}, {first: two, second: one}] + [{first: "agree", second: "abstain"}] * 3
    with session_factory() as db:
        meeting = db.get(Meeting, base["meeting_id"])
        codes = make_shares(db, meeting, auditor_username="inspector")
        db.commit()
    with session_factory() as db:
        service.open_voting(db, meeting=db.get(Meeting, base["meeting_id"]), by=ORGANIZER, now=OPENS)
        db.commit()
    for expert_id, choices in zip(base["experts"], ballots):
        with session_factory() as db:
            meeting = db.get(Meeting, base["meeting_id"])
            service.cast_ballot(db, meeting=meeting, user=user_of(db, db.get(Expert, expert_id)), now=DURING,
                                choices=by_handle(meeting, choices))
            db.commit()
    with session_factory() as db:
        meeting = db.get(Meeting, base["meeting_id"])
        service.close_voting(db, meeting=meeting, by=ORGANIZER, now=DURING)
        db.commit()
    with session_factory() as db:
        meeting = db.get(Meeting, base["meeting_id"])
        service.tally(db, meeting=meeting, by=ORGANIZER, now=AFTER, **codes)
        db.commit()
        assert [(r.agree, r.disagree, r.abstain) for r in service.slot_rows(meeting)] == [(4, 1, 0), (1, 1, 3)]


# ---------------------------------------------------------------------- SQLite: the file and its WAL


def _wal_commits(db_bytes: bytes, wal: bytes) -> list[bytes]:
    """The database as it stood at each commit in the WAL, rebuilt by applying the WAL's frames in order
    (format: sqlite.org/fileformat2.html#walformat): a 32-byte header, then frames of a 24-byte header
    (page number, database size in pages after a commit, else 0; the two salts) and one page."""
    magic, _version, page_size, _seq, salt1, salt2 = struct.unpack(">IIIIII", wal[:24])
    assert magic in (0x377F0682, 0x377F0683), "not a WAL file"
    pages = bytearray(db_bytes)
    states, offset = [], 32
    while offset + 24 + page_size <= len(wal):
        number, size, s1, s2 = struct.unpack(">IIII", wal[offset:offset + 16])
        if (s1, s2) != (salt1, salt2):
            break  # left over from before the WAL was last reset
        page = wal[offset + 24:offset + 24 + page_size]
        start = (number - 1) * page_size
        if len(pages) < start + page_size:
            pages.extend(b"\0" * (start + page_size - len(pages)))
        pages[start:start + page_size] = page
        if size:
            del pages[size * page_size:]
            states.append(bytes(pages))
        offset += 24 + page_size
    return states


def _sqlite_tables(content: bytes, scratch: Path) -> dict[str, list]:
    scratch.write_bytes(content)
    connection = sqlite3.connect(scratch)
    try:
        names = [r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {name: sorted((repr(tuple(_mask(v) for v in row)) for row in connection.execute(f'SELECT * FROM "{name}"')))
                for name in names}
    finally:
        connection.close()


def _sqlite_world(base_file: Path, folder: Path, *, swap: bool, base: dict) -> list[dict]:
    path = folder / f"world-{int(swap)}.sqlite3"
    shutil.copy(base_file, path)
    engine = create_db_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _keep_every_frame(dbapi_connection, _record):  # the WAL keeps every page version until the end
        dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")

    keeper = engine.connect()  # while a connection is open, SQLite neither checkpoints nor deletes the WAL
    try:
        _vote(make_session_factory(engine), base, swap=swap)
        db_bytes, wal = path.read_bytes(), Path(f"{path}-wal").read_bytes()
    finally:
        keeper.close()
        engine.dispose()
    states = _wal_commits(db_bytes, wal)
    assert len(states) == 9, "the WAL should hold every commit: shares, opening, five ballots, closing, tally"
    return [_sqlite_tables(state, folder / "replay.sqlite3") for state in states]


def _sqlite_case(db_url: str, tmp_path: Path) -> None:
    path = Path(make_url(db_url).database)
    engine = create_db_engine(db_url)
    base = _set_up(make_session_factory(engine))
    engine.dispose()
    connection = sqlite3.connect(path)  # the set-up folded into the main file: both worlds start from its bytes
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    worlds = [_sqlite_world(path, tmp_path, swap=swap, base=base) for swap in (False, True)]
    assert len(worlds[0]) == len(worlds[1])
    for index, (first, second) in enumerate(zip(*worlds)):
        for table in first:
            assert first[table] == second[table], f"commit {index}, table {table}"


# ---------------------------------------------------------------------- PostgreSQL: dead tuples and pg_dump


def _varlena(raw: bytes):
    """A text-like attribute's content from its on-disk bytes (1-byte or 4-byte header; compressed or
    out-of-line values are named, not opened)."""
    first = raw[0]
    if first == 0x01:
        return "<toasted>"
    if first & 0x01:
        return raw[1:first >> 1]
    if first & 0x03 == 0x02:
        return "<compressed>"
    return raw[4:int.from_bytes(raw[:4], "little") >> 2]


def _heap(connection, table: str) -> list:
    """Every tuple in the table's heap, live or dead, decoded by column type and masked, in page order."""
    columns = connection.execute(text(
        "SELECT format_type(atttypid, atttypmod), attlen FROM pg_attribute "
        "WHERE attrelid = CAST(:t AS regclass) AND attnum > 0 ORDER BY attnum"), {"t": table}).all()
    blocks = connection.scalar(text("SELECT pg_relation_size(CAST(:t AS regclass)) / current_setting('block_size')::int"),
                               {"t": table})
    out = []
    for block in range(blocks):
        rows = connection.execute(text(
            "SELECT lp_flags, t_xmax <> 0, t_attrs FROM heap_page_item_attrs(get_raw_page(:t, :b), "
            "CAST(:t AS regclass))"), {"t": table, "b": block}).all()
        for flags, has_xmax, attrs in rows:
            values = []
            for (kind, length), raw in zip(columns, attrs or []):
                raw = bytes(raw) if raw is not None else None
                if raw is None:
                    values.append(None)
                elif kind.startswith("timestamp"):
                    values.append(MASK)
                elif length == -1:
                    values.append(_mask(_varlena(raw)))
                else:
                    values.append(raw.hex())
            out.append((flags, has_xmax, tuple(values)))
    return out


def _dump(url: str) -> str:
    parsed = make_url(url)
    result = subprocess.run(["pg_dump", "--no-owner", "-h", parsed.host or "127.0.0.1", "-p", str(parsed.port or 5432),
                             "-U", parsed.username or "postgres", parsed.database],
                            capture_output=True, text=True, check=True)
    return "\n".join(_mask(line) for line in result.stdout.splitlines())


def _postgres_case(db_url: str) -> None:
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    server = make_url(db_url)
    engine = create_db_engine(db_url)
    base = _set_up(make_session_factory(engine))
    with engine.begin() as connection:
        for table in Base.metadata.sorted_tables:  # no vacuum may prune dead versions in one world only
            connection.execute(text(f'ALTER TABLE "{table.name}" SET (autovacuum_enabled = false)'))
    engine.dispose()
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    names = [f"{server.database}_w{i}_{uuid.uuid4().hex[:6]}" for i in (0, 1)]
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": server.database})
            for name in names:
                connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{server.database}"'))
        seen = []
        for name, swap in zip(names, (False, True)):
            url = server.set(database=name).render_as_string(hide_password=False)
            world = create_db_engine(url)
            _vote(make_session_factory(world), base, swap=swap)
            with world.begin() as connection:
                try:
                    connection.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
                except Exception as exc:  # noqa: BLE001
                    pytest.skip(f"pageinspect is not available on this server: {exc}")
            with world.connect() as connection:
                heaps = {t.name: _heap(connection, t.name) for t in Base.metadata.sorted_tables}
            world.dispose()
            seen.append((heaps, _dump(url)))
        (heaps0, dump0), (heaps1, dump1) = seen
        dead = sum(1 for rows in heaps0.values() for flags, has_xmax, _ in rows if has_xmax)
        assert dead > 0, "the heaps should hold dead row versions for this test to mean anything"
        for table in heaps0:
            assert heaps0[table] == heaps1[table], table
        assert dump0.splitlines() == dump1.splitlines()
    finally:
        with admin.connect() as connection:
            for name in names:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.backend_sensitive
@pytest.mark.slow
def test_two_meetings_differing_only_in_who_chose_what_look_the_same_to_a_database_reader(db_url, tmp_path):
    if db_url.startswith("sqlite"):
        _sqlite_case(db_url, tmp_path)
    else:
        _postgres_case(db_url)
