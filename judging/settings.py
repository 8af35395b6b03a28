"""Settings of one running instance, read once from the environment."""

from __future__ import annotations

import functools
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def _default_database_url() -> str:
    return f"sqlite:///{REPO_ROOT / 'var' / 'judging.sqlite3'}"


@dataclass(frozen=True)
class Settings:
    """Every setting has a default that serves the embedded SQLite demo."""

    database_url: str = field(default_factory=_default_database_url)
    # Signs CSRF tokens; must be the same in every worker, hence stored beside the database.
    secret_key: str = ""
    secure_cookies: bool = False
    session_idle_minutes: int = 60
    session_absolute_hours: int = 12
    default_locale: str = "zh_CN"
    # Deadlines are shown in the competition's time zone (the province's), whatever the server's.
    timezone: str = "Asia/Shanghai"
    var_dir: Path = REPO_ROOT / "var"
    # Background jobs: "sqlite" (a huey queue file in var/, the embedded default), "redis"
    # (production, several boxes), or "immediate" (run in the caller's thread: tests only).
    jobs_backend: str = "sqlite"
    redis_url: str = "redis://127.0.0.1:6379/0"
    # Run a job consumer inside `judging serve` (single box); else run `judging worker` beside it.
    embedded_worker: bool = True
    # A running job refreshes its heartbeat this often; six missed beats mean its worker died.
    job_heartbeat_seconds: float = 10.0
    # Mail: an SMTP server (smtp://user:pass@host:587?starttls=1, smtps://… for TLS from the start);
    # unset, messages are written to var/outbox/ as .eml files, so the embedded set-up needs no server.
    smtp_url: str = ""
    mail_from: str = "judging@localhost"
    # The address people open the links of their mails at (invitations, password resets).
    base_url: str = "http://127.0.0.1:8000"
    invitation_hours: int = 72
    # Judges get a reminder this many days before their deadline (`judging notify reminders`).
    reminder_days: int = 2
    # A message claimed by a worker longer ago than this is taken for interrupted (its worker died
    # mid-send) and sent again, with the same Message-ID. Longer than any SMTP conversation.
    mail_lease_seconds: float = 300.0
    # The public notice's header: who issues it (empty: the coordination office, in the reader's language) and
    # the phone of the supervision line objectors may call (default: the unions' workers' hotline 12351).
    notice_issuer: str = ""
    supervision_phone: str = "12351"
    # The audit log's sealer runs in every `serve` and `worker` process this often (one seals at a time);
    # 0 turns it off. Its Ed25519 key signs the tree heads: the same file on every machine, like secret.key.
    audit_seal_seconds: float = 0.5
    audit_key_file: Path | None = None

    @classmethod
    def from_environment(cls) -> Settings:
        env = os.environ
        var_dir = Path(env.get("JUDGING_VAR_DIR", REPO_ROOT / "var"))
        return cls(
            database_url=env.get("JUDGING_DATABASE_URL") or f"sqlite:///{var_dir / 'judging.sqlite3'}",
            secret_key=env.get("JUDGING_SECRET_KEY", ""),
            secure_cookies=env.get("JUDGING_SECURE_COOKIES", "0") == "1",
            session_idle_minutes=int(env.get("JUDGING_SESSION_IDLE_MINUTES", "60")),
            session_absolute_hours=int(env.get("JUDGING_SESSION_ABSOLUTE_HOURS", "12")),
            default_locale=env.get("JUDGING_LOCALE", "zh_CN"),
            timezone=env.get("JUDGING_TIMEZONE", "Asia/Shanghai"),
            var_dir=var_dir,
            jobs_backend=env.get("JUDGING_JOBS_BACKEND", "sqlite"),
            redis_url=env.get("JUDGING_REDIS_URL", "redis://127.0.0.1:6379/0"),
            embedded_worker=env.get("JUDGING_EMBEDDED_WORKER", "1") == "1",
            job_heartbeat_seconds=float(env.get("JUDGING_JOB_HEARTBEAT_SECONDS", "10")),
            smtp_url=env.get("JUDGING_SMTP_URL", ""),
            mail_from=env.get("JUDGING_MAIL_FROM", "judging@localhost"),
            base_url=env.get("JUDGING_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
            invitation_hours=int(env.get("JUDGING_INVITATION_HOURS", "72")),
            reminder_days=int(env.get("JUDGING_REMINDER_DAYS", "2")),
            mail_lease_seconds=float(env.get("JUDGING_MAIL_LEASE_SECONDS", "300")),
            notice_issuer=env.get("JUDGING_NOTICE_ISSUER", ""),
            supervision_phone=env.get("JUDGING_SUPERVISION_PHONE", "12351"),
            audit_seal_seconds=float(env.get("JUDGING_AUDIT_SEAL_SECONDS", "0.5")),
            audit_key_file=Path(env["JUDGING_AUDIT_KEY_FILE"]) if env.get("JUDGING_AUDIT_KEY_FILE") else None,
        )

    def resolved_audit_key_file(self) -> Path:
        """Where the tree heads' signing key is (made there on first use by the sealer)."""
        return self.audit_key_file or self.var_dir / "audit-signing.key"

    def resolved_secret_key(self) -> str:
        """The configured key, else one kept in the var folder so all workers share it."""
        if self.secret_key:
            return self.secret_key
        path = self.var_dir / "secret.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
        return path.read_text().strip()


PRIVATE_UMASK = 0o077


def keep_files_private(settings: Settings) -> None:
    """Every file and folder this process creates is its owner's alone (0600/0700): the database, its WAL
    and journal, the job queue, backups, uploads and keys hold confidential submissions and scores.

    Called at the start of every command (``serve``, ``worker`` and the rest); the umask is inherited by the
    server's worker processes. A var folder made by an earlier version is closed too."""
    os.umask(PRIVATE_UMASK)
    var_dir = settings.var_dir
    if var_dir.is_dir() and var_dir.stat().st_uid == os.getuid():
        var_dir.chmod(0o700)


@functools.cache
def get_settings() -> Settings:
    """The environment's settings: read by the entry points only (the CLI, ``create_app`` without settings,
    Alembic), which then install them; services ask ``current()``."""
    return Settings.from_environment()


_CURRENT: list[Settings] = []


def install(settings: Settings) -> None:
    """The settings this process runs with (``judging.parts`` installs them with the parts)."""
    _CURRENT[:] = [settings]


def current() -> Settings:
    """The installed settings, for services that need one (the competition's time zone)."""
    if not _CURRENT:
        raise RuntimeError("no settings are installed: the app, the worker and the CLI install them at startup")
    return _CURRENT[0]
