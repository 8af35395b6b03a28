"""Reading nomination and expert tables as organizers upload them."""

import io

import pytest
from openpyxl import Workbook

from judging.tabular import RowError, TableError, read_table, resolve_columns

HEADER = ["类别", "城市", "成果名称", "完成人", "联系电话"]
ROWS = [
    ["十大科技成果", "南京", "高炉煤气余压发电优化", "王建国、李秀英", "13912345678"],
    ["十佳合理化建议", "徐州", "矿井通风节能改造建议", "张伟", "0516-83881234"],
]


def csv_bytes(rows, encoding, newline="\r\n"):
    text = newline.join(",".join(r) for r in rows) + newline
    return text.encode(encoding)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_csv_in_every_encoding_excel_writes_reads_the_same(encoding):
    table = read_table(csv_bytes([HEADER, *ROWS], encoding), "提名.csv")
    assert table.format == "csv"
    assert table.headers == tuple(HEADER)
    assert [r.values for r in table.rows] == [tuple(r) for r in ROWS]
    assert [r.number for r in table.rows] == [2, 3]


def test_gbk_file_is_reported_as_gb18030():
    table = read_table(csv_bytes([HEADER, *ROWS], "gbk"), "a.csv")
    assert table.encoding == "gb18030"
    assert read_table(csv_bytes([HEADER], "utf-8-sig"), "a.csv").encoding == "utf-8"


def test_bom_does_not_stick_to_first_header():
    table = read_table("\ufeff类别,城市\n十大科技成果,无锡\n".encode("utf-8"), "a.csv")
    assert table.headers[0] == "类别"


def test_undecodable_bytes_give_a_clear_error():
    with pytest.raises(TableError, match="UTF-8"):
        read_table(b"\xff\xff\xff\x80,abc\n", "a.csv")


def test_binary_file_rejected():
    with pytest.raises(TableError, match="binary"):
        read_table(b"abc\x00def", "a.csv")


@pytest.mark.parametrize("data", [b"", b"   \r\n\r\n", "\ufeff".encode()])
def test_empty_file_rejected(data):
    with pytest.raises(TableError, match="empty"):
        read_table(data, "a.csv")


def test_blank_first_row_is_not_a_header():
    with pytest.raises(TableError, match="first row"):
        read_table("\n类别,城市\n".encode(), "a.csv")


def test_trailing_and_inner_empty_rows_skipped_but_numbers_kept():
    data = "类别,城市\n十大科技成果,常州\n,\n首席员工,苏州\n,,\n\n,\n".encode()
    table = read_table(data, "a.csv")
    assert [(r.number, r.values) for r in table.rows] == [
        (2, ("十大科技成果", "常州")),
        (4, ("首席员工", "苏州")),
    ]


def test_short_rows_padded_and_cells_stripped():
    table = read_table("类别 , 城市 ,标题\n 首席员工 ,南通\n".encode(), "a.csv")
    assert table.headers == ("类别", "城市", "标题")
    assert table.rows[0].values == ("首席员工", "南通", "")


def test_quoted_multiline_cell_counts_as_one_row():
    data = '标题,简介\n"节能改造","第一行\n第二行"\n"另一项","x"\n'.encode()
    table = read_table(data, "a.csv")
    assert table.rows[0].values[1] == "第一行\n第二行"
    assert [r.number for r in table.rows] == [2, 3]


def test_max_rows():
    data = ("标题\n" + "x\n" * 11).encode()
    with pytest.raises(TableError, match="10"):
        read_table(data, "a.csv", max_rows=10)


def xlsx_bytes(rows):
    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_xlsx_round_trip_detected_by_content_not_name():
    data = xlsx_bytes([HEADER, *ROWS, [None] * 5, [None, None]])
    table = read_table(data, "misnamed.csv")
    assert table.format == "xlsx"
    assert table.headers == tuple(HEADER)
    assert [r.values for r in table.rows] == [tuple(r) for r in ROWS]
    assert [r.number for r in table.rows] == [2, 3]


