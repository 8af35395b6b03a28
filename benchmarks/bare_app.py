"""Yardsticks on the app's own stack: a bare Litestar endpoint that parses the autosave form and answers
JSON with no database, and (when JUDGING_BENCH_YARDSTICK_URL names a database) the cheapest durable writes.

- ``/bare``: the form alone: what HTTP and form parsing cost on this machine.
- ``/plain``: one ORM insert and commit (SQLAlchemy, psycopg, the app's pool sizes and handler pool).
- ``/chained``: the old audit append: the global advisory lock, read the chain head, insert a row
  hashed onto it, commit (the lock is held through the commit).

benchmarks/load.py serves this with the same uvicorn workers as the app and drives each endpoint
with the same connections, in the same run as the app's saturation phase.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any

from litestar import Litestar, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from sqlalchemy import BigInteger, LargeBinary, String, create_engine, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


class _Base(DeclarativeBase):
    pass


class PlainRow(_Base):
    __tablename__ = "yardstick_plain"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    body: Mapped[bytes] = mapped_column(LargeBinary)


class ChainedRow(_Base):
    __tablename__ = "yardstick_chained"
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


URL = os.environ.get("JUDGING_BENCH_YARDSTICK_URL")
ENGINE = create_engine(URL, pool_pre_ping=True, pool_size=10, max_overflow=20) if URL else None
SESSIONS = sessionmaker(ENGINE) if ENGINE is not None else None


def _body(data: dict[str, Any]) -> bytes:
    return repr(sorted(data.items())).encode("utf-8")


@post("/bare", sync_to_thread=False, status_code=200)
def bare(data: Form) -> dict[str, Any]:
    return {"version": int(data.get("version", 0)) + 1, "saved_at": time.strftime("%H:%M:%S")}


@post("/plain", sync_to_thread=True, status_code=200)
def plain(data: Form) -> dict[str, Any]:
    with SESSIONS() as session:
        session.add(PlainRow(body=_body(data)))
        session.commit()
    return {"version": int(data.get("version", 0)) + 1}


@post("/chained", sync_to_thread=True, status_code=200)
def chained(data: Form) -> dict[str, Any]:
    with SESSIONS() as session:
        session.execute(text("SELECT pg_advisory_xact_lock(7340032)"))
        head = session.execute(select(ChainedRow.seq, ChainedRow.hash).order_by(ChainedRow.seq.desc()).limit(1)).first()
        seq, prev = (head.seq + 1, head.hash) if head else (1, "0" * 64)
        body = _body(data)
        session.add(ChainedRow(seq=seq, body=body, prev_hash=prev,
                               hash=hashlib.sha256(prev.encode() + body).hexdigest()))
        session.commit()
    return {"version": int(data.get("version", 0)) + 1}


def _startup() -> None:
    # As the app: one handler thread per connection the pool can give.
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=30))
    if ENGINE is not None:
        with ENGINE.begin() as connection:
            connection.execute(text("SELECT pg_advisory_xact_lock(7340033)"))  # two workers create them once
            _Base.metadata.create_all(connection)


app = Litestar([bare, plain, chained], on_startup=[_startup])
