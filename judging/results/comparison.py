"""Reading two runs side by side: who moves between them and which judges are behind a move, and where a
run's calibration moved a nomination against its raw mean."""

from __future__ import annotations

from sqlalchemy.orm import Session

from judging.errors import Conflict, N_
from judging.results.models import ResultRun


def compare_runs(session: Session, *, base: ResultRun, other: ResultRun, limit: int = 30) -> list[dict]:
    """Who moves between two runs of the same round and category, by how much, and the judges behind it.

    For each nomination the judges whose severity (in ``other``) is largest in magnitude among the
    judges who scored it are named: under an additive model the calibrated value is the raw mean
    plus the mean severity of its judges, so they are what moved it.
    """
    if (base.round_id, base.category_id) != (other.round_id, other.category_id):
        raise Conflict(N_("Only runs of the same round and category can be compared."))
    a = {e.nomination_id: e for e in base.entries}
    severity = {d.expert_id: (d.code, d.severity) for d in other.judges}
    judges_of: dict[int, list[int]] = {}
    for row in other.inputs.get("sheets", []):
        judges_of.setdefault(row["nomination"], []).append(row["expert"])
    rows = []
    for entry in other.entries:
        before = a.get(entry.nomination_id)
        if before is None:
            continue
        judges = sorted((severity[e] for e in judges_of.get(entry.nomination_id, []) if e in severity),
                        key=lambda cs: -abs(cs[1]))
        mean_sev = sum(s for _c, s in judges) / len(judges) if judges else 0.0
        rows.append({"code": entry.code, "nomination_id": entry.nomination_id, "rank_before": before.rank,
                     "rank_after": entry.rank, "move": before.rank - entry.rank,
                     "value_before": before.value, "value_after": entry.value,
                     "mean_severity": mean_sev, "judges": judges[:2]})
    rows.sort(key=lambda r: (-abs(r["move"]), r["rank_after"]))
    return rows[:limit]


def raw_vs_calibrated(run: ResultRun, *, limit: int = 30) -> list[dict]:
    """Movers within one run: raw-mean rank against calibrated rank, with the judges behind each move."""
    severity = {d.expert_id: (d.code, d.severity) for d in run.judges}
    judges_of: dict[int, list[int]] = {}
    for row in run.inputs.get("sheets", []):
        judges_of.setdefault(row["nomination"], []).append(row["expert"])
    rows = []
    for entry in run.entries:
        judges = sorted((severity[e] for e in judges_of.get(entry.nomination_id, []) if e in severity),
                        key=lambda cs: -abs(cs[1]))
        mean_sev = sum(s for _c, s in judges) / len(judges) if judges else 0.0
        rows.append({"code": entry.code, "nomination_id": entry.nomination_id, "rank_before": entry.raw_rank,
                     "rank_after": entry.rank, "move": entry.raw_rank - entry.rank, "value_before": entry.raw_mean,
                     "value_after": entry.value, "mean_severity": mean_sev, "judges": judges[:2]})
    rows.sort(key=lambda r: (-abs(r["move"]), r["rank_after"]))
    return [r for r in rows if r["move"]][:limit]
