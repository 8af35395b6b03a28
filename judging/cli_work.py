"""The organizer's work from the command line: `nominations import`, `panels assign`, `results run` and
`reports make`. Each calls the service its page's job calls, as the ``cli`` actor, and exits 2 with the
service's reason when it refuses."""

from __future__ import annotations

import argparse

from rich.progress import Progress
from rich.table import Table

from judging import audit
from judging.cli import CommandError, _migrated_engine, _progress, console, err_console
from judging.errors import JudgingError

CLI_ACTOR = audit.Actor.system("cli")


def _sessions(args: argparse.Namespace):
    from judging.db import make_session_factory

    return make_session_factory(_migrated_engine(args.settings))


def _bar(bar: Progress, what: str):
    """A service's ``progress(fraction, message)`` drawn on a rich bar."""
    task = bar.add_task(what, total=100)
    return lambda done, message="": bar.update(task, completed=done * 100, description=message or what)


def _round_and_category(session, round_text: str, category_text: str):
    """The round (by id) and the category of its edition (by key, e.g. achievement, or id)."""
    from judging.editions.models import Round

    round_ = session.get(Round, int(round_text)) if round_text.isdigit() else None
    if round_ is None:
        raise CommandError(f"unknown round {round_text!r} (give its id)")
    category = next((c for c in round_.edition.categories
                     if category_text in (c.key.value, str(c.id), c.name)), None)
    if category is None:
        keys = ", ".join(c.key.value for c in round_.edition.categories)
        raise CommandError(f"unknown category {category_text!r}; the round's edition has: {keys}")
    return round_, category


def cmd_nominations_import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from sqlalchemy import select

    from judging.editions.models import Edition
    from judging.editions.service import current_edition_or_none
    from judging.formal_review.service import import_with_corrections
    from judging.nominations.storage import AttachmentStore

    try:
        table = Path(args.file).read_bytes()
        archive = Path(args.attachments).read_bytes() if args.attachments else None
    except OSError as exc:
        raise CommandError(f"cannot read {exc.filename}: {exc.strerror}") from exc
    store, written = AttachmentStore(args.settings.var_dir), []
    with _sessions(args)() as session:
        edition = session.scalar(select(Edition).where(Edition.year == args.edition)) if args.edition \
            else current_edition_or_none(session)
        if edition is None:
            raise CommandError(f"no edition {args.edition}" if args.edition else "there is no edition yet")
        try:
            with _progress() as bar:
                record = import_with_corrections(
                    session, edition=edition, table_data=table, filename=Path(args.file).name, archive_data=archive,
                    archive_name=Path(args.attachments).name if args.attachments else "", keep_valid=args.keep_valid,
                    store=store, by=CLI_ACTOR, written=written, progress=_bar(bar, "import"))
            session.commit()  # a refused upload keeps its report, as on the page
        except JudgingError as exc:
            session.rollback()
            store.remove(written)
            raise CommandError(str(exc)) from exc
        except BaseException:
            session.rollback()
            store.remove(written)  # the files this transaction wrote go with it
            raise
        console.print(f"import {record.id} of {args.file} into the {edition.year} edition: {record.status}; "
                      f"{record.rows} rows, {record.created} created, {record.updated} updated, "
                      f"{record.unchanged} unchanged, {len(record.errors or [])} problem(s)", highlight=False)
        for problem in record.errors or []:
            where = ", ".join(part for part in (f"row {problem['row']}" if problem.get("row") else "",
                                                f"column {problem['column']}" if problem.get("column") else "") if part)
            err_console.print(f"{where or 'file'}: {problem['problem']}", highlight=False)
        if record.status == "rejected":
            raise CommandError(f"nothing imported: {len(record.errors or [])} problem(s), listed above")
    return 0


