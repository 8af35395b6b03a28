"""Nomination import rows: aliases, per-cell problems, first inventor, fingerprints."""

import io

import pytest
from openpyxl import Workbook

from judging.nominations.redaction import redact
from judging.nominations.rows import CATEGORIES, parse_category, parse_nomination_rows
from judging.tabular import read_table

CITIES = ["南京", "无锡", "徐州", "常州", "苏州", "南通", "连云港", "淮安", "盐城", "扬州", "镇江", "泰州", "宿迁", "省建设工会"]

HEADER = ["类别", "城市", "项目名称", "简介", "完成人", "工作单位", "所属行业", "专利号", "联系电话", "电子邮箱", "附件", "以创造者命名"]
GOOD = [
    ["十大科技成果", "南京", "高炉煤气余压发电效率提升技术", "透平叶片在线清洗，年创效780万元。", "王建国、李秀英，张伟",
     "南京钢铁股份有限公司", "冶金", "ZL201910123456.7；CN109876543B", "139 1234 5678", "wangjg@NJSTEEL.com.cn",
     "申报书.pdf; 证书.jpg", "否"],
    ["十大先进操作法", "徐州市", "王刚液压支架快速检修操作法", "检修时间缩短40%。", "王刚", "徐州工程机械集团有限公司",
     "装备制造", "", "0516-83881234", "", "", "是"],
    ["合理化建议", "苏州", "空压机余热回收利用建议", "年节电120万千瓦时。", "陈静", "苏州热工研究院有限公司",
     "", "", "", "", "", ""],
    ["首席员工", "连云港", "港口装卸设备维修首席员工", "三十年扎根一线。", "刘海", "连云港港口集团有限公司",
     "交通运输", "", "", "", "", ""],
]


def table_of(rows, header=HEADER):
    text = "\n".join(",".join(f'"{c}"' for c in r) for r in [header, *rows]) + "\n"
    return read_table(text.encode("utf-8-sig"), "nominations.csv")


def parse(rows, header=HEADER, **kw):
    kw.setdefault("known_cities", CITIES)
    return parse_nomination_rows(table_of(rows, header), **kw)


def test_good_rows_parse_into_clean_nominations():
    rows, errors = parse(GOOD)
    assert errors == []
    assert [r.category for r in rows] == ["achievement", "operating_method", "suggestion", "chief_employee"]
    first = rows[0]
    assert first.row == 2 and first.city == "南京"
    assert first.inventors == ("王建国", "李秀英", "张伟") and first.first_inventor == "王建国"
    assert first.patents == ("ZL201910123456.7", "CN109876543B")
    assert first.phone == "13912345678" and first.email == "wangjg@njsteel.com.cn"
    assert first.attachments == ("申报书.pdf", "证书.jpg")
    assert rows[1].city == "徐州" and rows[1].phone == "0516-83881234" and rows[1].name_after_creator


def test_category_names_keys_and_short_forms():
    for key, name in CATEGORIES.items():
        assert parse_category(name) == key and parse_category(key) == key
    assert parse_category("操作法") == "operating_method"
    assert parse_category(" Chief Employee ") == "chief_employee"
    assert parse_category("优秀论文") is None


def test_english_headers_and_xlsx_work_too():
    header = ["Category", "City", "Title", "Summary", "Inventors", "Employer"]
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    ws.append(["achievement", "无锡", "纺机节能改造", "节能30%", "周杰", "无锡一棉纺织集团有限公司"])
    ws.append([None] * 6)
    out = io.BytesIO()
    wb.save(out)
    rows, errors = parse_nomination_rows(read_table(out.getvalue(), "a.xlsx"), known_cities=CITIES)
    assert errors == [] and rows[0].city == "无锡" and rows[0].inventors == ("周杰",)


def test_missing_required_columns_is_one_error_on_row_one():
    rows, errors = parse([["十大科技成果", "南京"]], header=["类别", "城市"])
    assert rows == []
    assert len(errors) == 1 and errors[0].row == 1
    assert "完成人" in errors[0].problem and "工作单位" in errors[0].problem


def problems(row, **kw):
    _, errors = parse([row], **kw)
    return {(e.row, e.column): e.problem for e in errors}


def with_(index, value, base=None):
    row = list(base or GOOD[0])
    row[index] = value
    return row


@pytest.mark.parametrize(
    ("index", "value", "column", "phrase"),
    [
        (0, "", "类别", "required"),
        (0, "优秀论文", "类别", "Unknown category"),
        (1, "上海", "城市", "Unknown city"),
        (1, "", "城市", "required"),
        (2, "", "项目名称", "required"),
        (2, "长" * 101, "项目名称", "Too long"),
        (4, "", "完成人", "required"),
        (4, "王建国、王建国", "完成人", "twice"),
        (4, "王建国、13912345678", "完成人", "person's name"),
        (5, "", "工作单位", "required"),
        (7, "ZL2019101234", "专利号", "patent number"),
        (8, "12345", "联系电话", "mobile"),
        (9, "wangjg-at-njsteel", "电子邮箱", "e-mail"),
        (10, "../../etc/passwd", "附件", "file name"),
        (10, "a.pdf; A.PDF", "附件", "twice"),
        (11, "也许", "以创造者命名", "是 or 否"),
        (11, "是", "以创造者命名", "Only operating methods"),
    ],
)
def test_each_bad_cell_reported_on_its_row_and_column(index, value, column, phrase):
    found = problems(with_(index, value))
    assert (2, column) in found, found
    assert phrase in found[(2, column)]


