"""Ballot secrecy: nothing an organizer or auditor can reach links a member to a vote.

The proof is a pair of worlds that differ only in which member voted which way: member 1 agrees on
the first nomination and disagrees on the second, member 2 the other way round (and in the second
world, the reverse). Every table of the schema, the audit events, every meeting page, the audit log
and the tally sheet must then be identical, up to wall-clock times, hashes that cover them and CSRF
tokens, none of which depends on a vote.
"""

from __future__ import annotations

import io
import json
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import DateTime, select, text

from helpers import login
from judging.accounts import add_user
from judging.accounts.passwords import hash_password
from judging.audit.models import AuditEvent
from judging.db import Base
from judging.db.base import UTCDateTime
from judging.meetings import service
from tests.meetings.factories import (
    AFTER, DURING, OPENS, PASSWORD, by_handle, make_meeting, make_shares, make_world, roll_call, user_of,
)
from tests.meetings.test_ballot_forensics import _mask
from tests.results.factories import ORGANIZER

MASKED = "<masked>"
TIME_TYPES = (DateTime, UTCDateTime)
TIME = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(\+00:00|Z)?")
HEX = re.compile(r"\b[0-9a-f]{12,64}\b…?")  # hashes, whole or cut short on the audit page
# Columns whose values are drawn at random or hash the clock, never a vote.
RANDOM_COLUMNS = {("audit_events", "hash"), ("audit_events", "prev_hash"), ("assignments", "handle")}
CSRF = re.compile(r'(name="_csrf_token" value=|"x-csrftoken": )"[^"]+"')


def _world(session_factory, *, swap: bool, password_hash: str) -> dict:
    with session_factory() as db:
        world = make_world(db, n_nominations=2, n_members=5, password_hash=password_hash)
        for username, role in (("secretary", "organizer"), ("inspector", "auditor")):
            add_user(db, username=username, password=PASSWORD, role=role, by=ORGANIZER, password_hash=password_hash)
        meeting = make_meeting(db, world)
        roll_call(db, meeting, 5)
        codes = make_shares(db, meeting, auditor_username="inspector")
        service.open_voting(db, meeting=meeting, by=ORGANIZER, now=OPENS)
        first, second = (n.id for n in world["nominations"])
        one, two = ("agree", "disagree") if not swap else ("disagree", "agree")
        ballots = [{first: one, second: two}, {first: two, second: one}] + [{first: "agree", second: "abstain"}] * 3
        for expert, choices in zip(world["members"], ballots):
            service.cast_ballot(db, meeting=meeting, user=user_of(db, expert), choices=by_handle(meeting, choices),
                                now=DURING)
        service.close_voting(db, meeting=meeting, by=ORGANIZER, now=DURING)
        service.tally(db, meeting=meeting, by=ORGANIZER, now=AFTER, **codes)
        db.commit()
        return {"meeting_id": meeting.id, "member": world["members"][0].user_id, "run_id": world["run"].id,
                "member_username": user_of(db, world["members"][0]).username}


def _dump(engine) -> dict[str, list]:
    """Every row of every table, ordered by key; times (which depend only on the clock) masked."""
    out = {}
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            rows = []
            for row in connection.execute(select(table).order_by(*table.primary_key.columns)).mappings():
                values = {}
                for column in table.columns:
                    value = row[column.name]
                    if isinstance(column.type, TIME_TYPES) or (table.name, column.name) in RANDOM_COLUMNS:
                        value = MASKED if value is not None else None
                    elif table.name == "audit_events" and column.name == "body":
                        record = json.loads(value)
                        record["at"] = MASKED
                        value = _mask(json.dumps(record, sort_keys=True))
                    else:  # keys, ciphertexts, receipts and handles are random, not votes
                        value = _mask(value)
                    values[column.name] = value
                rows.append(values)
            out[table.name] = sorted(rows, key=repr)
    return out


def _wipe(engine) -> None:
    """Back to an empty schema with identities restarting at 1, on either backend."""
    tables = Base.metadata.sorted_tables
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables)
                                    + " RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                connection.execute(table.delete())


def _normalize(body: str) -> str:
    return HEX.sub(MASKED, TIME.sub(MASKED, CSRF.sub(MASKED, body)))


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def _pages(client, made: dict) -> dict[str, str]:
    """What the organizer, the auditor and the member can read after the meeting."""
    meeting = made["meeting_id"]
    seen = {}
    for username, urls in (("secretary", ["/meetings", f"/meetings/{meeting}", f"/meetings/{meeting}/tally.pdf",
                                          f"/results/runs/{made['run_id']}"]),
                           ("inspector", ["/meetings", f"/meetings/{meeting}", f"/meetings/{meeting}/tally.pdf",
                                          "/auditor", "/auditor?page=2", "/auditor?page=3"]),
                           (made["member_username"], ["/judge/meetings", f"/judge/meetings/{meeting}"])):
        client.cookies.clear()
        assert login(client, username, PASSWORD).status_code in (302, 303)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            body = _pdf_text(response.content) if url.endswith(".pdf") else response.text
            seen[f"{username} {url}"] = _normalize(body)
    client.cookies.clear()
    return seen


@pytest.mark.backend_sensitive
def test_two_meetings_differing_only_in_who_voted_how_leave_identical_records(client, engine):
    password_hash = hash_password(PASSWORD)
    first = _world(client.app.state.session_factory, swap=False, password_hash=password_hash)
    stored_first = _dump(engine)
    pages_first = _pages(client, first)
    _wipe(engine)
    second = _world(client.app.state.session_factory, swap=True, password_hash=password_hash)
    stored_second = _dump(engine)
    pages_second = _pages(client, second)

    assert first == second
    for table in stored_first:
        assert stored_first[table] == stored_second[table], table
    assert pages_first.keys() == pages_second.keys()
    for key in pages_first:
        assert pages_first[key] == pages_second[key], key
    # The counts are there (the tally) — just not who gave them.
    rows = stored_first["meeting_nominations"]
    assert [(r["agree"], r["disagree"], r["abstain"]) for r in rows] == [(4, 1, 0), (1, 1, 3)]


def test_the_audit_log_records_that_each_member_voted_but_never_how(db):
    made = make_world(db, n_nominations=2, n_members=3)
    meeting = make_meeting(db, made)
    roll_call(db, meeting, 3)
    make_shares(db, meeting)
    service.open_voting(db, meeting=meeting, by=ORGANIZER, now=OPENS)
    for expert in made["members"]:
        service.cast_ballot(db, meeting=meeting, user=user_of(db, expert), now=DURING,
                            choices=by_handle(meeting, {n.id: "disagree" for n in made["nominations"]}))
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "meeting.ballot_cast")
                        .order_by(AuditEvent.seq)).all()
    assert [json.loads(e.body)["data"]["expert"] for e in events] == [e.id for e in made["members"]]
    assert all(set(json.loads(e.body)["data"]) == {"category_id", "member", "expert", "method"} for e in events)
    assert not [e for e in events if b"disagree" in e.body]
    # No column of the ballot's tables carries a time that could be lined up with those events.
    for table in ("meeting_members", "meeting_nominations", "meeting_ballots", "meeting_recusals"):
        assert not [c.name for c in Base.metadata.tables[table].columns if isinstance(c.type, TIME_TYPES)], table
