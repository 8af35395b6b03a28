"""CSV and XLSX exports of a run: the scores it used (long form), its results and its judge diagnostics.

Every export carries the run's digests and its aggregation rule in words: CSV files open with ``# key: value`` lines, XLSX workbooks
have a ``run`` sheet. Scores come from the run's stored inputs, so an export matches its input digest.
Judges appear under the run's anonymous codes; auditors also get the expert's id and name.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from judging.nominations.models import Nomination
from judging.panels.models import Expert
from judging.results.models import ResultRun
from judging.tabular import CSV_TYPE, XLSX_TYPE, csv_bytes, xlsx_bytes

TABLES = ("scores", "results", "judges")


def metadata(run: ResultRun, gettext) -> list[tuple[str, Any]]:
    return [("run", run.id), ("round_id", run.round_id), ("category_id", run.category_id), ("method", run.method),
            ("rule", run.rule(gettext)),
            ("seed", run.seed), ("engine_version", run.engine_version), ("input_digest", run.input_digest),
            ("calibration_digest", run.calibration_digest), ("output_digest", run.output_digest),
            ("approved", run.approval is not None)]


def table_rows(session: Session, *, run: ResultRun, table: str, role: str) -> tuple[list[str], list[list[Any]]]:
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
        header = ["rank", "code", "title", "value", "se", "raw_mean", "raw_rank", "rank_low_90", "rank_high_90",
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


def export(session: Session, *, run: ResultRun, table: str, fmt: str, role: str, gettext) -> tuple[bytes, str]:
    """The table as CSV or XLSX, headed by the run's metadata (its rule in words in ``gettext``'s language)."""
    header, rows = table_rows(session, run=run, table=table, role=role)
    if fmt == "csv":
        return csv_bytes([header, *rows], comments=[f"{key}: {value}" for key, value in metadata(run, gettext)]), \
            CSV_TYPE
    if fmt == "xlsx":
        meta = [[key, str(value)] for key, value in metadata(run, gettext)]
        return xlsx_bytes([(table, [header, *rows]), ("run", meta)]), XLSX_TYPE
    raise ValueError(f"unknown format {fmt!r}")