def cmd_panels_assign(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from judging.panels import service
    from judging.stages.permissions import Capability, require_capability

    with _sessions(args)() as session:
        round_, category = _round_and_category(session, args.round, args.category)
        try:
            require_capability(session, category_id=category.id, capability=Capability.ASSIGN)
            settings = service.default_settings(session, round_=round_, category=category)
            settings = replace(settings, **{k: v for k, v in (("k", args.k), ("max_load", args.max_load)) if v})
            round_id, category_id = round_.id, category.id
            with _progress() as bar:
                plan = service.preview_plan(session, round_id=round_id, category_id=category_id, settings=settings,
                                            by=CLI_ACTOR, release_while_solving=True, progress=_bar(bar, "assignment"))
            session.commit()
            _print_figures(plan)
            if plan.status.value != "preview":
                raise CommandError(f"no feasible plan ({plan.status.value}); plan {plan.id} lists what falls short")
            if args.commit:
                pairs = service.commit_plan(session, plan_id=plan.id, by=CLI_ACTOR)
                session.commit()
                console.print(f"committed plan {plan.id}: {pairs} assignments")
            else:
                console.print(f"plan {plan.id} previewed, not committed (run again with --commit to store it)")
        except JudgingError as exc:
            session.rollback()
            raise CommandError(str(exc)) from exc
    return 0


def _print_figures(plan) -> None:
    table = Table(title=f"Plan {plan.id} ({plan.mode}, {len(plan.pairs)} pairs)")
    table.add_column("figure")
    table.add_column("value")
    for key, value in sorted(plan.figures.items()):
        if isinstance(value, (int, float, str, bool)) or value is None:
            table.add_row(key, f"{value:.3f}" if isinstance(value, float) else str(value))
    console.print(table)


def cmd_results_run(args: argparse.Namespace) -> int:
    from judging.results import service

    with _sessions(args)() as session:
        round_, category = _round_and_category(session, args.round, args.category)
        try:
            with _progress() as bar:
                run = service.create_run(session, round_id=round_.id, category_id=category.id, method=args.method,
                                         seed=args.seed, reps=args.reps, confirm_incomplete=args.confirm_incomplete,
                                         within_components=args.within_components, by=CLI_ACTOR,
                                         progress=_bar(bar, "result run"))
            session.commit()
        except JudgingError as exc:
            session.rollback()
            raise CommandError(str(exc)) from exc
        console.print(f"run {run.id}: {run.method}, {run.n_items} nominations, {run.n_judges} judges, "
                      f"{run.n_scores} scores; input {run.input_digest}, output {run.output_digest}")
        for entry in sorted(run.entries, key=lambda e: (e.rank, e.code))[:args.top]:
            console.print(f"{entry.rank:>4}  {entry.code}  {entry.value:.2f}", highlight=False)
    return 0


def cmd_reports_make(args: argparse.Namespace) -> int:
    from pathlib import Path

    from judging import documents
    from judging.reports.service import report_draft

    session_factory = _sessions(args)
    output = Path(args.output) if args.output else None
    try:
        with _progress() as bar:
            document = documents.produce(
                session_factory, lambda session: report_draft(session, run_id=args.run_id, kind=args.kind,
                                                              audience=args.audience, subject_id=args.subject),
                by=CLI_ACTOR, progress=_bar(bar, "report"))
    except JudgingError as exc:
        raise CommandError(str(exc)) from exc
    with session_factory() as session:
        stored = documents.get_document(session, document.id)
        path = output if output and not output.is_dir() else (output or Path(".")) / stored.filename
        try:
            path.write_bytes(stored.content)
        except OSError as exc:
            raise CommandError(f"cannot write {path}: {exc.strerror}") from exc
        console.print(f"{path} ({stored.pages} pages, sha256 {stored.sha256})", highlight=False)
    return 0


def add_work_commands(commands) -> None:
    """`nominations import`, `panels assign`, `results run`, `reports make`."""
    nominations = commands.add_parser("nominations", help="nominations").add_subparsers(
        dest="nominations_command", required=True, metavar="ACTION")
    imports = nominations.add_parser("import", help="import a CSV/XLSX table (the import page's service and report)")
    imports.add_argument("file", help="the table: CSV (UTF-8 or GBK) or XLSX, e.g. the downloaded template")
    imports.add_argument("--attachments", metavar="ZIP", help="the ZIP archive holding the files the rows name")
    imports.add_argument("--edition", type=int, metavar="YEAR", help="the edition's year (default: the current one)")
    imports.add_argument("--keep-valid", action="store_true", help="store the valid rows even if others are wrong")
    imports.set_defaults(run=cmd_nominations_import)

    panels = commands.add_parser("panels", help="assignments").add_subparsers(
        dest="panels_command", required=True, metavar="ACTION")
    assign = panels.add_parser("assign", help="preview an assignment plan and print its figures; --commit stores it")
    assign.add_argument("--round", required=True, help="the round's id")
    assign.add_argument("--category", required=True, help="the category's key (e.g. achievement) or id")
    assign.add_argument("--k", type=int, help="judges per nomination (default: the last plan's, else 5)")
    assign.add_argument("--max-load", type=int, help="most nominations per judge (default: the last plan's)")
    assign.add_argument("--commit", action="store_true", help="commit the plan: the judges see it at once")
    assign.set_defaults(run=cmd_panels_assign)

    results = commands.add_parser("results", help="result runs").add_subparsers(
        dest="results_command", required=True, metavar="ACTION")
    run = results.add_parser("run", help="compute and store a result run from the submitted scores")
    run.add_argument("--round", required=True, help="the round's id")
    run.add_argument("--category", required=True, help="the category's key (e.g. achievement) or id")
    run.add_argument("--method", required=True, help="mean, trimmed_mean, zscore, additive, confidence, … rasch")
    run.add_argument("--seed", type=int, default=20260501)
    run.add_argument("--reps", type=int, default=200, help="bootstrap replicates")
    run.add_argument("--confirm-incomplete", action="store_true", help="compute although some sheets are missing")
    run.add_argument("--within-components", action="store_true", help="calibrate within disconnected groups")
    run.add_argument("--top", type=int, default=10, help="how many of the ranking to print")
    run.set_defaults(run=cmd_results_run)

    reports = commands.add_parser("reports", help="PDF reports of a run").add_subparsers(
        dest="reports_command", required=True, metavar="ACTION")
    make = reports.add_parser("make", help="make a run's PDF report, store it and write it to a file")
    make.add_argument("run_id", metavar="RUN", type=int, help="the run's id")
    make.add_argument("--kind", required=True, choices=("ranking", "nomination", "judge", "audit"))
    make.add_argument("--audience", default="committee", choices=("committee", "auditor"))
    make.add_argument("--subject", type=int, help="one nomination's or judge's id (nomination and judge reports)")
    make.add_argument("--output", help="a file or folder (default: the report's name in this folder)")
    make.set_defaults(run=cmd_reports_make)
