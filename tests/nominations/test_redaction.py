"""Judged text loses every identifying string; attachments' leftovers are flagged."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from judging.nominations.redaction import DEFAULT_MASK, Hit, NameIndex, find_identifiers, leftovers, redact


def kinds(result):
    return [(h.kind, h.text) for h in result.hits]


def test_own_inventor_names_masked_even_when_two_characters_or_spaced():
    r = redact("张伟、李娜带领团队攻关，张 伟提出了改进方案。", ["张伟", "李娜"])
    assert "张" not in r.text and "李娜" not in r.text
    assert r.text == "■■■带领团队攻关，■■■提出了改进方案。"
    assert [h.text for h in r.hits] == ["张伟", "李娜", "张 伟"]


def test_own_strings_can_carry_their_kind():
    r = redact("南钢炼铁厂与南京钢铁联合开发。", {"employer": ["南京钢铁", "南钢"]})
    assert kinds(r) == [("employer", "南钢"), ("employer", "南京钢铁")]
    assert "南钢" not in r.text and "南京钢铁" not in r.text


def test_longest_own_string_wins():
    r = redact("本成果由南京钢铁股份有限公司完成。", ["南京钢铁", "南京钢铁股份有限公司"])
    assert kinds(r) == [("own", "南京钢铁股份有限公司")]
    assert r.text == "本成果由■■■完成。"


@pytest.mark.parametrize(
    ("text", "kind", "found"),
    [
        ("已获发明专利ZL201910123456.7授权", "patent", "ZL201910123456.7"),
        ("专利号：ZL 200410012345.6", "patent", "ZL 200410012345.6"),
        ("实用新型专利ＺＬ２０２０２０１２３４５６．Ｘ", "patent", "ＺＬ２０２０２０１２３４５６．Ｘ"),
        ("公开号CN109876543A", "patent", "CN109876543A"),
        ("见CN1234567A号公开", "patent", "CN1234567A"),
        ("老专利ZL99123456.7", "patent", "ZL99123456.7"),
        ("联系电话13912345678。", "phone", "13912345678"),
        ("手机：139-1234-5678", "phone", "139-1234-5678"),
        ("手机 +86 13912345678", "phone", "+86 13912345678"),
        ("电话025-84561234转", "phone", "025-84561234"),
        ("电话（0516）83881234", "phone", "（0516）83881234"),
        ("电话0512 6552 1234-801", "phone", "0512 6552 1234-801"),
        ("邮箱wang.wei@njsteel.com.cn。", "email", "wang.wei@njsteel.com.cn"),
        ("身份证号32010219800101123X", "id_card", "32010219800101123X"),
        ("身份证号320102198001011234", "id_card", "320102198001011234"),
        ("信用代码91320100134950541K", "credit_code", "91320100134950541K"),
    ],
)
def test_each_identifier_kind_is_found_and_masked(text, kind, found):
    r = redact(text)
    assert kinds(r) == [(kind, found)]
    assert found not in r.text and DEFAULT_MASK in r.text


@pytest.mark.parametrize(
    "text",
    [
        "年节约标煤3800吨，创效780万元，效率提高12.5%。",
        "2019年至2023年累计处理12345678吨。",  # 8 digits, no area code
        "设备编号A1398765432100X",  # inside a longer code
        "转速13912345678901转",  # longer than a mobile number
        "GB/T 19001-2016质量管理体系",
        "王伟同学",  # 2-char name not in any list
    ],
)
def test_ordinary_numbers_and_text_are_left_alone(text):
    assert redact(text).text == text


PERSONS = ["王伟", "张力", "高明", "欧阳建国", "李秀英", "Li Wei"]
EMPLOYERS = ["南京钢铁股份有限公司", "徐州工程机械集团有限公司", "江苏沙钢（集团）有限公司"]


@pytest.fixture(scope="module")
def index():
    return NameIndex.build(persons=PERSONS, employers=EMPLOYERS)


def test_global_three_character_names_and_employers_always_masked(index):
    r = redact("欧阳建国与徐州工程机械集团、江苏沙钢（集团）有限公司合作，南京钢铁提供场地。", global_names=index)
    assert kinds(r) == [
        ("person", "欧阳建国"),
        ("employer", "徐州工程机械集团"),
        ("employer", "江苏沙钢（集团）有限公司"),
        ("employer", "南京钢铁"),
    ]


def test_global_two_character_names_need_a_cue(index):
    text = "该装置张力稳定，技术高明。"
    assert redact(text, global_names=index).text == text
    for cued in ["王伟同志牵头攻关", "推广王伟操作法", "第一完成人：王伟", "张力工程师", "由高明带领"]:
        r = redact(cued, global_names=index)
        assert [h.kind for h in r.hits] == ["person"], cued


def test_latin_names_match_whole_words_only(index):
    assert kinds(redact("Designed by LI WEI in 2021", global_names=index)) == [("person", "LI WEI")]
    assert redact("Li Weiss method", global_names=index).hits == ()


def test_name_split_by_whitespace_in_extracted_text_is_found(index):
    hits = leftovers("第 一 完 成 人 ： 欧 阳 建 国", global_names=index)
    assert [(h.kind, h.text) for h in hits] == [("person", "欧 阳 建 国")]


def test_adjacent_hits_merge_into_one_mask_hiding_their_number():
    r = redact("完成人：张伟、李娜和王建国。", ["张伟", "李娜", "王建国"])
    assert r.text == "完成人：■■■。"
    assert len(r.hits) == 3


def test_keep_length_masks_character_for_character():
    r = redact("张伟发明", ["张伟"], keep_length=True)
    assert r.text == "■■发明"


def test_spans_point_into_the_original_text():
    text = "ＡＢＣ公司的Ｗａｎｇ　Ｗｅｉ，电话１３９１２３４５６７８"
    hits = find_identifiers(text, ["Wang Wei", "ABC公司"])
    for h in hits:
        assert text[h.start : h.end] == h.text
    assert [h.kind for h in hits] == ["own", "own", "phone"]


def test_overlapping_hits_do_not_double_mask():
    r = redact("由南京钢铁股份有限公司完成", ["南京钢铁股份", "股份有限公司"])
    assert r.text == "由■■■完成"
    assert [h.text for h in r.hits] == ["南京钢铁股份", "有限公司"]
    assert all(a.end <= b.start for a, b in zip(r.hits, r.hits[1:]))


def test_nothing_to_redact():
    r = redact("矿井通风节能改造。", [])
    assert r.text == "矿井通风节能改造。" and not r.changed
    assert redact("", ["张伟"]).hits == ()
    assert NameIndex.build().find("王伟同志") == []


def test_patterns_can_be_switched_off():
    assert redact("电话13912345678", patterns=False).hits == ()


def test_empty_mask_rejected():
    with pytest.raises(ValueError, match="mask"):
        redact("张伟", ["张伟"], mask="")


def test_leftovers_flags_attachment_text():
    body = "附件：王建国的发明专利ZL201910123456.7证书复印件。"
    found = leftovers(body, ["王建国"])
    assert [h.kind for h in found] == ["own", "patent"]
    assert leftovers("高炉煤气余压发电", ["王建国"]) == ()
    assert isinstance(found[0], Hit)


def test_scale_one_index_many_texts():
    persons = [f"王{chr(0x5B50 + i % 400)}{chr(0x6000 + i // 400)}" for i in range(20_000)]
    index = NameIndex.build(persons=persons, employers=[f"江苏{p}科技有限公司" for p in persons[:2000]])
    assert index.size > 20_000
    text = "本项目" * 200 + persons[12_345] + "同志" + "江苏" + persons[7] + "科技有限公司"
    hits = redact(text, global_names=index).hits
    assert [(h.kind, h.text) for h in hits] == [("person", persons[12_345]), ("employer", "江苏" + persons[7] + "科技有限公司")]


def test_string_both_person_and_employer_counts_once_as_employer():
    index = NameIndex.build(persons=["华为技术", "张伟"], employers=["华为技术有限公司"])
    assert [(h.kind, h.text) for h in redact("与华为技术合作", global_names=index).hits] == [("employer", "华为技术")]
    assert index.size == 3  # 华为技术, 张伟, 华为技术有限公司


_HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x4FFF)


@settings(max_examples=150, deadline=None)
@given(
    names=st.lists(st.text(_HAN, min_size=2, max_size=4), min_size=1, max_size=4),
    filler=st.lists(st.text(st.characters(min_codepoint=0x5000, max_codepoint=0x50FF) | st.sampled_from("，。 、\n"), max_size=12), min_size=1, max_size=5),
)
def test_own_names_never_survive_redaction(names, filler):
    pieces = []
    for i, chunk in enumerate(filler):
        pieces.append(chunk)
        pieces.append(names[i % len(names)])
    text = "".join(pieces)
    redacted = redact(text, names).text
    for name in names:
        assert name not in redacted
    assert leftovers(redacted, names) == ()
