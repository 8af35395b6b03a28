"""For Excel users: the fill-in templates downloaded, filled and imported back (page and CLI), a moved or
renamed column named and nothing stored; exports with headers in the reader's language, rounded numbers,
an About sheet, one charset and a digest file that ``sha256sum -c`` accepts."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import subprocess

import pytest
from helpers import csrf_token, login
from nominations.test_app_intake import edition_in_formal_review
from openpyxl import load_workbook
from results.factories import ORGANIZER, demo_ids
from sqlalchemy import func, select

from judging.demo import DEMO_PASSWORDS
from judging.editions.models import CategoryKey
from judging.i18n import translations
from judging.nominations.models import Nomination, NominationImport
from judging.nominations.rows import COLUMN_ALIASES, TEMPLATE_COLUMNS
from judging.panels.importer import ALIASES as EXPERT_ALIASES
from judging.panels.importer import TEMPLATE_COLUMNS as EXPERT_COLUMNS
from judging.panels.models import Expert
from judging.results import service as results
from judging.results.models import ResultRun
from judging.tabular import normalize_header

ROWS = [  # what a city's office types into the template, by column header (Chinese template)
    {"类别": "十大科技成果", "城市": "南京", "项目名称": "转炉煤气回收智能控制系统", "完成人": "周明、陈静",
     "工作单位": "南京钢铁股份有限公司", "简介": "自动判断煤气成分并切换回收，年多回收煤气一千二百万立方米。",
     "联系电话": 13912345678, "所属行业": "制造业"},
    {"类别": "十大先进操作法", "城市": "徐州", "项目名称": "挖掘机液压系统快速排障操作法", "完成人": "刘刚",
     "工作单位": "徐州工程机械集团有限公司", "简介": "按压力读数三步定位故障，排障时间缩短一半。",
     "以创造者命名": "是"},
    {"类别": "十佳合理化建议", "城市": "苏州", "项目名称": "冷却水循环利用建议", "完成人": "沈丽",
     "工作单位": "苏州纺织印染有限公司", "简介": "回收冷却水用于预洗，年节水四万吨。", "联系电话": "0512-65123456"},
]


def _organizer(client, *, lang: str = "zh_CN"):
    login(client, "organizer", DEMO_PASSWORDS["organizer"])
    client.cookies.set("lang", lang)


def _fill(template: bytes, rows: list[dict], *, rename: tuple[str, str] | None = None,
          swap: tuple[int, int] | None = None) -> bytes:
    """Fill the template's first sheet as a user does, optionally renaming one header or swapping two columns."""
    book = load_workbook(io.BytesIO(template))
    sheet = book.worksheets[0]
    headers = [re.sub(r"\s*\*$", "", cell.value) for cell in sheet[1]]
    for row in rows:
        sheet.append([row.get(header, "") for header in headers])
    if rename:
        for cell in sheet[1]:
            if cell.value.startswith(rename[0]):
                cell.value = rename[1]
    if swap:
        a, b = swap
        for row in sheet.iter_rows():
            row[a].value, row[b].value = row[b].value, row[a].value
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _upload(client, content: bytes) -> str:
    token = csrf_token(client, "/organizer/nominations/import")
    response = client.post("/organizer/nominations/import", data={"_csrf_token": token},
                           files={"table": ("推荐表.xlsx", content, "application/octet-stream")}, follow_redirects=False)
    assert response.status_code in (302, 303), response.text[:500]
    link = re.search(r'href="(/organizer/nominations/imports/\d+)"', client.get(response.headers["location"]).text)
    return client.get(link.group(1)).text


def _count(session_factory, model) -> int:
    with session_factory() as s:
        return s.scalar(select(func.count()).select_from(model))


# ------------------------------------------------------------------------------------------ templates


def test_every_template_header_is_read_back_in_both_languages():
    chinese = translations("zh_CN").gettext
    for columns, aliases in ((TEMPLATE_COLUMNS, COLUMN_ALIASES), (EXPERT_COLUMNS, EXPERT_ALIASES)):
        for field, label in columns:
            accepted = {normalize_header(name) for name in (field, *aliases[field])}
            assert normalize_header(label) in accepted and normalize_header(chinese(label)) in accepted, field


