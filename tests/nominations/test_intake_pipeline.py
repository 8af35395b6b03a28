"""The pure intake blocks compose: a city's GBK spreadsheet and ZIP of attachments become blinded submissions."""

import io
import zipfile

from PIL import Image

from judging.nominations.attachments import blinded_name, read_zip_archive, sanitize
from judging.nominations.blinding import format_code, is_valid_code, new_codes
from judging.nominations.quotas import allocate_targets
from judging.nominations.redaction import NameIndex, leftovers, redact
from judging.nominations.rows import parse_nomination_rows
from judging.tabular import read_table
from judging.textsim import near_duplicates

CITIES = {"南京": 412, "无锡": 335, "徐州": 248, "常州": 221, "苏州": 693, "南通": 289, "连云港": 115,
          "淮安": 126, "盐城": 171, "扬州": 142, "镇江": 108, "泰州": 140, "宿迁": 112}

SHEET = """类别,城市,项目名称,简介,完成人,工作单位,联系电话,附件
十大科技成果,南京,高炉煤气余压发电效率提升技术,"王建国团队在南京钢铁股份有限公司研发透平叶片在线清洗装置，年创效780万元，联系人电话13912345678。",王建国、李秀英,南京钢铁股份有限公司,13912345678,照片.jpg
十大先进操作法,徐州,液压支架快速检修操作法,"刘刚同志总结的检修方法使支架检修时间缩短40%，已在徐州工程机械集团推广。",刘刚,徐州工程机械集团有限公司,0516-83881234,
十佳合理化建议,苏州,空压机余热回收利用建议,"利用空压机余热加热生活用水，年节电120万千瓦时，节约费用96万元，建议在全公司推广应用。",陈静,苏州热工研究院有限公司,,
十佳合理化建议,无锡,空压机余热回收再利用的建议,"利用空压机余热加热生活用水，年节电125万千瓦时，节约费用98万元，建议在全公司推广应用。",周杰,无锡一棉纺织集团有限公司,,
"""


def photo_with_exif():
    exif = Image.Exif()
    exif[0x013B] = "Wang Jianguo"
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "gray").save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_city_upload_to_blinded_submissions():
    targets = allocate_targets(CITIES, 100)
    assert sum(targets.values()) == 100 and targets["苏州"] > targets["宿迁"]

    table = read_table(SHEET.encode("gbk"), "南京市推荐汇总表.csv")
    rows, errors = parse_nomination_rows(table, known_cities=CITIES)
    assert errors == [] and len(rows) == 4

    index = NameIndex.build(
        persons=[p for r in rows for p in r.inventors], employers=[r.employer for r in rows]
    )
    codes = new_codes(len(rows))
    redacted = {code: redact(r.summary, r.identifying_strings(), global_names=index) for code, r in zip(codes, rows)}
    first = redacted[codes[0]].text
    for secret in ("王建国", "南京钢铁", "13912345678"):
        assert secret not in first
    assert "徐州工程机械集团" not in redacted[codes[1]].text and "刘刚" not in redacted[codes[1]].text
    assert all(is_valid_code(format_code(c)) for c in codes)

    # The same suggestion sent by two cities is flagged for the organizer.
    pairs = near_duplicates([r.summary for r in rows], threshold=0.7)
    assert [(p.i, p.j) for p in pairs] == [(2, 3)]

    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("照片.jpg", photo_with_exif())
    files = read_zip_archive(archive.getvalue())
    clean = sanitize(files[rows[0].attachments[0]], rows[0].attachments[0])
    assert b"Wang Jianguo" not in clean.data
    assert blinded_name(codes[0], 1, clean.ext) == f"{codes[0]}-01.jpg"
    assert leftovers(clean.text, rows[0].identifying_strings(), global_names=index) == ()
