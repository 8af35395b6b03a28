"""Redaction holds against the forms real 推荐表 write identities in, and the review's own detector
finds what redaction was never told about."""

from __future__ import annotations

import pytest

from judging.nominations import places
from judging.nominations.detector import detect
from judging.nominations.identity import Identity, OwnNames, employer_forms, person_forms, pinyin_forms, traditional
from judging.nominations.redaction import NameIndex, find_identifiers, redact
from judging.nominations.rows import parse_nomination_rows
from judging.tabular import read_table

WEI = Identity(persons=("韦卫东", "施建国", "马明", "欧阳晓峰"), employer="南京钢铁股份有限公司",
               short_names=("南钢", "南钢股份", "NISCO"), city="南京", patents=("ZL201910123456.7",),
               phones=("18186676380", "025-84561234"), emails=("weiwd@njsteel.com.cn",))
EDITION = NameIndex.build(persons=["王建国", "李秀英"], employers=["徐州工程机械集团有限公司"],
                          short_names=["徐工", "XCMG", "沙钢"])
NAMES = OwnNames(WEI.strings(), EDITION)


def masked(text: str) -> str:
    return redact(text, global_names=NAMES).text


@pytest.mark.parametrize("text, secret", [
    ("韋衛東同志带领团队攻关", "韋衛東"),                    # traditional characters
    ("项目负责人 Wei Weidong 介绍", "Wei Weidong"),          # pinyin, family name first
    ("WEIDONG WEI, senior engineer", "WEIDONG WEI"),        # pinyin, given name first, capitals
    ("韦工在现场指导", "韦工"), ("韦总工亲自把关", "韦总工"), ("韦师傅手把手教", "韦师傅"),
    ("大家都叫他小韦，", "小韦"), ("形成了韦氏操作法", "韦氏"), ("老韦说", "老韦"),
    ("欧阳工带领的班组", "欧阳工"),                          # compound surname
    ("南钢股份炼铁厂", "南钢股份"), ("在南钢推广", "南钢"), ("NISCO 的高炉", "NISCO"),
    ("南京钢铁的透平", "南京钢铁"),                          # without the legal form
    ("与徐工合作", "徐工"), ("XCMG 的起重机", "XCMG"),          # another employer's known short names
    ("在南京市推广", "南京市"), ("在南京地区推广", "南京地区"), ("江宁区的车间", "江宁区"), ("江宁基地", "江宁"),
    ("专利201910123456.7", "201910123456.7"), ("专利ZL201910123456", "ZL201910123456"),
    ("专利号2019101234567", "2019101234567"), ("ZL 2019 1 0123456.7", "2019 1 0123456.7"),
    ("另有专利ZL202310987654.3", "202310987654.3"),          # someone else's, by its shape
    ("电话181.8667.6380", "181.8667.6380"), ("电话(181)8667-6380", "8667-6380"),
    ("手机尾号6380", "6380"), ("座机8456-1234", "8456-1234"), ("办公室电话：84561234", "84561234"),
    ("邮箱 weiwd at njsteel dot com dot cn", "njsteel"), ("li.ming at example.com", "li.ming"),
    ("li(at)example(dot)cn", "li(at)"),
    ("身份证 320102 19800101 1234", "19800101"),
])
def test_each_form_is_masked(text, secret):
    assert secret not in masked(text)


@pytest.mark.parametrize("text", [
    "施工现场安全管理", "马氏体组织细化", "每小时产量", "误差小于0.1mm", "玄武岩纤维", "东海之滨",
    "2019-2023年累计", "年节约3200-4000元", "增长12.5%", "PLC 控制系统", "本公司技术人员",
])
def test_everyday_words_stay(text):
    assert masked(text) == text


def test_forms_are_derived_for_every_completer():
    assert traditional("韦卫东") == "韋衛東"
    assert pinyin_forms("韦卫东") == ["weiweidong", "weidongwei"]
    assert {"韦工", "韦总工", "韦师傅", "小韦", "韦氏", "韋工"} <= set(person_forms("韦卫东"))
    assert "欧阳工" in person_forms("欧阳晓峰") and "欧工" not in person_forms("欧阳晓峰")
    forms = employer_forms("国网江苏省电力有限公司苏州供电分公司")
    assert {"苏州供电分公司", "苏州供电公司", "国网江苏省电力"} <= set(forms)
    assert "沙钢集团" in employer_forms("江苏沙钢集团有限公司")


def test_city_forms_come_from_the_shipped_list_of_the_province():
    assert len(places.cities()) == 13
    forms = places.city_forms("南京市总工会")
    assert {"南京", "南京市", "南京地区", "江宁区", "江宁", "玄武区", "金陵"} <= set(forms)
    assert "玄武" not in forms  # 玄武岩 is basalt: only with its suffix
    assert places.city_forms("省建设工会") == ()


def test_an_allowed_place_stays():
    identity = Identity(persons=("韦卫东",), employer="南京钢铁股份有限公司", city="南京", allowed=("江宁",))
    text = redact("江宁基地与南京市", global_names=OwnNames(identity.strings())).text
    assert text.startswith("江宁基地") and "南京市" not in text


def test_team_and_short_names_columns_are_read():
    header = ["类别", "城市", "项目名称", "简介", "完成人", "工作单位", "单位简称", "团队成员", "单位所在地"]
    row = ["首席员工", "南京", "首席员工推荐", "三十年扎根一线。", "韦卫东", "南京钢铁股份有限公司", "南钢、NISCO",
           "施建国（工艺设计）、马明(检测)；欧阳晓峰", "南京"]
    text = "\n".join(",".join(f'"{c}"' for c in r) for r in [header, row]) + "\n"
    rows, errors = parse_nomination_rows(read_table(text.encode("utf-8-sig"), "t.csv"), known_cities=["南京"])
    assert errors == []
    assert rows[0].short_names == ("南钢", "NISCO")
    assert rows[0].team == (("施建国", "工艺设计"), ("马明", "检测"), ("欧阳晓峰", ""))
    assert rows[0].employer_city == "南京" and rows[0].inventors == ("韦卫东",)


def test_the_detector_finds_what_redaction_was_not_told():
    # Redaction knows only 韦卫东; the text also names a team member nobody listed.
    alone = OwnNames(Identity(persons=("韦卫东",), employer="某公司", city="").strings())
    text = ("韦卫东同志与张晓东工程师带领团队，联系人：李四海。杨工提出改进，小赵负责调试。"
            "与徐州重型机械有限公司合作，在苏州市吴中区试用，Zhang Xiaodong 参与。电话 0512-6552 1234。")
    redacted = redact(text, global_names=alone).text
    found = {(f.kind, f.text) for f in detect(redacted)}
    assert {("person", "张晓东"), ("person", "李四海"), ("person", "杨工"), ("person", "小赵"),
            ("organisation", "徐州重型机械有限公司"), ("place", "苏州市"), ("place", "吴中区"),
            ("latin_name", "Zhang Xiaodong")} <= found
    assert not any("韦卫东" in f.text for f in detect(redacted))


def test_the_detector_is_quiet_on_clean_technical_text():
    text = ("针对钢铁冶金生产中存在的效率低、故障多等问题，本项目提出高炉炉顶布料智能监测技术，"
            "经3年应用，年节约成本约1200万元。采用 PLC 与 DCS 控制，马氏体组织稳定，施工周期缩短。")
    assert detect(text) == []


def test_find_identifiers_reports_kinds():
    kinds = {h.kind for h in find_identifiers("韦工与南钢在江宁区，电话181.8667.6380", global_names=NAMES)}
    assert kinds == {"title", "employer", "place", "phone"}
