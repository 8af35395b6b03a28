"""CSV and XLSX exports of a run: the scores it used (long form), its results and its judge diagnostics.

Headers are in the reader's language and numbers are rounded to what they mean (scores 2 decimals, ranks
whole, probabilities and coefficients 3). What the table comes from (run, method, edition, made at, the
run's digests) is a second sheet of a workbook; a CSV holds nothing but its table: the run, method, edition
and time are in its file name, and its digest file (``.sha256``, checked by ``sha256sum -c``) lists the
rest. Scores come from the run's stored inputs, so an export matches its input digest.
Judges appear under the run's anonymous codes; auditors also get the expert's id and name.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from judging.editions.models import Edition
from judging.errors import N_
from judging.nominations.models import Nomination
from judging.panels.models import Expert
from judging.results.models import ResultRun
from judging.tabular import (
    CSV_TYPE,
    DIGEST_TYPE,
    XLSX_TYPE,
    csv_bytes,
    digest_text,
    xlsx_bytes,
)

TABLES = ("scores", "results", "judges")
TITLES = {"scores": N_("Scores (long form)"), "results": N_("Results"), "judges": N_("Judges")}
# Column -> (header, how its numbers are shown). "score": 2 decimals; "rank": whole; "share": 3 decimals
# (probabilities, correlations, scales); None: as stored (codes, names, counts).
COLUMNS = {
    "code": (N_("Code"), None), "assignment": (N_("Assignment"), None), "judge": (N_("Judge"), None),
    "expert_id": (N_("Expert ID"), None), "expert_name": (N_("Expert name"), None),
    "criterion": (N_("Criterion no."), None), "criterion_name": (N_("Criterion"), None),
    "weight": (N_("Weight"), "share"), "value": (N_("Score"), "score"), "grade": (N_("Grade"), None),
    "familiarity": (N_("Familiarity"), None), "total": (N_("Total"), "score"),
    "rank": (N_("Rank"), "rank"), "title": (N_("Title"), None), "calibrated": (N_("Calibrated value"), "score"),
    "se": (N_("Standard error"), "score"), "raw_mean": (N_("Raw mean"), "score"), "raw_rank": (N_("Raw rank"), "rank"),
    "rank_low_90": (N_("Rank, 90% low"), "rank"), "rank_high_90": (N_("Rank, 90% high"), "rank"),
    "p_top": (N_("Probability of the top N"), "share"), "n_scores": (N_("Number of scores"), None),
    "component": (N_("Component"), None), "in_top": (N_("In the top N"), None),
    "severity": (N_("Severity"), "score"), "scale": (N_("Scale"), "share"),
    "correlation": (N_("Correlation"), "share"), "rms_residual": (N_("RMS residual"), "score"),
}
PLACES = {"score": 2, "share": 3}
FORMATS = {"score": "0.00", "share": "0.000", "rank": "0"}  # how Excel shows them


def shown(value: Any, kind: str | None) -> Any:
    """`value` rounded to what it means; text, empty cells and counts as they are."""
    if kind is None or value is None or value == "" or isinstance(value, bool):
        return value
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return value
    if not number.is_finite():
        return value
    # Half up (四舍五入), as a reader rounds by hand: 83.125 shows as 83.13.
    if kind == "rank":
        return int(number.to_integral_value(rounding=ROUND_HALF_UP))
    return float(number.quantize(Decimal(1).scaleb(-PLACES[kind]), rounding=ROUND_HALF_UP))


def metadata(session: Session, run: ResultRun, gettext) -> list[tuple[str, Any]]:
    """(label, value) pairs that say what an export comes from, labels in ``gettext``'s language."""
    edition = session.get(Edition, run.edition_id)
    return [(gettext(N_("Run")), run.id), (gettext(N_("Method")), run.method), (gettext(N_("Rule")), run.rule(gettext)),
            (gettext(N_("Edition")), edition.year if edition else ""), (gettext(N_("Made at")), made_at(run)),
            (gettext(N_("Round ID")), run.round_id), (gettext(N_("Category ID")), run.category_id),
            (gettext(N_("Seed")), run.seed), (gettext(N_("Engine version")), run.engine_version),
            (gettext(N_("Input digest")), run.input_digest),
            (gettext(N_("Calibration digest")), run.calibration_digest),
            (gettext(N_("Output digest")), run.output_digest),
            (gettext(N_("Approved")), gettext(N_("Yes")) if run.approval is not None else gettext(N_("No")))]


def made_at(run: ResultRun) -> str:
    return run.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")


def filename(session: Session, run: ResultRun, table: str, fmt: str) -> str:
    """``2026-run12-mean-results-20261203T0741Z.csv``: edition, run, method, table and when the run was made."""
    edition = session.get(Edition, run.edition_id)
    stamp = run.created_at.strftime("%Y%m%dT%H%MZ")
    return f"{edition.year if edition else 'edition'}-run{run.id}-{run.method}-{table}-{stamp}.{fmt}"