def test_category_not_open_in_this_edition():
    found = problems(GOOD[2], categories=["achievement", "operating_method"])
    assert "not open" in found[(2, "类别")]


def test_all_problems_of_a_row_reported_together():
    _, errors = parse([["优秀论文", "上海", "", "", "", "", "", "", "", "", "", ""]])
    assert {e.column for e in errors} >= {"类别", "城市", "项目名称", "完成人", "工作单位", "简介"}


def test_bad_rows_do_not_stop_good_ones():
    rows, errors = parse([GOOD[0], with_(1, "上海"), GOOD[2]])
    assert [r.row for r in rows] == [2, 4]
    assert [e.row for e in errors] == [3]


def test_judged_content_required():
    assert problems(with_(3, "")) == {}  # no summary, but attachments are listed: fine
    no_content = with_(10, "", with_(3, ""))
    assert "summary" in problems(no_content)[(2, "简介")]


def test_first_inventor_column_reorders_or_must_be_listed():
    header = [*HEADER, "第一完成人"]
    rows, errors = parse([[*GOOD[0], "张伟"]], header=header)
    assert errors == [] and rows[0].inventors == ("张伟", "王建国", "李秀英")
    rows, errors = parse([[*with_(4, ""), "赵强"]], header=header)
    assert errors == [] and rows[0].inventors == ("赵强",)
    _, errors = parse([[*GOOD[0], "赵强"]], header=header)
    assert [(e.column, "not among" in e.problem) for e in errors] == [("第一完成人", True)]


def test_chief_employee_names_one_person():
    found = problems(with_(4, "刘海、孙丽", GOOD[3]))
    assert "exactly one person" in found[(2, "完成人")]


def test_full_width_and_spaced_input_is_normalized():
    row = with_(8, "１３９－１２３４－５６７８", with_(7, "ＺＬ２０１９１０１２３４５６．７", with_(1, "南京市")))
    rows, errors = parse([row])
    assert errors == []
    assert rows[0].city == "南京" and rows[0].phone == "13912345678" and rows[0].patents == ("ZL201910123456.7",)


def test_landline_forms():
    for phone, expected in [("(025)84561234", "025-84561234"), ("0512 65521234", "0512-65521234"), ("025-84561234-801", "025-84561234-801")]:
        rows, errors = parse([with_(8, phone)])
        assert errors == [] and rows[0].phone == expected, phone


def test_duplicate_row_in_the_same_file_reported():
    rows, errors = parse([GOOD[0], GOOD[1], with_(3, "改写后的简介", GOOD[0])])
    assert [r.row for r in rows] == [2, 3]
    assert errors[0].row == 4 and "row 2" in errors[0].problem


def test_fingerprint_is_stable_across_reimport_and_cosmetic_changes():
    rows_a, _ = parse(GOOD)
    rows_b, _ = parse(list(reversed(GOOD)))
    assert {r.fingerprint for r in rows_a} == {r.fingerprint for r in rows_b}
    variant = with_(5, "南京钢铁有限公司", with_(2, "高炉煤气余压发电效率提升技术。", with_(1, "南京市")))
    variant = with_(3, "修订后的简介", variant)
    (a,), _ = parse([GOOD[0]])
    (b,), _ = parse([variant])
    assert a.fingerprint == b.fingerprint
    assert a.content_digest != b.content_digest
    (c,), _ = parse([with_(4, "李秀英、王建国")])  # a different first inventor is a different nomination
    assert c.fingerprint != a.fingerprint
    assert len(a.fingerprint) == 64


def test_identifying_strings_feed_redaction():
    (row,), _ = parse([GOOD[0]])
    strings = row.identifying_strings(extra_employer_forms=["南钢"])
    assert strings["person"] == ["王建国", "李秀英", "张伟"]
    assert "南京钢铁" in strings["employer"] and "南钢" in strings["employer"]
    text = "王建国带领南钢团队，与南京钢铁股份有限公司合作，专利CN109876543B，电话13912345678。"
    redacted = redact(text, strings)
    for s in ["王建国", "南钢", "南京钢铁", "CN109876543B", "13912345678"]:
        assert s not in redacted.text


def test_city_written_as_the_city_federation_of_trade_unions():
    for written in ["南京市总工会", "南京市", " 南京 "]:
        rows, errors = parse([with_(1, written)])
        assert errors == [] and rows[0].city == "南京", written
    rows, errors = parse([with_(1, "省建设工会")])
    assert errors == [] and rows[0].city == "省建设工会"
    rows, errors = parse([with_(1, "南京")], known_cities=["南京市", "苏州市"])
    assert errors == [] and rows[0].city == "南京市"


def test_text_judges_read_keeps_chinese_punctuation():
    row = with_(2, "高炉煤气（TRT）余压发电：效率提升", with_(3, "年创效780万元，节约标煤3800吨。"))
    (parsed,), errors = parse([row])
    assert errors == []
    assert parsed.title == "高炉煤气（TRT）余压发电：效率提升"
    assert parsed.summary == "年创效780万元，节约标煤3800吨。"
