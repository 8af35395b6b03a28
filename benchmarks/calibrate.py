"""Benchmark of judgestats calibration methods on a synthetic sparse design.

Run from the repository root::

    python benchmarks/calibrate.py                  # 20,000 items x 3,000 judges x 1,000,000 scores
    python benchmarks/calibrate.py --scale 0.1      # a tenth of that
    python benchmarks/calibrate.py --methods additive,confidence --no-bootstrap

Prints, per method, wall time and memory, each measured in a fresh subprocess: "peak MiB"
is the peak of memory allocated during the call (numpy and Python allocations, via
``tracemalloc``), "RSS MiB" the whole process's peak resident size (interpreter, numpy,
scipy and the synthetic data included). The plain :func:`scipy.sparse.linalg.lsqr` run
on the same additive system is the reference (with its largest difference from
``additive``). ``r(true)`` and ``top10`` measure recovery of the true values / true top 10.
``rasch`` gets the scores cut into 5 rubric levels (quintiles). Figures are measured here
and reported in the docs, never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "statistics"))


def synthetic(n_items, n_judges, n_scores, seed=0, *, scale_bias=True):
    """Items with true values, judges with severity (and scale) bias, k scores per item.

    Each item is scored by ``k = n_scores // n_items`` distinct judges drawn at random.
    Score = 70 + scale_j * 8 * value_i - severity_j + noise(sd 4).
    """
    rng = np.random.default_rng(seed)
    k = max(2, n_scores // n_items)
    k = min(k, n_judges)
    # k distinct judges per item: random offsets on a random permutation ring
    perm = rng.permutation(n_judges)
    start = rng.integers(0, n_judges, n_items)
    step = rng.integers(1, max(2, n_judges // k), n_items)
    pos = (start[:, None] + step[:, None] * np.arange(k)[None, :]) % n_judges
    judge = perm[pos].ravel()
    item = np.repeat(np.arange(n_items), k)
    value = rng.normal(0.0, 1.0, n_items)
    severity = rng.normal(0.0, 4.0, n_judges)
    scale = np.exp(rng.normal(0.0, 0.25, n_judges)) if scale_bias else np.ones(n_judges)
    score = 70 + scale[judge] * 8 * value[item] - severity[judge] + rng.normal(0, 4, item.size)
    return item, judge, score, value, severity, scale


def _maxrss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def rubric_levels(score, n_levels=5):
    """Discretize continuous scores into ``n_levels`` ordinal rubric levels 1..n (quantiles)."""
    edges = np.quantile(score, np.linspace(0, 1, n_levels + 1)[1:-1])
    return 1.0 + np.searchsorted(edges, score)


def _child(spec):
    """Run one measurement in this (fresh) process; print a JSON line."""
    import judgestats
    from scipy import sparse
    from scipy.sparse.linalg import lsqr

    import tracemalloc

    item, judge, score, value, severity, _ = synthetic(
        spec["items"], spec["judges"], spec["scores"], spec["seed"])
    if spec["what"] == "rasch":
        score = rubric_levels(score)
    # warm-up on a tiny design: lazy imports and BLAS/LAPACK initialisation are paid once
    # per process by the application, not per calibration
    wi, wj, ws, *_ = synthetic(60, 12, 600, 1)
    for m in ("additive", "mixed", "affine"):  # warm-up; the warnings come back on the results
        judgestats.calibrate(wi, wj, ws, method=m, warn=False)
    base = _maxrss_mib()
    tracemalloc.start()
    t0 = time.perf_counter()
    out = {"what": spec["what"], "scores": int(score.size), "items": spec["items"],
           "judges": spec["judges"]}
    if spec["what"] == "lsqr":
        n = score.size
        a = sparse.csr_matrix(
            (np.ones(2 * n), (np.r_[np.arange(n), np.arange(n)], np.r_[item, spec["items"] + judge])),
            shape=(n, spec["items"] + spec["judges"]))
        res = lsqr(a, score, atol=1e-10, btol=1e-10, iter_lim=20000)
        v = res[0][: spec["items"]]
        out["iterations"] = int(res[2])
    elif spec["what"] == "bootstrap":
        u = judgestats.bootstrap(item, judge, score, spec["method"], 10, reps=spec["reps"],
                                 seed=1)
        v = u.item_value
        out["reps"] = spec["reps"]
    else:
        cal = judgestats.calibrate(item, judge, score, method=spec["what"], warn=False)
        v = cal.item_value
        out["iterations"] = cal.iterations
        out["converged"] = cal.converged
    out["seconds"] = time.perf_counter() - t0
    out["peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    out["rss_mib"] = _maxrss_mib()
    out["rss_growth_mib"] = _maxrss_mib() - base
    if spec["what"] == "lsqr":
        ref = judgestats.calibrate(item, judge, score, method="additive").item_value
        out["max_diff_vs_additive"] = float(np.max(np.abs((v - v.mean()) - (ref - ref.mean()))))
    out["corr_true"] = float(np.corrcoef(v, value)[0, 1])
    top = set(np.argsort(-value, kind="stable")[:10].tolist())
    out["top10_hits"] = len(top & set(np.argsort(-v, kind="stable")[:10].tolist()))
    print(json.dumps(out))


def _run(spec):
    env = dict(os.environ)
    proc = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)],
                          capture_output=True, text=True, env=env)
    if proc.returncode:
        return {"what": spec["what"], "error": proc.stderr.strip().splitlines()[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=20_000)
    ap.add_argument("--judges", type=int, default=3_000)
    ap.add_argument("--scores", type=int, default=1_000_000)
    ap.add_argument("--scale", type=float, default=1.0, help="multiply all three sizes")
    ap.add_argument("--methods", default="mean,trimmed,zscore,additive,confidence,affine")
    ap.add_argument("--small-methods", default="mixed,rasch",
                    help="methods measured on the small design (--small-scale)")
    ap.add_argument("--small-scale", type=float, default=0.1)
    ap.add_argument("--bootstrap-scores", type=int, default=100_000)
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--no-bootstrap", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        _child(json.loads(a.child))
        return 0
    import judgestats

    big = dict(items=int(a.items * a.scale), judges=int(a.judges * a.scale),
               scores=int(a.scores * a.scale), seed=a.seed)
    small = {k: (int(v * a.small_scale) if k != "seed" else v) for k, v in big.items()}
    print(f"judgestats {judgestats.__version__}, numpy {np.__version__}, "
          f"{os.cpu_count()} CPUs, python {sys.version.split()[0]}")
    header = f"{'what':<26}{'items':>8}{'judges':>8}{'scores':>10}{'seconds':>9}" \
             f"{'peak MiB':>10}{'RSS MiB':>9}{'iters':>7}{'r(true)':>9}{'top10':>7}"
    print(header)
    print("-" * len(header))

    def show(r, label=None):
        label = label or r["what"]
        if "error" in r:
            print(f"{label:<26} ERROR {r['error']}")
            return
        print(f"{label:<26}{r['items']:>8}{r['judges']:>8}{r['scores']:>10}"
              f"{r['seconds']:>9.2f}{r['peak_mib']:>10.0f}{r['rss_mib']:>9.0f}"
              f"{r.get('iterations', ''):>7}{r['corr_true']:>9.4f}{r['top10_hits']:>7}")
        if "max_diff_vs_additive" in r:
            print(f"{'':<26}(max |lsqr - additive| on item values: "
                  f"{r['max_diff_vs_additive']:.1e})")
        sys.stdout.flush()

    show(_run(dict(big, what="lsqr")), "scipy lsqr (additive)")
    for m in [x for x in a.methods.split(",") if x]:
        show(_run(dict(big, what=m)))
    for m in [x for x in a.small_methods.split(",") if x]:
        show(_run(dict(small, what=m)))
    if not a.no_bootstrap:
        f = a.bootstrap_scores / a.scores
        bs = dict(items=int(a.items * f), judges=int(a.judges * f),
                  scores=int(a.bootstrap_scores), seed=a.seed)
        show(_run(dict(bs, what="bootstrap", method="additive", reps=a.reps)),
             f"bootstrap additive x{a.reps}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
