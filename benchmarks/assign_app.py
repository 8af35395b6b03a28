"""Assignment through the app (stored nominations and experts, affinities, conflicts, solve, plan stored,
commit) against the solver alone on the very instance the app built: preview ratio and commit time.

Run: python benchmarks/assign_app.py [--size large|medium|small] [--database-url URL]
Targets (issue 21): preview <= 2x the solver alone on the same instance; commit <= 10 s (large:
20,000 nominations x 3,000 experts, k = 5).

The data is synthetic but stored as the app stores it: nominations of one category with an industry
among 30 fields of uneven popularity and a 600-character text (benchmarks/intake_pure.py), employers
and cities (13) on both sides; experts with 1-3 fields. The same city is a conflict, as in the
preliminary round of the demo edition. Rows are inserted in bulk (intake has its own benchmark).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from intake_pure import synthetic_texts  # noqa: E402

SIZES = {"small": (2000, 300), "medium": (8000, 1200), "large": (20_000, 3000)}
FIELDS = ["钢铁冶金", "电力工程", "石油化工", "机械制造", "汽车制造", "电子信息", "通信工程", "软件工程",
          "建筑工程", "道路桥梁", "轨道交通", "港口航运", "纺织服装", "食品加工", "医药制造", "环境保护",
          "新能源", "材料科学", "化学工程", "安全工程", "质量管理", "设备检修", "自动化控制", "数控加工",
          "焊接技术", "人力资源", "技能培训", "经营管理", "财务管理", "物流管理"]
CITIES = ["南京", "无锡", "徐州", "常州", "苏州", "南通", "连云港", "淮安", "盐城", "扬州", "镇江", "泰州", "宿迁"]


def populate(factory, n: int, m: int) -> tuple[int, int]:
    """An edition with ``n`` confirmed nominations in one category and ``m`` active experts; returns the
    (round id, category id) to assign."""
    from sqlalchemy import insert, select

    from judging.editions.models import Category, CategoryKey, Edition, EditionStatus, Round, RoundKind
    from judging.nominations.models import Nomination, NominationIdentity, NominationStatus
    from judging.panels.models import Expert

    rng = np.random.default_rng(11)
    popularity = 1 / np.sqrt(np.arange(1, len(FIELDS) + 1))
    popularity /= popularity.sum()
    texts = synthetic_texts(n, length=600, near_dups=0)
    with factory() as session:
        edition = Edition(year=2099, name="bench", status=EditionStatus.RUNNING,
                          settings={"conflict_same_city": True})
        category = Category(edition=edition, key=CategoryKey.ACHIEVEMENT, name="十大科技成果", top_n=10, position=0)
        round_ = Round(edition=edition, kind=RoundKind.PRELIMINARY, name="初评")
        session.add_all([edition, category, round_])
        session.flush()
        industries = rng.choice(len(FIELDS), n, p=popularity)
        session.execute(insert(Nomination), [
            {"edition_id": edition.id, "category_id": category.id, "status": NominationStatus.CONFIRMED,
             "title": f"{FIELDS[industries[i]]}技术改造项目{i:05d}", "summary": texts[i][:150], "body": texts[i]}
            for i in range(n)])
        ids = session.scalars(select(Nomination.id).where(Nomination.edition_id == edition.id)
                              .order_by(Nomination.id)).all()
        session.execute(insert(NominationIdentity), [
            {"nomination_id": nid, "inventors": [], "employer": f"{CITIES[i % 13]}第{i % 400}机械有限公司",
             "city": CITIES[i % 13], "industry": FIELDS[industries[i]]} for i, nid in enumerate(ids)])
        session.execute(insert(Expert), [
            {"name": f"专家{j:04d}", "employer": f"{CITIES[j % 13]}第{j % 300}研究院", "city": CITIES[(j * 7) % 13],
             "fields": [FIELDS[f] for f in rng.choice(len(FIELDS), int(rng.integers(1, 4)), replace=False,
                                                      p=popularity)],
             "max_load": 60, "active": True} for j in range(m)])
        session.commit()
        return round_.id, category.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=SIZES, default="large")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    n, m = SIZES[args.size]

    from judging import audit, parts
    from judging.db import create_db_engine, make_session_factory, upgrade
    from judging.panels import service
    from judging.panels.assignment import solve
    from judging.panels.plan_settings import PlanSettings

    from judging.settings import Settings

    tmp = Path(tempfile.mkdtemp(prefix="assign-bench-"))
    url = args.database_url or f"sqlite:///{tmp / 'bench.sqlite3'}"
    parts.install(Settings(database_url=url, var_dir=tmp))  # the judges are told of their items, as in the app
    engine = create_db_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    t0 = time.perf_counter()
    round_id, category_id = populate(factory, n, m)
    print(f"instance: {n} nominations x {m} experts stored in {time.perf_counter() - t0:.1f} s "
          f"({engine.url.get_backend_name()})")
    settings = PlanSettings(mode="k", k=5, max_load=int(np.ceil(n * 5 / m)) + 2, same_city=True, seed=1)
    actor = audit.Actor(None, "bench")

    marks: dict[str, float] = {}
    t0 = time.perf_counter()

    def progress(fraction: float, message: str = "") -> None:
        marks.setdefault(message or f"{fraction:.2f}", time.perf_counter() - t0)

    with factory() as session:
        plan = service.preview_plan(session, round_id=round_id, category_id=category_id, settings=settings,
                                    by=actor, progress=progress, release_while_solving=True)
        session.commit()
        plan_id, pairs = plan.id, len(plan.pairs)
    preview = time.perf_counter() - t0
    print("preview stages (s from start): " + ", ".join(f"{k} {v:.1f}" for k, v in marks.items()
                                                        if not k[0].isdigit()))

    with factory() as session:  # the solver alone, on the instance the app built (built again, untimed)
        round_, category = service.get_round_category(session, round_id=round_id, category_id=category_id)
        nominations = service.eligible_nominations(session, round_=round_, category=category)
        experts = service.active_experts(session)
        inst = service.build_instance(session, round_=round_, category=category, nominations=nominations,
                                      experts=experts, same_city=True)
    caps = np.minimum(np.array([e.max_load for e in experts]), settings.max_load)
    t0 = time.perf_counter()
    solve(inst.affinity, k=settings.k, max_load=caps, min_load=0, conflicts=inst.conflicts.matrix, seed=settings.seed)
    alone = time.perf_counter() - t0

    t0 = time.perf_counter()
    with factory() as session:
        committed = service.commit_plan(session, plan_id=plan_id, by=actor)
        session.commit()
    commit = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"preview through the app: {preview:.1f} s, {pairs} pairs; solver alone on the same instance: "
          f"{alone:.1f} s; ratio {preview / alone:.2f} (target <= 2)")
    print(f"commit: {committed} assignments in {commit:.1f} s (target <= 10 s); process max RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
