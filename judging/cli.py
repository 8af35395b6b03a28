"""The `judging` command: init, demo, serve, users, notify, audit verify and prove (a second door beside the web)."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from judging import audit
from judging.errors import JudgingError
from judging.settings import Settings, get_settings, keep_files_private

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

EXIT_USAGE = 2


class CommandError(Exception):
    """A one-line refusal: printed to stderr, exit code 2, nothing written."""


def _engine(settings: Settings):
    from judging.db import DatabaseError, create_db_engine

    try:
        return create_db_engine(settings.database_url)
    except DatabaseError as exc:
        raise CommandError(str(exc)) from exc


def _migrated_engine(settings: Settings):
    from sqlalchemy.exc import OperationalError

    from judging.db import upgrade

    engine = _engine(settings)
    try:
        upgrade(engine)
    except OperationalError as exc:
        raise CommandError(f"cannot use the database: {exc.orig}") from exc
    return engine


def cmd_init(args: argparse.Namespace) -> int:
    engine = _migrated_engine(args.settings)
    console.print(f"Database ready at {engine.url.render_as_string(hide_password=True)}")
    return 0


def _print_accounts(accounts) -> None:
    table = Table(title="Demo accounts")
    for column in ("username", "password", "role", "who"):
        table.add_column(column)
    for account in accounts:
        table.add_row(account.username, account.password, account.role.value, account.note)
    console.print(table)


def cmd_demo(args: argparse.Namespace) -> int:
    from judging.db import make_session_factory, session_scope
    from judging.demo import DEMO_PASSWORDS, load_demo, make_demo_documents
    from judging.editions.service import has_edition

    engine = _migrated_engine(args.settings)
    session_factory = make_session_factory(engine)
    with session_scope(session_factory) as session:
        if has_edition(session):
            if args.if_empty:
                console.print("The database already holds an edition; demo not loaded. Accounts, if it is the demo:")
                _print_accounts(_demo_accounts(DEMO_PASSWORDS))
                return 0
            raise CommandError("the database already holds an edition; the demo loads only into an empty one")
        with _progress() as bar:
            task = bar.add_task("demo edition", total=6)
            accounts = load_demo(session, seed=args.seed,
                                 progress=lambda done, total, what: bar.update(task, completed=done, description=what))
    make_demo_documents(session_factory)
    _seal(args.settings, session_factory)
    _print_accounts(accounts)
    return 0


def _seal(settings: Settings, session_factory) -> None:
    """Seal the audit log now, as a running server would within half a second."""
    signer = audit.Signer.from_file(settings.resolved_audit_key_file())
    while True:
        with session_factory() as session:
            result = audit.seal(session, signer=signer)
            session.commit()
        if result is None or result.sealed < 5000:
            return


def _demo_accounts(passwords):
    from judging.accounts import Role
    from judging.demo import DemoAccount

    return [DemoAccount("organizer", passwords["organizer"], Role.ORGANIZER),
            DemoAccount("auditor", passwords["auditor"], Role.AUDITOR),
            DemoAccount("admin", passwords["admin"], Role.ADMIN),
            DemoAccount("judge01 … judge60", passwords["judge"], Role.JUDGE)]


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console)


def cmd_serve(args: argparse.Namespace) -> int:
    from judging.web.serving import serve

    _migrated_engine(args.settings)
    serve(host=args.host, port=args.port, workers=args.workers)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from judging.db import make_session_factory
    from judging.jobs.service import make_consumer, recover_interrupted

    settings = args.settings
    if settings.jobs_backend == "immediate":
        raise CommandError("JUDGING_JOBS_BACKEND=immediate runs jobs in the caller; there is nothing to consume")
    engine = _migrated_engine(args.settings)
    consumer = make_consumer(workers=args.workers)
    recovered = recover_interrupted(make_session_factory(engine), database_url=settings.database_url)
    if recovered:
        console.print(f"recovered {len(recovered)} interrupted job(s): {recovered}")
    console.print(f"job worker with {args.workers} thread(s) on the {settings.jobs_backend} queue; Ctrl-C stops it")
    if settings.audit_seal_seconds > 0:  # the worker seals the audit log too (one sealer at a time)
        audit.SealerThread(make_session_factory(engine), audit.Signer.from_file(settings.resolved_audit_key_file()),
                           interval=settings.audit_seal_seconds).start()
    consumer.run()
    return 0


def cmd_users_add(args: argparse.Namespace) -> int:
    from judging.accounts import add_user, parse_role
    from judging.accounts.passwords import generate_password
    from judging.db import make_session_factory, session_scope

    try:
        role = parse_role(args.role)
    except JudgingError as exc:
        raise CommandError(str(exc)) from exc
    generated = False
    if args.generate_password:
        password, generated = generate_password(), True
    elif not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != password:
            raise CommandError("the two passwords differ")
    engine = _migrated_engine(args.settings)
    try:
        with session_scope(make_session_factory(engine)) as session:
            add_user(session, username=args.username, password=password, role=role,
                     display_name=args.display_name or "", city=args.city, by=audit.Actor.system("cli"))
    except JudgingError as exc:
        raise CommandError(str(exc)) from exc
    console.print(f"Created {role.value} {args.username!r}" + (f" with password: {password}" if generated else ""))
    return 0


def cmd_users_invite(args: argparse.Namespace) -> int:
    from judging.db import make_session_factory, session_scope
    from judging.notifications.invitations import invite

    engine = _migrated_engine(args.settings)
    try:
        with session_scope(make_session_factory(engine)) as session:
            _user, sent = invite(session, username=args.username, role=args.role, email=args.email,
                                 display_name=args.display_name or "", city=args.city, by=audit.Actor.system("cli"),
                                 manager=None)
            url = sent.url
    except JudgingError as exc:
        raise CommandError(str(exc)) from exc
    console.print(f"Invited {args.role} {args.username!r}" + (f" at {args.email}" if args.email else ""))
    if not args.settings.smtp_url or not args.email:
        # No mail server (or no address): whoever runs the command hands the link over.
        console.print(f"One-time link (valid {args.settings.invitation_hours} h): {url}", highlight=False)
    return 0


def cmd_users_deactivate(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from judging.accounts.manage import set_active
    from judging.accounts.models import User
    from judging.db import make_session_factory, session_scope

    engine = _migrated_engine(args.settings)
    with session_scope(make_session_factory(engine)) as session:
        user = session.scalar(select(User).where(User.username == args.username))
        if user is None:
            raise CommandError(f"no account named {args.username!r}")
        ended = set_active(session, user=user, active=False, manager=None, by=audit.Actor.system("cli"))
    console.print(f"Deactivated {args.username!r}; {ended} session(s) ended")
    return 0


def cmd_notify_reminders(args: argparse.Namespace) -> int:
    from judging.db import make_session_factory, session_scope
    from judging.scoring.reminders import send_due_reminders

    days = args.days if args.days is not None else args.settings.reminder_days
    if days < 0:
        raise CommandError("--days must be 0 or more")
    engine = _migrated_engine(args.settings)
    with session_scope(make_session_factory(engine)) as session:
        reminded = send_due_reminders(session, days=days, by=audit.Actor.system("cli"))
    console.print(f"{reminded.judges} judge(s) with a deadline within {days} day(s); "
                  f"{reminded.queued} new reminder(s) queued")
    return 0


def cmd_notify_deliver(args: argparse.Namespace) -> int:
    from judging.db import make_session_factory
    from judging.notifications.delivery import deliver_due

    engine = _migrated_engine(args.settings)
    report = deliver_due(make_session_factory(engine), settings=args.settings)
    console.print(f"sent {report.sent}, to retry {report.retried}, failed {report.failed}")
    return 0


def cmd_edition_create(args: argparse.Namespace) -> int:
    import json

    from judging.db import make_session_factory, session_scope
    from judging.editions.service import create_edition
    from judging.editions.specs import edition_spec_from_json
    from judging.errors import FieldsInvalid

    try:
        with open(args.file, encoding="utf-8") as source:
            document = json.load(source)
    except (OSError, ValueError) as exc:
        raise CommandError(f"cannot read {args.file}: {exc}") from exc
    engine = _migrated_engine(args.settings)
    try:
        with session_scope(make_session_factory(engine)) as session:
            edition = create_edition(session, spec=edition_spec_from_json(document), by=audit.Actor.system("cli"))
            summary = f"Created the {edition.year} edition ({len(edition.categories)} categories, " \
                      f"{len(edition.rounds)} rounds)"
    except FieldsInvalid as exc:
        problems = "; ".join(f"{name}: {error.render(str)}" for name, error in exc.fields.items())
        raise CommandError(f"{exc} {problems}") from exc
    except JudgingError as exc:
        raise CommandError(str(exc)) from exc
    console.print(summary)
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from judging.db import make_session_factory

    engine = _migrated_engine(args.settings)
    key_file = args.settings.resolved_audit_key_file()
    # The operator's key, when this machine has it: heads signed by any other key are then refused.
    public_key = audit.Signer.from_file(key_file).public_key if key_file.exists() else None
    with make_session_factory(engine)() as session:
        result = audit.verify(session, public_key=public_key)
    if result.valid:
        console.print(f"audit chain valid: {result.length} events sealed in {result.heads} signed tree head(s), "
                      f"head {result.head_hash}; {result.unsealed} event(s) not sealed yet")
        return 0
    err_console.print(f"audit chain BROKEN at event {result.broken_seq}: {result.problem} "
                      f"({result.length} events verified before it)")
    return 1


def cmd_audit_prove(args: argparse.Namespace) -> int:
    import json

    from judging.db import make_session_factory

    engine = _migrated_engine(args.settings)
    with make_session_factory(engine)() as session:
        try:
            proof = audit.inclusion_proof(session, seq=args.seq)
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
    console.print_json(json.dumps(proof, ensure_ascii=False))
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from pathlib import Path

    from judging.backup import BackupError, backup

    _migrated_engine(args.settings)
    try:
        path, manifest = backup(args.settings.database_url, Path(args.output))
    except BackupError as exc:
        raise CommandError(str(exc)) from exc
    console.print(f"snapshot {path} ({manifest.backend}), audit chain {manifest.chain_length} events, "
                  f"head {manifest.chain_head}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from pathlib import Path

    from judging.backup import BackupError, restore

    _engine(args.settings)
    try:
        manifest = restore(args.settings.database_url, Path(args.snapshot))
    except BackupError as exc:
        raise CommandError(str(exc)) from exc
    console.print(f"restored {args.snapshot}: audit chain verified, {manifest.chain_length} events, "
                  f"head {manifest.chain_head}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="judging", description="Expert judging and scoring system.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    init = commands.add_parser("init", help="create or upgrade the database schema (JUDGING_DATABASE_URL)")
    init.set_defaults(run=cmd_init)

    demo = commands.add_parser("demo", help="load the demo edition into an empty database")
    demo.add_argument("--seed", type=int, default=2026, help="random seed (same seed, same content)")
    demo.add_argument("--if-empty", action="store_true", help="do nothing (exit 0) if an edition exists")
    demo.set_defaults(run=cmd_demo)

    serve = commands.add_parser("serve", help="serve the web app with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="number of worker processes")
    serve.set_defaults(run=cmd_serve)

    worker = commands.add_parser("worker", help="run background jobs (when `serve` runs without its own worker)")
    worker.add_argument("--workers", type=int, default=2, help="number of worker threads")
    worker.set_defaults(run=cmd_worker)

    users = commands.add_parser("users", help="manage accounts").add_subparsers(dest="users_command", required=True,
                                                                                metavar="ACTION")
    add = users.add_parser("add", help="add an account (prompts for the password, or reads it from stdin)")
    add.add_argument("--username", required=True)
    add.add_argument("--role", required=True, help="organizer, judge, auditor, admin or nominator")
    add.add_argument("--city", help="the city a nominator account acts for (required for that role)")
    add.add_argument("--display-name")
    add.add_argument("--generate-password", action="store_true", help="generate a strong password and print it")
    add.set_defaults(run=cmd_users_add)
    invite = users.add_parser("invite", help="add an account without a password and send its owner a one-time link")
    invite.add_argument("--username", required=True)
    invite.add_argument("--role", required=True, help="organizer, judge, auditor, admin or nominator")
    invite.add_argument("--city", help="the city a nominator account acts for (required for that role)")
    invite.add_argument("--email", help="where the invitation goes (without a mail server, the link is printed)")
    invite.add_argument("--display-name")
    invite.set_defaults(run=cmd_users_invite)
    deactivate = users.add_parser("deactivate", help="stop an account from logging in and end its sessions now")
    deactivate.add_argument("username")
    deactivate.set_defaults(run=cmd_users_deactivate)

    notify = commands.add_parser("notify", help="notifications").add_subparsers(dest="notify_command", required=True,
                                                                               metavar="ACTION")
    reminders = notify.add_parser("reminders", help="queue the reminders due before judges' deadlines (once each)")
    reminders.add_argument("--days", type=int, help="days before the deadline (default JUDGING_REMINDER_DAYS, 2)")
    reminders.set_defaults(run=cmd_notify_reminders)
    deliver = notify.add_parser("deliver", help="send the queued messages that are due now")
    deliver.set_defaults(run=cmd_notify_deliver)

    backup_parser = commands.add_parser("backup", help="write a consistent snapshot with its audit-chain head")
    backup_parser.add_argument("--output", default="var/backups", help="folder for the snapshot and its manifest")
    backup_parser.set_defaults(run=cmd_backup)

    restore_parser = commands.add_parser("restore", help="restore a snapshot after verifying its audit chain")
    restore_parser.add_argument("snapshot", help="the snapshot file (its .manifest.json must lie beside it)")
    restore_parser.set_defaults(run=cmd_restore)

    editions = commands.add_parser("edition", help="set up editions").add_subparsers(
        dest="edition_command", required=True, metavar="ACTION")
    create = editions.add_parser("create", help="create an edition (categories, rubrics, rounds) from a JSON file")
    create.add_argument("file", help="the setup, as in docs/edition-example.json")
    create.set_defaults(run=cmd_edition_create)

    audit_parser = commands.add_parser("audit", help="audit log").add_subparsers(dest="audit_command", required=True,
                                                                                 metavar="ACTION")
    verify = audit_parser.add_parser("verify", help="walk the hash chain; exit 1 naming the first broken event")
    verify.set_defaults(run=cmd_audit_verify)
    prove = audit_parser.add_parser("prove", help="print an event's inclusion proof in the latest signed tree head")
    prove.add_argument("seq", type=int, help="the event's sequence number")
    prove.set_defaults(run=cmd_audit_prove)
    from judging.cli_work import add_work_commands  # here: that module builds on this one's helpers

    add_work_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # The environment is read here, once; every command gets the settings and runs with the parts installed.
    args.settings = get_settings()
    keep_files_private(args.settings)
    from judging import parts  # here, not at the top: `--help` and a usage error need none of the parts

    parts.install(args.settings)
    try:
        return args.run(args)
    except CommandError as exc:
        err_console.print(f"judging: error: {exc}", highlight=False, soft_wrap=True)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
