"""SQLite shared by several processes (the app, its jobs, the worker, a `judging` command): making another
engine in a process that has the file open must not drop that process's locks, or the last other process
to close removes the WAL under it and it reads "database disk image is malformed"."""

from __future__ import annotations

import subprocess
import sys

from judging.db import create_db_engine

WRITER = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1])
connection.execute("PRAGMA journal_mode=WAL")
with connection:
    connection.executemany("INSERT INTO t (x) VALUES (?)", [("x" * 500,)] * int(sys.argv[2]))
connection.close()  # the last connection of this process: checkpoints, and removes the WAL if it is alone
"""


def test_a_second_engine_keeps_the_process_locks_on_the_file(tmp_path):
    path = tmp_path / "judging.sqlite3"
    engine = create_db_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x TEXT)")
        connection.exec_driver_sql("INSERT INTO t (x) VALUES ('first')")
    held = engine.connect()  # the app's pooled connection, open between requests
    create_db_engine(f"sqlite:///{path}").dispose()  # what a job does in the app's process
    expected = 1
    for rows in (10, 3000, 10, 3000):  # the app and another process take turns, as a page and a command do
        with held.begin():
            held.exec_driver_sql("INSERT INTO t (x) VALUES ('app')")
        expected += 1
        done = subprocess.run([sys.executable, "-c", WRITER, str(path), str(rows)], capture_output=True, text=True,
                              check=False)
        assert done.returncode == 0, done.stderr
        expected += rows
        assert held.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        assert held.exec_driver_sql("SELECT count(*) FROM t").scalar() == expected
        held.rollback()
    held.close()
    engine.dispose()
