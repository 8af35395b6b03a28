"""Page latency of a city account nominating online: 30 nominations with an attachment each, through the form.

Usage: python benchmarks/city_nomination.py [--nominations N] [--database-url URL]

The app is served by uvicorn (one worker, in threads of this process) on loopback and driven by one
keep-alive httpx client, one request at a time (one city office at work). For each nomination the city
opens the blank form, posts it with its PDF (multipart: the file goes through the intake's sanitizer),
opens the saved draft, submits it (redaction against the edition's names, identity apart, the file stored
twice, duplicate flags, the import report, the audit events) and reads its list with the quota. Each page's
p50/p95/max is printed; the target is p95 <= 200 ms per page.

By default a temporary database is created on the local PostgreSQL server and dropped afterwards; the
edition (the demo's categories and rubrics, in 推荐, thirteen cities with their employees) is made through
the services. Timings on a shared machine vary; they are printed, never asserted.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import os
import re
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("JUDGING_PASSWORD_PROFILE", "cheapest")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from benchmarks.in_process import free_port, percentiles, serve_in_thread  # noqa: E402
from benchmarks.scratch_db import benchmark_database  # noqa: E402

PASSWORD = "bench-City-2026"
CITIES = {"南京": 412, "无锡": 335, "徐州": 248, "常州": 221, "苏州": 693, "南通": 289, "连云港": 115, "淮安": 126,
          "盐城": 171, "扬州": 142, "镇江": 108, "泰州": 140, "宿迁": 112}


SURNAMES = "李赵钱孙周吴郑冯陈褚卫蒋沈韩杨朱秦尤许何"
GIVEN = ("秀英", "建华", "志强", "海燕", "国栋")


def _pdf(n: int) -> bytes:
    """A one-page PDF with a line of text, as a scanned 推荐表 would carry (its text is checked for names)."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(300, 300)
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): DictionaryObject(
        {NameObject("/F1"): writer._add_object(font)})})
    content = DecodedStreamObject()
    content.set_data(f"BT /F1 12 Tf 20 250 Td (Application form {n}, patent ZL20191012345{n % 10}.7) Tj ET".encode())
    page[NameObject("/Contents")] = writer._add_object(content)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _form(n: int) -> dict[str, str]:
    return {"title": f"高炉煤气余压发电效率提升技术第{n:02d}项",
            "summary": f"第{n}项：王建国团队研发透平叶片在线清洗装置，年创效{700 + n}万元。",
            "body": "一、背景：高炉煤气余压发电效率偏低。二、内容：王建国提出在线清洗方法，已推广应用。" * 20,
            "inventors": f"王建国、{SURNAMES[n % len(SURNAMES)]}{GIVEN[n // len(SURNAMES) % len(GIVEN)]}", "team": "张伟（工艺设计）、李娜（检测）",
            "employer": f"南京钢铁股份有限公司第{n + 1}炼铁厂", "short_names": "南钢", "industry": "钢铁冶金",
            "patents": "ZL201910123456.7", "completed_on": "2025-06-30", "frontline": "是",
            "phone": "13912345678", "email": "wjg@njsteel.com.cn"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nominations", type=int, default=30)
    parser.add_argument("--database-url", help="an empty database to use (default: a temporary PostgreSQL one)")
    args = parser.parse_args()
    with benchmark_database(args.database_url, prefix="judging_cities_bench") as url:
        _measure(url, args.nominations)


def _prepare(factory) -> int:
    """The edition in 推荐 for 成果 with the quota of 南京 large enough, and the city's account; the category id."""
    from judging import audit
    from judging.accounts import add_user
    from judging.accounts.models import Role
    from judging.demo.content import current_edition_spec
    from judging.editions.models import CategoryKey
    from judging.editions.service import create_edition
    from judging.nominations.service import set_quotas
    from judging.stages.models import StageKind
    from judging.stages.service import open_stage

    by = audit.Actor.system("benchmark")
    with factory() as session:
        edition = create_edition(session, spec=dataclasses.replace(current_edition_spec(), year=2032,
                                                                   name="2032年度职工科技创新成果评选"), by=by)
        category = next(c for c in edition.categories if c.key is CategoryKey.ACHIEVEMENT)
        set_quotas(session, edition=edition, units=[(name, "city", count) for name, count in CITIES.items()],
                   total=400, category_totals={category.id: 400}, by=by)
        open_stage(session, category_id=category.id, kind=StageKind.NOMINATION, by=by)
        add_user(session, username="nanjing", password=PASSWORD, role=Role.NOMINATOR, city="南京", by=by)
        session.commit()
        return category.id


def _measure(url: str, n: int) -> None:
    from judging.db import create_db_engine, make_session_factory, upgrade
    from judging.parts import assemble
    from judging.settings import Settings
    from judging.web.app import create_app

    engine = create_db_engine(url)
    var_dir = Path(tempfile.mkdtemp(prefix="city-bench-"))
    settings = Settings(database_url=url, secret_key="benchmark", var_dir=var_dir, jobs_backend="immediate",
                        embedded_worker=False)
    assemble().install(settings)
    try:
        upgrade(engine)
        category_id = _prepare(make_session_factory(engine))
        port = free_port()
        server = serve_in_thread(create_app(settings, engine), port)
        pages: dict[str, list[float]] = {}

        def timed(label: str, call):
            started = time.perf_counter()
            response = call()
            pages.setdefault(label, []).append((time.perf_counter() - started) * 1000)
            assert response.status_code < 400, (label, response.status_code, re.findall(r"(?:error|field-error)[^>]*>([^<]+)", response.text))
            return response

        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            token = re.search(r'name="_csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
            client.post("/login", data={"username": "nanjing", "password": PASSWORD, "_csrf_token": token})
            for i in range(n):
                blank = timed("GET /city/new (blank form)", lambda: client.get(f"/city/new?category={category_id}"))
                token = re.search(r'name="_csrf_token" value="([^"]+)"', blank.text).group(1)
                saved = timed("POST /city/entries (draft + PDF)", lambda: client.post(
                    "/city/entries", data={**_form(i), "category": str(category_id), "_csrf_token": token},
                    files=[("files", (f"推荐表{i:02d}.pdf", _pdf(i), "application/pdf"))]))
                entry = saved.headers["location"].split("?")[0]
                timed("GET /city/entries/{id} (draft)", lambda: client.get(entry))
                timed("POST /city/entries/{id}/submit", lambda: client.post(f"{entry}/submit",
                                                                             data={"_csrf_token": token}))
                timed("GET /city (list and quota)", lambda: client.get("/city/"))
        server.should_exit = True

        backend = make_url(url).get_backend_name()
        print(f"a city nominating online on {backend}: {n} nominations with a PDF each, one user, keep-alive")
        print(f"{'page':<36}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
        worst = 0.0
        for label, samples in pages.items():
            p50, p95, top = percentiles(samples)
            worst = max(worst, p95)
            print(f"{label:<36}{p50:>9.1f}{p95:>9.1f}{top:>9.1f}")
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        print(f"target p95 <= 200 ms per page: {'met' if worst <= 200 else 'NOT met'} (worst p95 {worst:.1f} ms)")
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
