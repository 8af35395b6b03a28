"""Time the PDF reports at competition scale against a plain WeasyPrint document of the same page count.

Usage: python benchmarks/reports.py [--nominations 1000] [--judges 300] [--k 5] [--reps 200] [--keep DIR]

Synthetic data (stated so the figures can be judged): one category with a 4-criterion rubric
(0-10, weights .3/.2/.3/.2), ``--nominations`` nominations with Chinese titles, ``--judges`` experts,
each nomination scored by ``k`` judges drawn round-robin from a shuffled pool, consecutive
nominations sharing one judge (so the design is connected; every judge scores about n*k/m nominations), scores = quality - judge severity + noise
on 0.5 steps. A run with the additive method and ``--reps`` bootstrap replicates is stored in a
fresh SQLite file, then:

* ranking report (committee) of every nomination: target <= 20 s;
* judge sheets of all judges, one per page (committee): target <= 60 s;

each against a plain WeasyPrint document (same CJK font, one simple table per page) with the same
number of pages, rendered in the same process, so the machine's speed can be read off. Reading
the database is timed separately from rendering. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("JUDGING_PASSWORD_PROFILE", "cheapest")

from sqlalchemy import insert  # noqa: E402

from judging import audit, documents  # noqa: E402
from judging.db import create_db_engine, make_session_factory, upgrade  # noqa: E402
from judging.parts import assemble  # noqa: E402
from judging.settings import Settings  # noqa: E402
from judging.editions.models import (  # noqa: E402
    Category, CategoryKey, Criterion, Edition, EditionStatus, Round, RoundKind, RoundStatus, Rubric,
)
from judging.nominations.models import BlindCode, Nomination  # noqa: E402
from judging.panels.models import Assignment, Expert  # noqa: E402
from judging.reports import service as reports  # noqa: E402
from judging.results import service  # noqa: E402
from judging.scoring.models import CriterionScore, ScoreSheet, SheetStatus  # noqa: E402

BY = audit.Actor(None, "benchmark")
OBJECTS = ["高炉炉顶布料", "变电站巡检", "催化裂化装置", "大型起重机臂架", "纺纱断头", "地铁车辆转向架", "盾构隧道管片",
           "汽车焊装线", "晶圆清洗", "集装箱岸桥"]
METHODS = ["智能监测", "快速定位", "在线诊断", "自适应控制", "节能优化", "无损检测"]


def build(session, *, n: int, m: int, k: int, seed: int) -> tuple[int, int]:
    rng = random.Random(seed)
    edition = Edition(year=2031, name="2031年度职工科技创新成果评选（基准测试）", status=EditionStatus.RUNNING,
                      settings={"tie_rule": "item_se"})
    category = Category(edition=edition, key=CategoryKey.ACHIEVEMENT, name="十大科技成果", top_n=10)
    rubric = Rubric(category=category, name="评分标准")
    for position, (name, weight) in enumerate([("创新性", "0.3"), ("技术难度", "0.2"), ("经济效益", "0.3"),
                                                ("推广价值", "0.2")]):
        rubric.criteria.append(Criterion(position=position, name=name, weight=Decimal(weight),
                                         scale_min=Decimal(0), scale_max=Decimal(10), scale_step=Decimal("0.5")))
    round_ = Round(edition=edition, kind=RoundKind.PRELIMINARY, name="网络评审（初评）", status=RoundStatus.CLOSED)
    session.add_all([edition, category, rubric, round_])
    session.flush()
    criteria = [c.id for c in rubric.criteria]
    nominations = session.execute(insert(Nomination).returning(Nomination.id), [
        {"edition_id": edition.id, "category_id": category.id, "status": "confirmed",
         "title": f"{rng.choice(OBJECTS)}{rng.choice(METHODS)}技术研究（{i + 1}）", "summary": "", "body": ""}
        for i in range(n)]).scalars().all()
    experts = session.execute(insert(Expert).returning(Expert.id), [
        {"name": f"专家{j:03d}", "employer": f"单位{j}", "city": "南京", "fields": [], "max_load": 1000,
         "active": True, "phone": "", "email": ""} for j in range(m)]).scalars().all()
    session.execute(insert(BlindCode), [{"round_id": round_.id, "nomination_id": nid, "code": f"B{i:07d}X"}
                                        for i, nid in enumerate(nominations)])
    pool = list(experts)
    rng.shuffle(pool)
    severity = {e: rng.gauss(0, 0.8) for e in experts}
    pairs, position = [], 0
    for nid in nominations:
        chosen = set()
        while len(chosen) < k:
            chosen.add(pool[position % m])
            position += 1
        position -= 1  # the next nomination shares one judge with this one: a connected chain of panels
        pairs += [(nid, e) for e in sorted(chosen)]
    assignment_ids = session.execute(insert(Assignment).returning(Assignment.id), [
        {"round_id": round_.id, "nomination_id": nid, "expert_id": e} for nid, e in pairs]).scalars().all()
    sheet_ids = session.execute(insert(ScoreSheet).returning(ScoreSheet.id), [
        {"assignment_id": a, "status": SheetStatus.SUBMITTED, "comment": "", "familiarity": "familiar",
         "version": 1} for a in assignment_ids]).scalars().all()
    quality = {nid: rng.uniform(3, 9) for nid in nominations}
    rows = []
    for sheet_id, (nid, e) in zip(sheet_ids, pairs):
        for cid in criteria:
            value = min(10.0, max(0.0, round((quality[nid] - severity[e] + rng.gauss(0, 0.7)) * 2) / 2))
            rows.append({"sheet_id": sheet_id, "criterion_id": cid, "value": Decimal(str(value))})
    session.execute(insert(CriterionScore), rows)
    session.flush()
    return round_.id, category.id


PLAIN_PAGE = """<section style="page-break-after: always"><h2>第 {i} 页 · 对照文档</h2>
<table style="width:100%; border-collapse: collapse">{rows}</table></section>"""


def plain_document(pages: int, rows_per_page: int = 30) -> str:
    row = "<tr><td>{j}</td><td>职工科技创新成果评选对照表格文字</td><td style='text-align:right'>{v:.2f}</td></tr>"
    body = "".join(PLAIN_PAGE.format(i=i + 1, rows="".join(row.format(j=j, v=j * 1.5) for j in range(rows_per_page)))
                   for i in range(pages))
    return ("<html><head><meta charset='utf-8'><style>@page { size: A4; margin: 20mm } "
            "html { font-family: 'Noto Sans CJK SC'; font-size: 9pt }</style></head><body>" + body + "</body></html>")


def render_plain(pages: int) -> tuple[float, int]:
    from weasyprint import HTML

    started = time.perf_counter()
    document = HTML(string=plain_document(pages)).render()
    document.write_pdf()
    return time.perf_counter() - started, len(document.pages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nominations", type=int, default=1000)
    parser.add_argument("--judges", type=int, default=300)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="write the PDFs to this folder")
    parser.add_argument("--reports", default="ranking,judge", help="which reports to time (comma-separated)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="judging-bench-"))
    url = f"sqlite:///{folder / 'bench.sqlite3'}"
    assemble().install(Settings(database_url=url, var_dir=folder, jobs_backend="immediate"))  # as a process does
    engine = create_db_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    with factory() as session:
        started = time.perf_counter()
        round_id, category_id = build(session, n=args.nominations, m=args.judges, k=args.k, seed=args.seed)
        session.commit()
        print(f"data: {args.nominations} nominations, {args.judges} judges, k={args.k} "
              f"({args.nominations * args.k} sheets) built in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        run = service.create_run(session, round_id=round_id, category_id=category_id, method="additive",
                                 reps=args.reps, seed=7, by=BY)
        session.commit()
        run_id = run.id
        print(f"run: additive, {args.reps} bootstrap replicates, computed and stored in "
              f"{time.perf_counter() - started:.1f} s")
    render_plain(1)  # warm up fonts and WeasyPrint's caches once for both sides
    for kind, target in (("ranking", 20.0), ("judge", 60.0)):
        if kind not in args.reports.split(","):
            continue
        with factory() as session:
            started = time.perf_counter()
            draft = reports.report_draft(session, run_id=run_id, kind=kind, audience="committee", subject_id=None)
            read = time.perf_counter() - started
        started = time.perf_counter()
        rendered_pdf = documents.render_pdf(draft.template, draft.context)
        pdf, pages = rendered_pdf.content, rendered_pdf.pages
        rendered = time.perf_counter() - started
        plain, plain_pages = render_plain(pages)
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            (args.keep / f"{kind}.pdf").write_bytes(pdf)
        verdict = "ok" if read + rendered <= target else "OVER TARGET"
        print(f"{kind:8s} report: {pages:4d} pages, {len(pdf) / 1e6:5.2f} MB, read {read:5.2f} s + render "
              f"{rendered:6.2f} s = {read + rendered:6.2f} s (target <= {target:.0f} s: {verdict}); "
              f"plain WeasyPrint document of {plain_pages} pages: {plain:6.2f} s "
              f"(ratio {rendered / plain:4.2f})")
    engine.dispose()


if __name__ == "__main__":
    main()