def test_xlsx_numbers_read_as_typed():
    import datetime as dt

    data = xlsx_bytes([["姓名", "手机", "得分", "日期"], ["周杰", 13912345678, 92.5, dt.datetime(2026, 5, 1)]])
    row = read_table(data, "a.xlsx").rows[0]
    assert row.values == ("周杰", "13912345678", "92.5", "2026-05-01")


def test_broken_xlsx_and_old_xls_rejected():
    with pytest.raises(TableError, match="Excel"):
        read_table(b"PK\x03\x04garbage", "a.xlsx")
    with pytest.raises(TableError, match=".xls"):
        read_table(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "a.xls")


ALIASES = {
    "category": ["类别", "申报类别", "category"],
    "city": ["城市", "推荐单位", "city"],
    "title": ["成果名称", "项目名称", "title"],
}


def test_aliases_map_chinese_and_english_headers():
    cols = resolve_columns(["申报类别*", "City", " 项目名称 ", "备注"], ALIASES, required=["category", "title"])
    assert dict(cols.indexes) == {"category": 0, "city": 1, "title": 2}
    assert cols.unknown == ("备注",)
    assert cols.header("city") == "City"


def test_all_missing_required_columns_named_in_one_error():
    with pytest.raises(TableError) as err:
        resolve_columns(["备注"], ALIASES, required=["category", "city", "title"])
    message = str(err.value)
    assert "类别" in message and "城市" in message and "成果名称" in message


def test_duplicated_header_for_same_field_is_ambiguous():
    with pytest.raises(TableError, match="项目名称"):
        resolve_columns(["成果名称", "项目名称"], ALIASES)


def test_duplicated_unknown_headers_are_harmless():
    cols = resolve_columns(["类别", "备注", "备注", ""], ALIASES)
    assert cols.unknown == ("备注", "备注")


def test_row_error_is_frozen_value():
    e = RowError(3, "城市", "unknown city")
    assert e == RowError(3, "城市", "unknown city")
    with pytest.raises(AttributeError):
        e.row = 4


def test_excel_unicode_text_export_is_tab_separated_utf16():
    text = "\r\n".join("\t".join(r) for r in [HEADER, *ROWS]) + "\r\n"
    table = read_table(text.encode("utf-16"), "提名.txt")
    assert table.headers == tuple(HEADER) and table.rows[1].values == tuple(ROWS[1])


def test_xlsx_inflating_past_the_limit_rejected():
    data = xlsx_bytes([HEADER, *ROWS])
    with pytest.raises(TableError, match="unpacks"):
        read_table(data, "a.xlsx", max_uncompressed=1000)


def test_xlsx_gaps_keep_spreadsheet_row_numbers():
    wb = Workbook()
    ws = wb.active
    ws["A1"], ws["B1"] = "类别", "城市"
    ws["A2"], ws["B2"] = "十大科技成果", "淮安"
    ws["A5"], ws["B5"] = "首席员工", "盐城"
    ws["D9"] = None
    out = io.BytesIO()
    wb.save(out)
    table = read_table(out.getvalue(), "a.xlsx")
    assert [(r.number, r.values) for r in table.rows] == [(2, ("十大科技成果", "淮安")), (5, ("首席员工", "盐城"))]


def test_xlsx_with_wrong_dimension_is_read_in_full():
    import zipfile

    data = xlsx_bytes([HEADER, *ROWS])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(b'<dimension ref="A1:E3"/>', b'<dimension ref="A1"/>')
                assert b'<dimension ref="A1"/>' in content
            target.writestr(info, content)
    table = read_table(out.getvalue(), "a.xlsx")
    assert table.headers == tuple(HEADER) and len(table.rows) == 2


def test_table_error_carries_its_message_key_for_translation():
    with pytest.raises(TableError) as err:
        read_table(b"", "a.csv")
    assert err.value.key == "empty" and err.value.params == {}
    with pytest.raises(TableError) as err:
        resolve_columns(["备注"], ALIASES, required=["city"])
    assert err.value.key == "missing" and "城市" in err.value.params["columns"]