def test_the_nominations_template_has_lists_instructions_and_an_example(client, demo, session_factory):
    edition_in_formal_review(session_factory)
    _organizer(client)
    page = client.get("/organizer/nominations/import")
    assert 'href="/organizer/nominations/template.xlsx"' in page.text
    response = client.get("/organizer/nominations/template.xlsx")
    assert response.status_code == 200 and response.content[:2] == b"PK"
    assert 'filename="nominations-template-2027.xlsx"' in response.headers["content-disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[:3] == ["推荐项目", "填写说明", "示例"] and book["_lists"].sheet_state == "hidden"
    data = book.worksheets[0]
    assert [c.value for c in data[1]][:6] == ["类别 *", "城市 *", "项目名称 *", "完成人 *", "第一完成人", "工作单位 *"]
    assert data.max_row == 1  # nothing to delete before filling
    lists = {str(rule.sqref).split(":")[0]: rule.formula1 for rule in data.data_validations.dataValidation}
    assert {"A2", "B2", "I2"} <= set(lists)  # category, city, industry
    column = re.fullmatch(r"'_lists'!\$([A-Z]+)\$2:\$[A-Z]+\$\d+", lists["A2"]).group(1)
    assert {"十大科技成果", "首席员工"} <= {c.value for c in book["_lists"][column]}
    example = book["示例"]
    assert example[2][0].value == "十大科技成果" and example[2][2].value == "高炉风口智能巡检机器人"
    guide = [row[0] for row in book["填写说明"].iter_rows(values_only=True)]
    assert any("请勿移动" in (text or "") for text in guide)
    english = client.get("/organizer/nominations/template.xlsx", cookies={"lang": "en"})
    sheet = load_workbook(io.BytesIO(english.content)).worksheets[0]
    assert [c.value for c in sheet[1]][:3] == ["Category *", "City *", "Title *"]


def test_a_filled_template_imports_through_the_page_and_the_cli(client, demo, session_factory, db_url, cli, tmp_path):
    edition_in_formal_review(session_factory)
    _organizer(client)
    template = client.get("/organizer/nominations/template.xlsx").content
    chinese = _fill(template, ROWS[:2])
    report = _upload(client, chinese)
    assert 'id="count-created">2<' in report
    # The same file through the CLI: the same service, so the same rows are known and nothing is added.
    (tmp_path / "推荐表.xlsx").write_bytes(chinese)
    again = cli("nominations", "import", str(tmp_path / "推荐表.xlsx"), "--edition", "2027", url=db_url,
                env={"JUDGING_VAR_DIR": str(tmp_path)})
    assert again.returncode == 0 and "2 rows, 0 created, 0 updated, 2 unchanged" in again.stdout, again.stdout
    with session_factory() as s:
        titles = set(s.scalars(select(Nomination.title)))
    assert {"转炉煤气回收智能控制系统", "挖掘机液压系统快速排障操作法"} <= titles

    english = client.get("/organizer/nominations/template.xlsx", cookies={"lang": "en"}).content
    filled = tmp_path / "nominations.xlsx"
    filled.write_bytes(_fill(english, [{"Category": "suggestion", "City": "苏州", "Title": ROWS[2]["项目名称"],
                                        "Inventors": "沈丽", "Employer": ROWS[2]["工作单位"],
                                        "Summary": ROWS[2]["简介"]}]))
    done = cli("nominations", "import", str(filled), "--edition", "2027", url=db_url,
               env={"JUDGING_VAR_DIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert ": imported; 1 rows, 1 created" in done.stdout, done.stdout
    with session_factory() as s:
        record = s.scalar(select(NominationImport).order_by(NominationImport.id.desc()).limit(1))
        assert record.created == 1 and record.created_by_id is None
        # Read by the app's process after two commands wrote: its view of the SQLite file is whole.
        assert s.scalar(select(func.count()).select_from(Nomination).where(Nomination.title == "冷却水循环利用建议")) == 1


def test_a_moved_or_renamed_column_is_named_and_nothing_is_stored(client, demo, session_factory, db_url, cli,
                                                                  tmp_path):
    edition_in_formal_review(session_factory)
    _organizer(client)
    template = client.get("/organizer/nominations/template.xlsx").content
    before = _count(session_factory, Nomination)
    renamed = _upload(client, _fill(template, ROWS, rename=("项目名称", "名字")))
    assert "模板第 C 列应为“项目名称 / Title”，而不是“名字”" in renamed
    moved = _upload(client, _fill(template, ROWS, swap=(2, 3)))
    assert "模板第 C 列应为“项目名称 / Title”，而不是“完成人 *”" in moved
    wrong = _upload(client, _fill(template, [{**ROWS[0], "类别": "优秀论文"}, ROWS[1]]))
    assert "未知类别" in wrong or "Unknown category" in wrong
    assert re.search(r"<td[^>]*>2</td>\s*<td[^>]*>类别", wrong), wrong[wrong.find("<table"):][:1500]
    assert _count(session_factory, Nomination) == before

    path = tmp_path / "renamed.xlsx"
    path.write_bytes(_fill(template, ROWS, rename=("城市", "地区")))
    refused = cli("nominations", "import", str(path), "--edition", "2027", url=db_url,
                  env={"JUDGING_VAR_DIR": str(tmp_path)})
    assert refused.returncode == 2
    assert "Column B of the template must be “城市 / City”, not “地区”" in refused.stderr
    assert "nothing imported" in refused.stderr
    assert _count(session_factory, Nomination) == before


def test_the_experts_template_imports_back_and_a_renamed_column_is_named(client, demo, session_factory):
    _organizer(client)
    assert 'href="/organizer/panels/experts/template.xlsx"' in client.get("/organizer/panels/experts").text
    template = client.get("/organizer/panels/experts/template.xlsx").content
    assert [c.value for c in load_workbook(io.BytesIO(template)).worksheets[0][1]][:4] == \
        ["姓名 *", "工作单位 *", "城市 *", "专业领域 *"]
    rows = [{"姓名": "欧阳明", "工作单位": "河海大学", "城市": "南京", "专业领域": "水利工程；自动化",
             "电子邮箱": "oym@example.com", "最大评审量": 20},
            {"姓名": "司马青", "工作单位": "江南大学", "城市": "无锡", "专业领域": "食品工程", "电话": 13800001111}]
    before = _count(session_factory, Expert)
    token = csrf_token(client, "/organizer/panels/experts")
    bad = client.post("/organizer/panels/experts/import", data={"_csrf_token": token},
                      files={"file": ("专家.xlsx", _fill(template, rows, rename=("专业领域", "职称")), "application/octet-stream")})
    assert bad.status_code == 400 and "模板第 D 列应为“专业领域 / Fields of expertise”，而不是“职称”" in bad.text
    assert _count(session_factory, Expert) == before
    good = client.post("/organizer/panels/experts/import", data={"_csrf_token": token},
                       files={"file": ("专家.xlsx", _fill(template, rows), "application/octet-stream")})
    assert good.status_code == 200 and "已导入 2 位专家。" in good.text
    with session_factory() as s:
        loads = dict(s.execute(select(Expert.name, Expert.max_load).where(Expert.name.in_(["欧阳明", "司马青"]))).all())
    assert loads == {"欧阳明": 20, "司马青": 30}


# ------------------------------------------------------------------------------------------ exports


def _run(session_factory) -> int:
    with session_factory() as session:
        round_id, category_id = demo_ids(session, CategoryKey.OPERATING_METHOD)
        run = results.create_run(session, round_id=round_id, category_id=category_id, method="mean", reps=20,
                                 by=ORGANIZER)
        session.commit()
        return run.id


def test_exports_speak_the_readers_language_round_numbers_and_carry_their_digest(client, demo, session_factory,
                                                                                  tmp_path):
    run_id = _run(session_factory)
    _organizer(client)
    response = client.get(f"/results/runs/{run_id}/export/results.csv")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    name = re.search(r'filename="([^"]+)"', response.headers["content-disposition"]).group(1)
    assert re.fullmatch(rf"2026-run{run_id}-mean-results-\d{{8}}T\d{{4}}Z\.csv", name)
    text = response.content.decode("utf-8-sig")
    assert not any(line.startswith("#") for line in text.splitlines())
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0])[:4] == ["名次", "编号", "项目名称", "校准值"]
    assert all(re.fullmatch(r"\d+", r["名次"]) and re.fullmatch(r"-?\d+(\.\d{1,2})?", r["校准值"]) for r in rows)
    assert all(re.fullmatch(r"0(\.\d{1,3})?|1(\.0)?", r["进入前 N 名的概率"]) for r in rows)

    sidecar = client.get(f"/results/runs/{run_id}/export/results.csv.sha256")
    assert sidecar.headers["content-type"] == "text/plain; charset=utf-8"
    with session_factory() as s:
        run = s.get(ResultRun, run_id)
        digests = (run.input_digest, run.output_digest)
    assert f"# 输入摘要: {digests[0]}" in sidecar.text and f"# 输出摘要: {digests[1]}" in sidecar.text
    assert sidecar.text.splitlines()[-1] == f"{hashlib.sha256(response.content).hexdigest()}  {name}"
    (tmp_path / name).write_bytes(response.content)
    (tmp_path / f"{name}.sha256").write_text(sidecar.text, encoding="utf-8")
    checked = subprocess.run(["sha256sum", "-c", f"{name}.sha256"], check=False, cwd=tmp_path, capture_output=True, text=True)
    assert checked.returncode == 0 and f"{name}: OK" in checked.stdout

    english = client.get(f"/results/runs/{run_id}/export/judges.xlsx", cookies={"lang": "en"})
    book = load_workbook(io.BytesIO(english.content))
    assert book.sheetnames == ["Judges", "About this export"]
    header = [c.value for c in book["Judges"][1]]
    assert header == ["Judge", "Number of scores", "Severity", "Scale", "Correlation", "RMS residual"]
    for row in book["Judges"].iter_rows(min_row=2, values_only=True):
        assert all(v is None or round(v, 3) == v for v in row[2:])
    expected = [None, None, "0.00", "0.000", "0.000", "0.00"]  # Excel shows 1.50, not 1.5
    shown = [(c.number_format, want) for c, want in zip(book["Judges"][2], expected) if isinstance(c.value, float)]
    assert shown and all(fmt == want for fmt, want in shown)
    about = dict(book["About this export"].iter_rows(values_only=True))
    assert about["Run"] == str(run_id) and about["Method"] == "mean" and about["Edition"] == "2026"
    assert about["Output digest"] == digests[1] and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", about["Made at"])
    assert client.get(f"/results/runs/{run_id}/export/judges.xlsx.sha256").status_code == 404


def test_csv_exports_name_their_charset_once(client, demo):
    _organizer(client)
    assert client.get("/organizer/quotas/export.csv").headers["content-type"] == "text/csv; charset=utf-8"


def test_numbers_are_rounded_to_what_they_mean():
    from judging.results.exports import shown

    assert shown(83.125, "score") == 83.13 and shown("27.500", "score") == 27.5  # half up, as by hand
    assert shown(0.98765, "share") == 0.988 and shown(4.0, "rank") == 4 and isinstance(shown(4.0, "rank"), int)
    assert shown("J07", None) == "J07" and shown(None, "score") is None and shown(12, None) == 12


def test_a_template_is_read_from_its_data_sheet_and_held_to_its_layout():
    from judging.tabular import (
        TableError,
        TemplateColumn,
        read_table,
        resolve_columns,
        template_bytes,
    )

    columns = [TemplateColumn("名称", required=True, example="示例项目"), TemplateColumn("城市", choices=["南京"])]
    labels = dict.fromkeys(("column", "required", "note", "example", "yes", "no"), "x")
    content = template_bytes(kind="demo", columns=columns, titles={"data": "填写", "instructions": "说明",
                                                                   "example": "示例"},
                             labels=labels, instructions=["=not a formula"])
    book = load_workbook(io.BytesIO(content))
    assert book["说明"]["A1"].value == "'=not a formula"  # every written cell goes through formula_safe
    book.active = 1  # saved with the instructions sheet open: still the data sheet is read
    book["填写"].append(["项目甲", "南京"])
    buffer = io.BytesIO()
    book.save(buffer)
    table = read_table(buffer.getvalue())
    assert table.template == "demo" and table.headers == ("名称 *", "城市") and table.rows[0].values == ("项目甲", "南京")
    aliases = {"title": ["名称"], "city": ["城市"]}
    layout = [("title", "名称 / Title"), ("city", "城市 / City")]
    assert resolve_columns(table.headers + ("备注",), aliases, layout=layout).indexes == {"title": 0, "city": 1}
    with pytest.raises(TableError) as deleted:
        resolve_columns(("名称",), aliases, layout=layout)
    assert deleted.value.key == "layout" and deleted.value.params == {"letter": "B", "expected": "城市 / City",
                                                                      "found": ""}
