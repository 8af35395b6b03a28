"""Benchmark of judgestats.favoritism against the additive calibration on the same data, same run.

Run from the repository root::

    python benchmarks/favoritism.py                 # 20,000 items x 3,000 judges x 1,000,000 scores
    python benchmarks/favoritism.py --scale 0.1     # a tenth of that

The design is the synthetic one of ``benchmarks/calibrate.py`` (k judges per item, severity and
scale bias), with judges and items in 30 groups (cities); a judge scoring an item of their own
group is affine, affine scores get +0.5 and the first 20 judges +8 more. Both functions run
``--repeat`` times, alternating, after a warm-up; the best time of each is printed (the machine
is shared, so the minimum is the figure least disturbed by other work), with the ratio
favoritism / additive. Figures are printed, never asserted in tests.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "statistics"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from calibrate import synthetic  # noqa: E402  (the same design as the calibration benchmark)


def design(n_items, n_judges, n_scores, seed, groups=30):
    item, judge, score, *_ = synthetic(n_items, n_judges, n_scores, seed)
    rng = np.random.default_rng(seed + 1)
    item_group = rng.integers(0, groups, n_items)
    judge_group = rng.integers(0, groups, n_judges)
    affinity = item_group[item] == judge_group[judge]
    personal = np.zeros(n_judges)
    personal[:20] = 8.0
    score = score + (0.5 + personal[judge]) * affinity
    return item, judge, score, affinity


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=20_000)
    ap.add_argument("--judges", type=int, default=3_000)
    ap.add_argument("--scores", type=int, default=1_000_000)
    ap.add_argument("--scale", type=float, default=1.0, help="multiply all three sizes")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    import judgestats

    n_items, n_judges, n_scores = (int(x * a.scale) for x in (a.items, a.judges, a.scores))
    item, judge, score, affinity = design(n_items, n_judges, n_scores, a.seed)
    wi, wj, ws, wa = design(600, 90, 6000, 1)
    judgestats.calibrate(wi, wj, ws, method="additive", warn=False)
    judgestats.favoritism(wi, wj, ws, wa, warn=False)
    times = {"additive": [], "favoritism": []}
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        cal = judgestats.calibrate(item, judge, score, method="additive", warn=False)
        times["additive"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        fav = judgestats.favoritism(item, judge, score, affinity, warn=False)
        times["favoritism"].append(time.perf_counter() - t0)
    best = {k: min(v) for k, v in times.items()}
    print(f"judgestats {judgestats.__version__}, numpy {np.__version__}, python "
          f"{sys.version.split()[0]}; {n_items} items x {n_judges} judges x {item.size} scores, "
          f"{int(affinity.sum())} affine; best of {a.repeat}")
    print(f"additive calibration  {best['additive']:8.2f} s   (all: "
          f"{', '.join(f'{t:.2f}' for t in times['additive'])}; iterations {cal.iterations})")
    print(f"favoritism            {best['favoritism']:8.2f} s   (all: "
          f"{', '.join(f'{t:.2f}' for t in times['favoritism'])})")
    print(f"ratio favoritism / additive: {best['favoritism'] / best['additive']:.2f}")
    planted = set(range(20))
    flagged = set(fav.flagged.tolist())
    print(f"effect {fav.effect:.3f} (95% CI {fav.ci[0]:.3f} to {fav.ci[1]:.3f}); flagged "
          f"{len(flagged)} judges, {len(flagged & planted)} of the 20 planted")
    return 0


if __name__ == "__main__":
    sys.exit(main())
