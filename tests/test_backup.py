"""`judging backup` / `judging restore`: consistent snapshots, and restores that refuse a broken chain."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import update

from judging import audit

pytestmark = pytest.mark.backend_sensitive  # snapshots are the backend's own (file copy, pg_dump)


def _append(session_factory, n: int, label: str) -> None:
    with session_factory() as session:
        for index in range(n):
            audit.append(session, actor=audit.Actor.system(label), action="test.event", object_type="t",
                         object_id=index)
        session.commit()


def _chain(session_factory) -> audit.Verification:
    with session_factory() as session:
        return audit.verify(session)


def _backup(cli, db_url: str, folder: Path) -> Path:
    result = cli("backup", "--output", str(folder), url=db_url)
    assert result.returncode == 0, result.stderr
    snapshots = [p for p in folder.iterdir() if not p.name.endswith(".manifest.json")]
    assert len(snapshots) == 1
    return snapshots[0]


def test_backup_then_restore_brings_back_the_snapshot(cli, db_url, engine, session_factory, tmp_path):
    _append(session_factory, 5, "before")
    snapshot = _backup(cli, db_url, tmp_path / "backups")
    manifest = json.loads(Path(str(snapshot) + ".manifest.json").read_text())
    assert manifest["chain_length"] == 5 and manifest["chain_head"] == _chain(session_factory).head_hash
    _append(session_factory, 3, "after")
    engine.dispose()
    restored = cli("restore", str(snapshot), url=db_url)
    assert restored.returncode == 0, restored.stderr
    assert "audit chain verified, 5 events" in restored.stdout
    result = _chain(session_factory)
    assert result.valid and result.length == 5 and result.head_hash == manifest["chain_head"]


def test_a_snapshot_whose_chain_is_broken_is_refused_and_nothing_changes(cli, db_url, engine, session_factory,
                                                                        tmp_path):
    _append(session_factory, 4, "x")
    with session_factory() as session:
        session.execute(update(audit.AuditEvent).where(audit.AuditEvent.seq == 2).values(actor="mallory"))
        session.commit()
    snapshot = _backup(cli, db_url, tmp_path / "backups")
    with session_factory() as session:  # mend the live chain so we can see it is left as it was
        session.execute(update(audit.AuditEvent).where(audit.AuditEvent.seq == 2).values(actor="x"))
        session.commit()
    _append(session_factory, 1, "live")
    engine.dispose()
    refused = cli("restore", str(snapshot), url=db_url)
    assert refused.returncode == 2 and "audit chain is broken at event 2" in refused.stderr
    live = _chain(session_factory)  # the 4 sealed by the backup, the one appended since not yet
    assert live.valid and (live.length, live.unsealed) == (4, 1)


def test_a_changed_snapshot_file_is_refused(cli, db_url, session_factory, tmp_path):
    _append(session_factory, 2, "x")
    snapshot = _backup(cli, db_url, tmp_path / "backups")
    with snapshot.open("ab") as handle:
        handle.write(b"\0")
    refused = cli("restore", str(snapshot), url=db_url)
    assert refused.returncode == 2 and "checksum differs" in refused.stderr
