"""Shared fixtures: one database per backend (SQLite always, PostgreSQL when configured), clean per test;
the served app and headless Chromium; and the marks that sort tests into the layers of the test pyramid."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

# Before any judging import: cheap argon2 parameters (see judging.accounts.passwords).
os.environ.setdefault("JUDGING_PASSWORD_PROFILE", "cheapest")
os.environ.setdefault("JUDGING_JOBS_BACKEND", "immediate")

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from judging.db import Base, create_db_engine, make_session_factory, upgrade

REPO_ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("JUDGING_TEST_POSTGRES_URL")
# Every backend configured: the backend-sensitive tests (locks, transactions, races, migrations, backup)
# always run on each of them.
ALL_BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])
# The backends every other database test runs on: JUDGING_TEST_BACKENDS (comma-separated) narrows them,
# e.g. `make test-fast` runs those on SQLite only; unset, they run on every configured backend.
BACKENDS = [backend for backend in ALL_BACKENDS
            if backend in os.environ.get("JUDGING_TEST_BACKENDS", ",".join(ALL_BACKENDS)).split(",")]
# Which mark a test gets from a fixture it uses, directly or through other fixtures: the one place the
# layers are decided (`make test-fast` leaves out browser, served, cli and slow).
FIXTURE_MARKS = {"browser": "browser", "served": "served", "cli": "cli", "db_url": "db"}


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by these marks
def pytest_collection_modifyitems(items) -> None:
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        for fixture, mark in FIXTURE_MARKS.items():
            if fixture in used:
                item.add_marker(mark)


def _parametrized_by_hand(metafunc, name: str) -> bool:
    for mark in metafunc.definition.iter_markers("parametrize"):
        names = mark.args[0]
        if name in ([n.strip() for n in names.split(",")] if isinstance(names, str) else names):
            return True
    return False


def pytest_generate_tests(metafunc) -> None:
    """Each database test runs once per backend (see BACKENDS and ALL_BACKENDS).

    A browser test drives the pages' htmx flows in Chromium; the routes under them run on every backend in
    the HTTP tests (tests/test_authorization.py drives each one), so it runs on SQLite only unless it is
    marked backend_sensitive (the ballot, whose stored form is the point)."""
    if "db_url" in metafunc.fixturenames and not _parametrized_by_hand(metafunc, "db_url"):
        sensitive = metafunc.definition.get_closest_marker("backend_sensitive") is not None
        if sensitive:
            backends = ALL_BACKENDS
        elif "browser" in metafunc.fixturenames:
            backends = ["sqlite"]
        else:
            backends = BACKENDS or ["sqlite"]
        metafunc.parametrize("db_url", backends, indirect=True)


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated SQLite file, copied for each test (migrating every time would be slow)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = create_db_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh database per xdist worker on the configured server, migrated once."""
    if not POSTGRES_URL:
        pytest.skip("JUDGING_TEST_POSTGRES_URL is not set")
    base = make_url(POSTGRES_URL)
    name = f"{base.database}_{_worker()}_{uuid.uuid4().hex[:6]}"
    admin = admin_engine(base)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    engine = create_db_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as connection:
        # The worker's demo copy too (see _postgres_copy): left behind, one per worker and run would pile up.
        for database in (f"{name}_copy", name):
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    admin.dispose()


def admin_engine(url) -> Engine:
    """An engine for CREATE/DROP DATABASE that keeps no connection between uses: a test that ends every
    session on the worker's database (a restore, a forensic read) would leave a pooled one dead."""
    return create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)



def _load_demo(url: str) -> list:
    from judging.demo import load_demo, make_demo_documents

    engine = create_db_engine(url)
    with make_session_factory(engine)() as session:
        accounts = load_demo(session, seed=2026)
        session.commit()
    make_demo_documents(make_session_factory(engine))
    engine.dispose()
    return accounts