def table_rows(session: Session, *, run: ResultRun, table: str, role: str) -> tuple[list[str], list[list[Any]]]:
    """The table's column keys and its rows, numbers as stored (see :func:`export` for what a reader gets)."""
    auditor = role == "auditor"
    code_of = {d.expert_id: d.code for d in run.judges}
    names = dict(session.execute(select(Expert.id, Expert.name).where(Expert.id.in_(list(code_of)))).all()) \
        if auditor else {}
    if table == "scores":
        criteria = run.inputs.get("criteria", [])
        # The assignment's id only for auditors: the organizer's pages show who holds each assignment (the swap
        # page), so the id would join a judge's code to a name.
        header = ["code"] + (["assignment"] if auditor else []) + ["judge"] + \
            (["expert_id", "expert_name"] if auditor else []) + \
            ["criterion", "criterion_name", "weight", "value", "grade", "familiarity", "total"]
        rows = []
        for sheet in run.inputs.get("sheets", []):
            judge = [sheet["code"]] + ([sheet["assignment"]] if auditor else []) + [code_of.get(sheet["expert"], "")]
            if auditor:
                judge += [sheet["expert"], names.get(sheet["expert"], "")]
            for c in criteria:
                value = sheet["values"].get(str(c["position"]))
                grade = sheet.get("grades", {}).get(str(c["position"]), "")
                rows.append(judge + [c["position"], c["name"], c["weight"], value, grade,
                                     sheet.get("familiarity") or "", sheet["total"]])
        return header, rows
    if table == "results":
        titles = dict(session.execute(select(Nomination.id, Nomination.title).where(
            Nomination.id.in_([e.nomination_id for e in run.entries]))).all())
        header = ["rank", "code", "title", "calibrated", "se", "raw_mean", "raw_rank", "rank_low_90", "rank_high_90",
                  "p_top", "n_scores", "component", "in_top"]
        rows = [[e.rank, e.code, titles.get(e.nomination_id, ""), e.value, e.se, e.raw_mean, e.raw_rank, e.rank_low,
                 e.rank_high, e.p_top, e.n_scores, e.component, e.in_top]
                for e in sorted(run.entries, key=lambda e: (e.rank, e.code))]
        return header, rows
    if table == "judges":
        header = ["judge"] + (["expert_id", "expert_name"] if auditor else []) + \
                 ["n_scores", "severity", "scale", "correlation", "rms_residual"]
        rows = [[d.code] + ([d.expert_id, names.get(d.expert_id, "")] if auditor else [])
                + [d.n_scores, d.severity, d.scale, d.correlation, d.rms_residual]
                for d in sorted(run.judges, key=lambda d: d.code)]
        return header, rows
    raise ValueError(f"unknown table {table!r}")


def _readable(session: Session, *, run: ResultRun, table: str, role: str, gettext
              ) -> tuple[list[list[Any]], list[str | None]]:
    """The table with headers in ``gettext``'s language and numbers rounded, and each column's number format."""
    keys, rows = table_rows(session, run=run, table=table, role=role)
    kinds = [COLUMNS[key][1] for key in keys]
    yes, no = gettext(N_("Yes")), gettext(N_("No"))
    # Yes/no and the familiarity codes (somewhat, familiar …) in words; numbers rounded.
    words = [key == "familiarity" for key in keys]
    body = [[(yes if v else no) if isinstance(v, bool) else gettext(v) if word and v else shown(v, kind)
             for v, kind, word in zip(row, kinds, words)] for row in rows]
    return [[gettext(COLUMNS[key][0]) for key in keys], *body], [FORMATS.get(kind) for kind in kinds]


def export(session: Session, *, run: ResultRun, table: str, fmt: str, role: str, gettext) -> tuple[bytes, str, str]:
    """The table as CSV or XLSX in ``gettext``'s language: ``(content, media type, file name)``."""
    rows, formats = _readable(session, run=run, table=table, role=role, gettext=gettext)
    name = filename(session, run, table, fmt)
    if fmt == "csv":
        return csv_bytes(rows), CSV_TYPE, name
    if fmt == "xlsx":
        about = [[label, str(value)] for label, value in metadata(session, run, gettext)]
        title = gettext(TITLES[table])
        return xlsx_bytes([(title, rows), (gettext(N_("About this export")), about)], formats={title: formats}), \
            XLSX_TYPE, name
    raise ValueError(f"unknown format {fmt!r}")


def digest(session: Session, *, run: ResultRun, table: str, fmt: str, role: str, gettext) -> tuple[bytes, str, str]:
    """The export's digest file: what it comes from, then its SHA-256 as ``sha256sum`` writes it. Exports are
    made from stored rows only, so the file downloaded before or after this one has this digest."""
    content, _media_type, name = export(session, run=run, table=table, fmt=fmt, role=role, gettext=gettext)
    return digest_text(content, name, about=metadata(session, run, gettext)), DIGEST_TYPE, f"{name}.sha256"
