"""Favouritism in one result run: do judges score their own city, employer group or industry higher?

Reads the run's stored scores (the submitted sheets' weighted totals it was computed from), the
judges' and the nominations' city, employer (and its parent group) and industry, and asks
``judgestats.favoritism`` once per dimension. Everything is returned as plain values; nothing is
stored here. The figures state an effect and its uncertainty; they accuse nobody.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import judgestats
import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from judging.errors import N_
from judging.nominations.models import NominationIdentity
from judging.panels.conflicts import city_key, employer_key, group_index
from judging.panels.models import Expert
from judging.results.models import ResultRun

DIMENSIONS = ("city", "employer_group", "industry")
DIMENSION_LABELS = {"city": N_("same city"), "employer_group": N_("same employer or parent group"),
                    "industry": N_("same industry")}
ALPHA = 0.05

# The engine's refusals, as the reader is told them (English ids, Chinese in integrity.po).
_NOT_TESTED = (
    ("no affine scores", N_("No judge scored a nomination of their own group.")),
    ("True for every score", N_("Every score is from a judge of the nomination's own group; there is nothing "
                                "to compare with.")),
    ("disconnected", N_("The judges and nominations fall into separate groups with no judge in common, so "
                        "quality and severity cannot be told apart.")),
    ("explained entirely", N_("Who shares a group with whom is explained by the judges and nominations "
                              "themselves (for example all of a judge's scores are of their own group).")),
)


def _industry(value: str | None) -> str:
    return " ".join((value or "").split()).casefold()


def _groups(session: Session, experts: dict[int, Expert], identities: dict[int, NominationIdentity]):
    """The key of each judge and nomination in each dimension ('' when unknown: never affine)."""
    groups = group_index(session)

    def group_of(employer: str) -> str:
        key = employer_key(employer)
        return f"g{groups[key][0]}" if key in groups else (f"e{key}" if key else "")

    judge_keys = {e.id: {"city": city_key(e.city), "employer_group": group_of(e.employer),
                         "industry": _industry(e.industry)} for e in experts.values()}
    item_keys = {i.nomination_id: {"city": city_key(i.city), "employer_group": group_of(i.employer),
                                   "industry": _industry(i.industry)} for i in identities.values()}
    return judge_keys, item_keys


def _reason(exc: ValueError) -> str:
    text = str(exc)
    return next((msg for needle, msg in _NOT_TESTED if needle in text),
                N_("The data do not allow the test."))


def _side_by_side(rows, affinity, expert_id: int, totals_by_nomination) -> list[dict[str, Any]]:
    """The judge's affine scores beside the mean of the other judges of the same nomination."""
    out = []
    for row, affine in zip(rows, affinity):
        if not affine or row["expert"] != expert_id:
            continue
        others = [t for e, t in totals_by_nomination[row["nomination"]] if e != expert_id]
        panel = float(np.mean(others)) if others else None
        out.append({"code": row["code"], "score": row["total"], "panel": panel, "n_panel": len(others),
                    "difference": None if panel is None else row["total"] - panel})
    return sorted(out, key=lambda r: r["code"])


def _dimension(rows, item, judge, score, affinity, expert_ids, totals_by_nomination) -> dict[str, Any]:
    result: dict[str, Any] = {"n_affine": int(affinity.sum()), "tested": False}
    try:
        fav = judgestats.favoritism(item, judge, score, affinity, alpha=ALPHA, warn=False)
    except ValueError as exc:
        result["reason"] = _reason(exc)
        return result
    pj = fav.per_judge
    result.update(tested=True, effect=fav.effect, se=fav.se, ci=list(fav.ci), pvalue=fav.pvalue, df=fav.df,
                  cluster=fav.options["cluster"], judges_tested=int(pj.tested.sum()), tau=pj.tau)
    result["flagged"] = [
        {"expert": expert_ids[j], "bonus": float(pj.bonus[j]), "se": float(pj.se[j]),
         "shrunk": float(pj.shrunk[j]), "pvalue": float(pj.pvalue[j]), "qvalue": float(pj.qvalue[j]),
         "n_affine": int(pj.n_affine[j]), "n_other": int(pj.n_other[j]),
         "rows": _side_by_side(rows, affinity, expert_ids[j], totals_by_nomination)}
        for j in fav.flagged.tolist()]
    return result


def analyse_run(session: Session, run: ResultRun) -> dict[str, Any]:
    """Favouritism by city, employer group and industry for one run, as plain values."""
    rows = [dict(r, total=float(r["total"])) for r in run.inputs.get("sheets", [])]
    expert_ids = sorted({r["expert"] for r in rows})
    nomination_ids = sorted({r["nomination"] for r in rows})
    experts = {e.id: e for e in session.scalars(select(Expert).where(Expert.id.in_(expert_ids)))}
    identities = {i.nomination_id: i for i in session.scalars(
        select(NominationIdentity).where(NominationIdentity.nomination_id.in_(nomination_ids)))}
    judge_keys, item_keys = _groups(session, experts, identities)
    jcode = {e: k for k, e in enumerate(expert_ids)}
    icode = {n: k for k, n in enumerate(nomination_ids)}
    item = np.array([icode[r["nomination"]] for r in rows], dtype=np.int64)
    judge = np.array([jcode[r["expert"]] for r in rows], dtype=np.int64)
    score = np.array([r["total"] for r in rows], dtype=np.float64)
    totals: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for r in rows:
        totals[r["nomination"]].append((r["expert"], r["total"]))
    dimensions = {}
    for dim in DIMENSIONS:
        affinity = np.array([bool(judge_keys.get(r["expert"], {}).get(dim))
                             and judge_keys[r["expert"]][dim] == item_keys.get(r["nomination"], {}).get(dim)
                             for r in rows], dtype=bool)
        if not rows:
            dimensions[dim] = {"n_affine": 0, "tested": False, "reason": _NOT_TESTED[0][1]}
            continue
        dimensions[dim] = _dimension(rows, item, judge, score, affinity, expert_ids, totals)
    return {"n_scores": len(rows), "n_judges": len(expert_ids), "n_nominations": len(nomination_ids),
            "alpha": ALPHA, "dimensions": dimensions,
            "flagged_experts": sorted({f["expert"] for d in dimensions.values() for f in d.get("flagged", [])})}
