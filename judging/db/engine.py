"""Engine creation with the per-dialect settings that keep writes serial and durable."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker


class DatabaseError(Exception):
    """The configured database cannot be used; the message names the reason."""


def _is_sqlite(path: Path) -> bool:
    """Whether SQLite can read the file, asked through SQLite itself.

    Not by reading its header with open()/close(): closing any descriptor of a file drops every POSIX lock
    this process holds on it, so a process with connections open (the app, when a job makes its engine)
    would look absent to the others, and the last of them to close would checkpoint and remove the WAL
    under it ("database disk image is malformed"). SQLite's own open keeps its descriptors until no lock
    needs them.
    """
    try:
        probe = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True)
    except sqlite3.Error:
        return False
    try:
        probe.execute("PRAGMA schema_version").fetchone()
    except sqlite3.DatabaseError:
        return False
    finally:
        probe.close()
    return True


def _check_sqlite_path(database: str | None) -> None:
    if not database or database == ":memory:":
        return
    path = Path(database)
    parent = path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(f"cannot create the database folder {parent}: {exc.strerror}") from exc
    if path.is_dir():
        raise DatabaseError(f"{path} is a folder, not a database file")
    if path.exists():
        if not os.access(path, os.R_OK | os.W_OK):
            raise DatabaseError(f"the database file {path} is not readable and writable")
        if not _is_sqlite(path):
            raise DatabaseError(f"{path} is not an SQLite database")
    elif not os.access(parent, os.W_OK):
        raise DatabaseError(f"the database folder {parent} is not writable")


def create_db_engine(url: str) -> Engine:
    """An engine for ``url``, or :class:`DatabaseError` naming what is wrong with it."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseError(f"malformed database URL {url!r}: expected e.g. sqlite:///var/judging.sqlite3 "
                            "or postgresql+psycopg://user@host/db") from exc
    backend = parsed.get_backend_name()
    if backend not in {"sqlite", "postgresql"}:
        raise DatabaseError(f"unsupported database {backend!r} in the URL: use sqlite or postgresql")
    if backend == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        if backend == "sqlite":
            _check_sqlite_path(parsed.database)
            engine = create_engine(parsed, connect_args={"timeout": 60})
            _configure_sqlite(engine)
        else:
            engine = create_engine(parsed, pool_pre_ping=True, pool_size=10, max_overflow=20)
    except NoSuchModuleError as exc:
        raise DatabaseError(f"unknown database driver in {url!r}") from exc
    return engine


def _configure_sqlite(engine: Engine) -> None:
    """WAL for concurrent readers, foreign keys on, and BEGIN IMMEDIATE.

    pysqlite defers BEGIN until the first write, so two writers could both read the audit chain
    head and then collide; taking the write lock at BEGIN serializes them (the SQLAlchemy
    "serializable isolation / savepoints" recipe).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def pool_capacity(engine: Engine) -> int:
    """How many connections the engine's pool can hand out at once (its size plus its overflow)."""
    pool = engine.pool
    size = getattr(pool, "size", None)
    overflow = getattr(pool, "_max_overflow", 0)
    if not callable(size):
        return 1  # a single-connection pool (an in-memory SQLite database)
    return max(1, size() + max(0, overflow))


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextlib.contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
