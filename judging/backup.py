"""Consistent snapshots of the database with the audit-chain head, and restores that verify the chain."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url

from judging import audit
from judging.db import create_db_engine, make_session_factory
from judging.settings import current

MANIFEST_SUFFIX = ".manifest.json"


class BackupError(Exception):
    """A snapshot cannot be written or restored; the message names why. Nothing was changed."""


@dataclass(frozen=True)
class Manifest:
    """What a snapshot holds: taken when, from which backend, its audit-chain head and its checksum."""

    created_at: str
    backend: str
    snapshot: str
    sha256: str
    chain_length: int
    chain_head: str

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> Manifest:
        try:
            return cls(**json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError) as exc:
            raise BackupError(f"cannot read the manifest {path}: {exc}") from exc


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _verify_engine(engine: Engine) -> audit.Verification:
    with make_session_factory(engine)() as session:
        return audit.verify(session)


def _seal_all(engine: Engine) -> None:
    """Seal what has committed, so the snapshot's head covers it (the manifest records that head)."""
    signer = audit.Signer.from_file(current().resolved_audit_key_file())
    factory = make_session_factory(engine)
    while True:
        with factory() as session:
            result = audit.seal(session, signer=signer)
            session.commit()
        if result is None or result.sealed < 5000:
            return


def _pg_env(url: URL) -> tuple[list[str], dict[str, str]]:
    args = ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres"]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    return args, env


def backup(database_url: str, output_dir: Path, *, now: dt.datetime | None = None) -> tuple[Path, Manifest]:
    """Write a snapshot and its manifest into ``output_dir``; returns the snapshot path and manifest.

    SQLite: the online backup API copies a consistent image while the app keeps running.
    PostgreSQL: ``pg_dump`` runs inside a snapshot exported by the same transaction that reads the
    chain head, so the recorded head is exactly the one in the dump.
    """
    now = now or dt.datetime.now(dt.UTC)
    output_dir.mkdir(parents=True, exist_ok=True)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    engine = create_db_engine(database_url)
    backend = engine.dialect.name
    try:
        _seal_all(engine)
        if backend == "sqlite":
            target = output_dir / f"judging-{stamp}.sqlite3"
            source = sqlite3.connect(make_url(database_url).database)
            destination = sqlite3.connect(target)
            with destination:
                source.backup(destination)
            source.close()
            destination.close()
            snapshot_engine = create_db_engine(f"sqlite:///{target}")
            head = audit.chain_head(make_session_factory(snapshot_engine)())
            snapshot_engine.dispose()
        else:
            target = output_dir / f"judging-{stamp}.pgdump"
            url = engine.url
            args, env = _pg_env(url)
            with engine.connect() as connection:
                connection.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
                snapshot_id = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                row = connection.execute(text("SELECT tree_size, root_hash FROM audit_tree_heads "
                                              "ORDER BY tree_size DESC LIMIT 1")).first()
                head = audit.ChainHead(row.tree_size, row.root_hash) if row else audit.ChainHead(0, audit.GENESIS_HASH)
                result = subprocess.run(["pg_dump", *args, "-Fc", "--no-owner", f"--snapshot={snapshot_id}",
                                         "-f", str(target), url.database], env=env, capture_output=True, text=True)
                connection.rollback()
            if result.returncode != 0:
                target.unlink(missing_ok=True)
                raise BackupError(f"pg_dump failed: {result.stderr.strip().splitlines()[-1:]}")
    finally:
        engine.dispose()
    manifest = Manifest(created_at=now.isoformat(), backend=backend, snapshot=target.name, sha256=_sha256(target),
                        chain_length=head.length, chain_head=head.hash)
    manifest.write(target.with_name(target.name + MANIFEST_SUFFIX))
    return target, manifest


def _check_snapshot(snapshot: Path) -> Manifest:
    if not snapshot.is_file():
        raise BackupError(f"no snapshot at {snapshot}")
    manifest = Manifest.read(snapshot.with_name(snapshot.name + MANIFEST_SUFFIX))
    if _sha256(snapshot) != manifest.sha256:
        raise BackupError("the snapshot's checksum differs from its manifest: the file was changed or is incomplete")
    return manifest


def _refuse_unless_valid(verification: audit.Verification, manifest: Manifest) -> None:
    if not verification.valid:
        raise BackupError(f"the snapshot's audit chain is broken at event {verification.broken_seq} "
                          f"({verification.problem}); nothing was restored")
    if (verification.length, verification.head_hash) != (manifest.chain_length, manifest.chain_head):
        raise BackupError("the snapshot's audit-chain head differs from its manifest; nothing was restored")


def restore(database_url: str, snapshot: Path) -> Manifest:
    """Replace the database with ``snapshot`` after checking its checksum and its audit chain.

    The snapshot is verified in a scratch copy first; the live database is only touched once the
    chain verifies and matches the head recorded at backup time.
    """
    manifest = _check_snapshot(snapshot)
    engine = create_db_engine(database_url)
    backend = engine.dialect.name
    engine.dispose()
    if backend != manifest.backend:
        raise BackupError(f"the snapshot is a {manifest.backend} backup; the target database is {backend}")
    if backend == "sqlite":
        target = Path(make_url(database_url).database)
        with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
            copy = Path(scratch) / "restore.sqlite3"
            shutil.copyfile(snapshot, copy)
            check = create_db_engine(f"sqlite:///{copy}")
            try:
                _refuse_unless_valid(_verify_engine(check), manifest)
            finally:
                check.dispose()
            for suffix in ("-wal", "-shm"):
                Path(str(target) + suffix).unlink(missing_ok=True)
            os.replace(copy, target)  # atomic: the old file or the new one, never half of each
        return manifest
    url = make_url(database_url)
    args, env = _pg_env(url)
    scratch_name = f"{url.database}_restore_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{scratch_name}"'))
        _pg_restore(args, env, scratch_name, snapshot)
        check = create_db_engine(url.set(database=scratch_name).render_as_string(hide_password=False))
        try:
            _refuse_unless_valid(_verify_engine(check), manifest)
        finally:
            check.dispose()
        _pg_restore(args, env, url.database, snapshot, clean=True)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{scratch_name}" WITH (FORCE)'))
        admin.dispose()
    return manifest


def _pg_restore(args: list[str], env: dict[str, str], database: str, snapshot: Path, *, clean: bool = False) -> None:
    command = ["pg_restore", *args, "--no-owner", "--single-transaction", "--exit-on-error", "-d", database]
    if clean:
        command += ["--clean", "--if-exists"]
    result = subprocess.run([*command, str(snapshot)], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {result.stderr.strip().splitlines()[-1:]}")
