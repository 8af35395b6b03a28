"""Factories for the integrity part's page tests: a small edition with a pool to draw from and users
who log in through the real form; reads that end their transaction so the app is never kept waiting."""

from __future__ import annotations

import datetime as dt

from helpers import csrf_token, login
from results.factories import ORGANIZER, advance_all, make_small_edition
from sqlalchemy import select

from judging.accounts.models import Role, User
from judging.accounts.passwords import hash_password
from judging.editions.models import Round
from judging.panels.models import Assignment, Conflict, ConflictSource, Expert
from judging.panels.pool_models import ExpertDraw
from judging.results import service as results
from judging.scoring.models import ScoreSheet

PASSWORD = "pw-123456789"
DESIGN = [(n, j, 5 + (n + j) % 4) for n in range(4) for j in range(3)]


def make_site(db) -> dict:
    """A small edition (4 nominations), a pool of 6 机械 and 4 电气+机械 experts (one conflicted with a
    nomination, one at its load), and an organizer, an auditor and a judge who can log in."""
    made = make_small_edition(db, DESIGN)
    advance_all(db, made)
    users = {role: User(username=f"site-{role.value}", display_name=name, role=role,
                        password_hash=hash_password(PASSWORD))
             for role, name in ((Role.ORGANIZER, "组织者王敏"), (Role.AUDITOR, "监督员李强"), (Role.JUDGE, "专家赵磊"))}
    db.add_all(users.values())
    pool = [Expert(name=f"机械专家{i}", employer=f"机械单位{i}", city="无锡", fields=["机械"]) for i in range(6)]
    pool += [Expert(name=f"电气专家{i}", employer=f"电气单位{i}", city="常州", fields=["电气", "机械"])
             for i in range(4)]
    pool[0].employer = made["nominations"][0].identity.employer
    pool[1].max_load = 2
    db.add_all(pool)
    db.commit()
    site = {"round": made["final"].id, "category": made["category"].id, "pool": [e.id for e in pool],
            "judges": [e.id for e in made["experts"]], "users": {r.value: u.id for r, u in users.items()}}
    site["page"] = f"/integrity/draws/rounds/{site['round']}/categories/{site['category']}"
    db.close()  # no session of the test may hold SQLite's lock while the app writes
    return site


def as_user(client, role: str) -> None:
    client.cookies.clear()
    assert login(client, f"site-{role}", PASSWORD).status_code in (302, 303)


def post(client, url: str, page: str, **data):
    return client.post(url, data={"_csrf_token": csrf_token(client, page), **data}, follow_redirects=False)


def read(db, query):
    """Run ``query(db)`` and end the transaction, so no lock of the test's holds up the app (SQLite)."""
    db.expire_all()
    try:
        return query(db)
    finally:
        db.rollback()


def draws_in(db) -> list[ExpertDraw]:
    """The draws, detached, as they are now."""
    def query(session):
        found = list(session.scalars(select(ExpertDraw).order_by(ExpertDraw.id)))
        session.expunge_all()
        return found
    return read(db, query)


DEADLINE = dt.datetime(2030, 6, 30, 16, 0, tzinfo=dt.UTC)


def give_a_history(db, site: dict) -> int:
    """Judge 0 of the small edition: 4 sheets submitted, one after the deadline and one reopened, a
    declared conflict, a withdrawn assignment in the final round, and an approved run. Returns the id."""
    expert_id = site["judges"][0]
    preliminary = db.scalar(select(Round).where(Round.id != site["round"]))
    preliminary.deadline_at = DEADLINE
    sheets = db.scalars(select(ScoreSheet).join(Assignment, Assignment.id == ScoreSheet.assignment_id)
                        .where(Assignment.expert_id == expert_id).order_by(ScoreSheet.id)).all()
    for i, sheet in enumerate(sheets):
        sheet.submitted_at = DEADLINE + dt.timedelta(hours=-48 if i < 3 else 5)
    sheets[1].reopened_at = DEADLINE - dt.timedelta(days=3)
    nominations = db.scalars(select(Assignment.nomination_id).where(Assignment.expert_id == expert_id)
                             .order_by(Assignment.nomination_id)).all()
    db.add(Conflict(expert_id=expert_id, nomination_id=nominations[0], source=ConflictSource.DECLARED,
                    reason="曾参与该项目的前期论证"))
    db.add(Assignment(round_id=site["round"], nomination_id=nominations[1], expert_id=expert_id,
                      withdrawn_at=DEADLINE))
    db.flush()
    run = results.create_run(db, round_id=preliminary.id, category_id=site["category"], method="additive", reps=20,
                             by=ORGANIZER)
    results.approve_run(db, run=run, by=ORGANIZER)
    db.commit()
    db.close()
    return expert_id
