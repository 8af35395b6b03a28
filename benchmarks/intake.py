"""Import 20,000 nominations from one XLSX through the intake service (validation, redaction against
the whole edition's names, storing, duplicate flags), in one transaction: time and peak memory.

Run: python benchmarks/intake.py [--rows 20000] [--database-url sqlite:///...]
Target: at most 60 s on the development machine (2 cores).
"""

from __future__ import annotations

import argparse
import io
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from intake_pure import synthetic_texts  # noqa: E402

CITIES = {"南京": 412, "无锡": 335, "徐州": 248, "常州": 221, "苏州": 693, "南通": 289, "连云港": 115,
          "淮安": 126, "盐城": 171, "扬州": 142, "镇江": 108, "泰州": 140, "宿迁": 112}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
CATEGORIES = ["十大科技成果", "十大先进操作法", "十佳合理化建议", "首席员工"]


def workbook(n_rows: int) -> bytes:
    import numpy as np
    from openpyxl import Workbook

    rng = np.random.default_rng(7)
    given = [chr(c) for c in range(0x4E00 + 500, 0x4E00 + 1500)]
    cities = list(CITIES)
    texts = synthetic_texts(n_rows, length=600, near_dups=20)
    header = ["类别", "城市", "项目名称", "简介", "正文", "完成人", "工作单位", "所属行业", "专利号", "联系电话", "电子邮箱"]
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(header)
    for i in range(n_rows):
        category = CATEGORIES[i % 4]
        people = ["".join([SURNAMES[rng.integers(len(SURNAMES))], *rng.choice(given, size=rng.integers(1, 3))])
                  for _ in range(1 if category == "首席员工" else int(rng.integers(1, 4)))]
        people = list(dict.fromkeys(people))
        city = cities[i % 13]
        employer = f"{city}{''.join(rng.choice(given, size=4))}有限公司"
        body = texts[i]
        summary = f"{people[0]}同志在{employer}开展技术攻关。" + body[:150]
        sheet.append([category, city, f"技术改造项目{i:05d}", summary, body + f"联系电话139{i:08d}。", "、".join(people),
                      employer, "装备制造", f"ZL2019{i:08d}.{i % 10}" if i % 3 == 0 else "", f"139{i:08d}",
                      f"user{i}@example.cn"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    from judging import audit
    from judging.db import create_db_engine, make_session_factory, upgrade
    from judging.editions.models import Category, CategoryKey, Edition, EditionStatus, Round, RoundKind
    from judging.nominations import importer, service
    from judging.nominations.storage import AttachmentStore

    tmp = Path(tempfile.mkdtemp(prefix="intake-bench-"))
    url = args.database_url or f"sqlite:///{tmp / 'bench.sqlite3'}"
    engine = create_db_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    actor = audit.Actor(None, "bench")
    with factory() as session:
        edition = Edition(year=2099, name="bench", status=EditionStatus.RUNNING, settings={})
        session.add(edition)
        for position, key in enumerate(CategoryKey):
            session.add(Category(edition=edition, key=key, name=CATEGORIES[position], top_n=10, position=position))
        session.add(Round(edition=edition, kind=RoundKind.PRELIMINARY, name="初评"))
        session.flush()
        service.set_quotas(session, edition=edition, units=[(c, "city", n) for c, n in CITIES.items()],
                           total=args.rows, by=actor)
        session.commit()
        edition_id = edition.id

    t0 = time.perf_counter()
    data = workbook(args.rows)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"workbook: {args.rows} rows, {len(data) / 1e6:.1f} MB, built in {time.perf_counter() - t0:.1f} s")

    t0, c0 = time.perf_counter(), time.process_time()
    with factory() as session:
        edition = session.get(Edition, edition_id)
        stages: dict[str, float] = {}

        def progress(fraction: float, message: str = "") -> None:
            stages.setdefault(message, time.perf_counter() - t0)

        record = importer.import_nominations(session, edition=edition, table_data=data, filename="bench.xlsx",
                                             store=AttachmentStore(tmp), by=actor, progress=progress)
        stages["commit"] = time.perf_counter() - t0
        session.commit()
        stages["committed"] = time.perf_counter() - t0
        print("stages (s from start): " + ", ".join(f"{k} {v:.1f}" for k, v in stages.items()))
        result = (record.status, record.created, len(record.errors))
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with factory() as session:
        from sqlalchemy import func, select

        from judging.nominations.models import Nomination, NominationFlag
        flags = session.scalar(select(func.count()).select_from(NominationFlag))
        masked = session.scalar(select(func.count()).select_from(Nomination).where(Nomination.summary.like("%■■■%")))
    print(f"import: status={result[0]} created={result[1]} errors={result[2]} flags={flags} "
          f"summaries masked={masked}")
    print(f"import time: {elapsed:.1f} s wall, {cpu:.1f} s CPU (target <= 60 s); "
          f"process max RSS {rss:.0f} MB (before the import {rss_before:.0f} MB); database {engine.url.get_backend_name()}")
    t0 = time.perf_counter()
    with factory() as session:
        edition = session.get(Edition, edition_id)
        again = importer.import_nominations(session, edition=edition, table_data=data, filename="bench.xlsx",
                                            store=AttachmentStore(tmp), by=actor)
        session.commit()
        print(f"re-import of the same file: created={again.created} unchanged={again.unchanged} "
              f"in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
