"""Import 20,000 nominations from one XLSX through the intake service (validation, redaction against
the whole edition's names, storing, duplicate flags), in one transaction: time and peak memory, beside
openpyxl reading the same file in read-only mode (the yardstick), each in a fresh process.

Run: python benchmarks/intake.py [--rows 20000] [--database-url sqlite:///...]
Targets (issue 21): peak RSS of the importing process <= 500 MB; wall <= 2x openpyxl read-only.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import subprocess
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


def read_only(path: Path) -> dict:
    """The yardstick: every cell of the file read by openpyxl in read-only mode, as the import reads it."""
    from openpyxl import load_workbook

    t0 = time.perf_counter()
    book = load_workbook(path, read_only=True, data_only=True)
    cells = sum(len(row) for row in book.active.iter_rows(values_only=True))
    book.close()
    return {"seconds": time.perf_counter() - t0, "cells": cells}


def prepare(url: str, rows: int) -> int:
    """A migrated database with an edition whose cities have quotas; returns the edition's id."""
    from judging import audit
    from judging.db import create_db_engine, make_session_factory, upgrade
    from judging.editions.models import Category, CategoryKey, Edition, EditionStatus, Round, RoundKind
    from judging.nominations import service

    engine = create_db_engine(url)
    upgrade(engine)
    with make_session_factory(engine)() as session:
        edition = Edition(year=2099, name="bench", status=EditionStatus.RUNNING, settings={})
        session.add(edition)
        for position, key in enumerate(CategoryKey):
            session.add(Category(edition=edition, key=key, name=CATEGORIES[position], top_n=10, position=position))
        session.add(Round(edition=edition, kind=RoundKind.PRELIMINARY, name="初评"))
        session.flush()
        service.set_quotas(session, edition=edition, units=[(c, "city", n) for c, n in CITIES.items()],
                           total=rows, by=audit.Actor(None, "bench"))
        session.commit()
        return edition.id


def import_file(url: str, edition_id: int, path: Path) -> dict:
    """The import as the page's job runs it (one transaction), with the time each stage started."""
    from judging import audit
    from judging.db import create_db_engine, make_session_factory
    from judging.editions.models import Edition
    from judging.nominations import importer
    from judging.nominations.storage import AttachmentStore

    factory = make_session_factory(create_db_engine(url))
    stages: dict[str, float] = {}
    t0 = time.perf_counter()

    def progress(fraction: float, message: str = "") -> None:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        stages.setdefault(message, f"{time.perf_counter() - t0:.1f} s (peak so far {peak:.0f} MB)")

    with factory() as session:
        record = importer.import_nominations(session, edition=session.get(Edition, edition_id),
                                             table_data=path.read_bytes(), filename=path.name,
                                             store=AttachmentStore(path.parent), by=audit.Actor(None, "bench"),
                                             progress=progress)
        session.commit()
        return {"seconds": time.perf_counter() - t0, "stages": stages, "status": record.status,
                "created": record.created, "unchanged": record.unchanged, "errors": len(record.errors)}


def in_fresh_process(*args: str) -> dict:
    """Run one measured phase in its own interpreter: its peak RSS is its own (ru_maxrss of that process)."""
    out = subprocess.run([sys.executable, __file__, "--phase", *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--phase", nargs="+", help=argparse.SUPPRESS)  # read PATH | import URL EDITION PATH
    args = parser.parse_args()
    if args.phase:
        kind, *rest = args.phase
        result = read_only(Path(rest[0])) if kind == "read" else import_file(rest[0], int(rest[1]), Path(rest[2]))
        result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result, ensure_ascii=False))
        return

    tmp = Path(tempfile.mkdtemp(prefix="intake-bench-"))
    url = args.database_url or f"sqlite:///{tmp / 'bench.sqlite3'}"
    t0 = time.perf_counter()
    path = tmp / "nominations.xlsx"
    path.write_bytes(workbook(args.rows))
    print(f"workbook: {args.rows} rows, {path.stat().st_size / 1e6:.1f} MB, built in {time.perf_counter() - t0:.1f} s")
    edition_id = prepare(url, args.rows)
    read = in_fresh_process("read", str(path))
    print(f"openpyxl read-only of the same file: {read['seconds']:.1f} s, {read['cells']} cells, "
          f"peak RSS {read['peak_mb']:.0f} MB")
    first = in_fresh_process("import", url, str(edition_id), str(path))
    print("stages, from the start: " + "; ".join(f"{k} {v}" for k, v in first["stages"].items()))
    print(f"import: status={first['status']} created={first['created']} errors={first['errors']}; "
          f"{first['seconds']:.1f} s wall = {first['seconds'] / read['seconds']:.1f}x openpyxl read-only (target <= 2); "
          f"peak RSS {first['peak_mb']:.0f} MB (target <= 500); database {url.split(':')[0]}")
    again = in_fresh_process("import", url, str(edition_id), str(path))
    print(f"re-import of the same file: created={again['created']} unchanged={again['unchanged']} in "
          f"{again['seconds']:.1f} s, peak RSS {again['peak_mb']:.0f} MB")


if __name__ == "__main__":
    main()
