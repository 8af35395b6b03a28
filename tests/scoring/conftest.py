"""Fixtures of the scoring tests.

Every test here starts from the demo edition. Loading it takes seconds, so it is loaded once per
backend into a template (an SQLite file that is copied, a PostgreSQL database used as
``CREATE DATABASE ... TEMPLATE``), and ``demo`` only names the accounts.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from conftest import BACKENDS, POSTGRES_URL, _worker
from helpers import login
from judging.db import create_db_engine, make_session_factory, upgrade
from judging.demo import DEMO_PASSWORDS
from scoring.sheets_helpers import open_items


def _load_demo(url: str) -> None:
    from judging.demo import load_demo

    engine = create_db_engine(url)
    upgrade(engine)
    with make_session_factory(engine)() as session:
        load_demo(session, seed=2026)
        session.commit()
    engine.dispose()


@pytest.fixture(scope="session")
def demo_sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo-template") / "demo.sqlite3"
    _load_demo(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def demo_postgres_template():
    if not POSTGRES_URL:
        pytest.skip("JUDGING_TEST_POSTGRES_URL is not set")
    base = make_url(POSTGRES_URL)
    name = f"{base.database}_scoring_tpl_{_worker()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    _load_demo(base.set(database=name).render_as_string(hide_password=False))
    yield admin, base, name
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path):
    """A database holding the demo edition, fresh for each test (overrides the empty one)."""
    if request.param == "sqlite":
        path = tmp_path / "judging.sqlite3"
        shutil.copy(request.getfixturevalue("demo_sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    admin, base, template = request.getfixturevalue("demo_postgres_template")
    name = f"{base.database}_scoring_{_worker()}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def demo(db_url):
    """The demo is already in the database (see ``db_url``)."""
    return None


@pytest.fixture
def judge(client, demo, session_factory):
    """judge01 logged in (the demo has it accept the undertaking) and one of its open items."""
    login(client, "judge01", DEMO_PASSWORDS["judge"])
    return open_items(session_factory, "judge01")[0]
