"""The database a benchmark runs on: the URL it was given, or a temporary PostgreSQL database dropped after.

Not a benchmark itself (`make bench` skips it).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@contextlib.contextmanager
def benchmark_database(url: str | None, *, prefix: str) -> Iterator[str]:
    """``url`` as given, else a fresh database ``<prefix>_<random>`` on JUDGING_BENCH_POSTGRES_SERVER
    (default: the local server), dropped when the block ends however it ends."""
    if url is not None:
        yield url
        return
    server = make_url(os.environ.get("JUDGING_BENCH_POSTGRES_SERVER", DEFAULT_SERVER))
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield server.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