@pytest.fixture(scope="session")
def sqlite_demo_template(sqlite_template, tmp_path_factory) -> tuple[Path, list]:
    """A migrated SQLite file holding the demo edition, loaded once and copied for each test that asks."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    shutil.copy(sqlite_template, path)
    return path, _load_demo(f"sqlite:///{path}")


@pytest.fixture(scope="session")
def postgres_demo_template(postgres_url) -> Iterator[tuple[str, list]]:
    """A PostgreSQL database holding the demo edition, the template each demo test's database is made from."""
    base = make_url(postgres_url)
    name = f"{base.database}_demo"
    # Tests without the demo empty the worker's database before they run, not after: empty it here too,
    # or the demo would be loaded over whatever the last such test left.
    engine = create_db_engine(postgres_url)
    _truncate_postgres(engine)
    engine.dispose()
    admin = admin_engine(base)
    with admin.connect() as connection:
        # A template must have no other session: a job run by an earlier test keeps its worker's pooled
        # connection to this database (jobs.service caches a session factory per URL; pre-ping reconnects it).
        connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": base.database})
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{base.database}"'))
    accounts = _load_demo(base.set(database=name).render_as_string(hide_password=False))
    yield name, accounts
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _postgres_copy(postgres_url: str, template: str) -> str:
    """A fresh database made from ``template`` (PostgreSQL copies it file by file: much faster than loading)."""
    base = make_url(postgres_url)
    name = f"{base.database}_copy"
    admin = admin_engine(base)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _truncate_postgres(engine: Engine) -> None:
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        # A session an earlier test left idle in its transaction (a served app's or a job worker's) would
        # hold locks that TRUNCATE waits for forever: end those first (idle pooled connections hold none).
        connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                                "AND state LIKE 'idle in transaction%'"))
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def db_url(request, tmp_path) -> str:
    """The URL of a migrated database, empty or (for tests that use ``demo``) holding the demo edition;
    each test runs once per backend (pytest_generate_tests)."""
    wants_demo = "demo" in request.fixturenames
    if request.param == "sqlite":
        path = tmp_path / "judging.sqlite3"
        source = request.getfixturevalue("sqlite_demo_template")[0] if wants_demo \
            else request.getfixturevalue("sqlite_template")
        shutil.copy(source, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    if wants_demo:
        return _postgres_copy(url, request.getfixturevalue("postgres_demo_template")[0])
    engine = create_db_engine(url)
    _truncate_postgres(engine)
    engine.dispose()
    return url


@pytest.fixture
def engine(db_url) -> Iterator[Engine]:
    engine = create_db_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine):
    return make_session_factory(engine)


@pytest.fixture
def db(session_factory) -> Iterator[Session]:
    session = session_factory()
    yield session
    session.rollback()
    session.close()


@pytest.fixture
def demo(request, db_url):
    """The demo edition in the test's database (see ``db_url``); returns its accounts."""
    if db_url.startswith("sqlite"):
        return request.getfixturevalue("sqlite_demo_template")[1]
    return request.getfixturevalue("postgres_demo_template")[1]


def _install_parts(tmp_path_factory):
    from judging.parts import assemble
    from judging.settings import Settings

    registry = assemble()
    registry.install(Settings(var_dir=tmp_path_factory.getbasetemp(), jobs_backend="immediate"))
    return registry


@pytest.fixture(scope="session", autouse=True)
def parts_for_wider_fixtures(tmp_path_factory):
    """Module- and session-scoped fixtures (a demo built once per module) run before any test's own
    fixtures, so the parts are installed once for the whole session too."""
    return _install_parts(tmp_path_factory)


@pytest.fixture(autouse=True)
def installed_parts(tmp_path_factory):
    """Every test runs with the parts installed as a process of the product does (stage checks, job
    handlers, permissions; jobs run in the caller's thread). ``create_app`` installs them again with its
    settings, so each test installs them afresh."""
    return _install_parts(tmp_path_factory)


@pytest.fixture
def settings(db_url, tmp_path):
    from judging.settings import Settings

    return Settings(database_url=db_url, secret_key="test-secret-key", var_dir=tmp_path, jobs_backend="immediate",
                    audit_seal_seconds=0)  # the in-process app seals only where a test says so


def _built_from(settings) -> tuple:
    """The settings an app takes in when it is built (the CSRF secret and cookies, the templates' zone)."""
    return settings.resolved_secret_key(), settings.secure_cookies, settings.timezone


@pytest.fixture(scope="session")
def _worker_app():
    """One app per worker, pointed at each test's database by ``client``: building the app and
    compiling its templates again for every test was a fifth of the fast suite's time."""
    from judging.settings import Settings
    from judging.web.app import create_app

    return create_app(Settings(database_url="sqlite://", secret_key="test-secret-key", jobs_backend="immediate",
                               audit_seal_seconds=0),
                      create_db_engine("sqlite://"))


@pytest.fixture
def client(_worker_app, settings, engine):
    from litestar.testing import TestClient

    from judging.web.app import create_app

    app = _worker_app
    if _built_from(settings) != _built_from(app.state.settings):
        app = create_app(settings, engine)
    app.state.update(settings=settings, engine=engine, session_factory=make_session_factory(engine))
    with TestClient(app=app, base_url="http://testserver.local") as test_client:
        yield test_client


@pytest.fixture(scope="session")
def served():
    """`judging serve` started as an operator starts it: ``with served(url, var_dir) as base_url``.
    Tests that use it are marked ``served``."""
    from browser import Serving

    return Serving()


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium: ``with browser.page() as page``. Tests that use it are marked ``browser``."""
    from browser import Chromium

    return Chromium()


@pytest.fixture(scope="session")
def cli():
    """The `judging` command run in a subprocess: ``cli("users", "add", url=...)``. Marks its users ``cli``."""
    from helpers import run_cli

    return run_cli
