"""The organizer review's own detector: what looks like a person, an organisation, a place of the
province or a contact number in text that redaction already went over.

It shares nothing with :mod:`redaction` (no name list, no identity, other patterns), so what
redaction missed because it did not know a string shows here: 韦工 of a team member nobody listed,
an employer's short name no dictionary holds, a district of the province, a number in a form the
redaction's patterns do not take. It over-reports on purpose; the organizer looks and decides.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import ahocorasick

from judging.nominations import places

__all__ = ["Finding", "detect", "detect_fields"]

# The commonest Chinese surnames (about 90 % of the population) and the compound ones.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施"
    "文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷"
    "盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏"
    "席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
COMPOUND = ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "长孙", "宇文", "司徒",
            "夏侯", "端木", "南宫", "西门", "独孤", "澹台", "轩辕", "钟离", "闻人", "申屠", "太史")
# Surnames that begin everyday words with a title after them (施工, 车工, 化工, 管工, 时总…): left out
# of the surname-and-title pattern only.
_TITLE_UNSAFE = set("施车化管水木金石时于员加分全高万江方文安常明和成应师")
_CJK = "\u4e00-\u9fff"
_S = "(?:" + "|".join(COMPOUND) + "|[" + SURNAMES + "])"
_S_TITLE = "[" + "".join(ch for ch in SURNAMES if ch not in _TITLE_UNSAFE) + "]"
_CUE_BEFORE = (r"(?:完成人|发明人|负责人|带头人|联系人|申报人|推荐人|创造人|设计人|姓名|成员|骨干|徒弟|师傅|同志|"
               r"技师|工程师|班长|组长|主任|经理|厂长|书记|带领|在|由|和|与|及|、)")
_VERB_AFTER = r"(?:带领|牵头|主持|发明|负责|提出|设计|研制|为首)"
_CUE_AFTER = (r"(?:同志|师傅|工程师|高工|技师|等人|等同志|团队|创新工作室|工作室|操作法|工作法|检修法|作业法|"
              r"首席|劳模|大师|班组)")
_PERSON = re.compile(
    rf"{_CUE_BEFORE}[:：\s]*(?P<a>{_S}[{_CJK}]{{1,2}}?)(?={_CUE_AFTER}|{_VERB_AFTER})"  # 由韦卫东带领
    rf"|(?<![{_CJK}])(?P<b>{_S}[{_CJK}]{{1,2}}?)(?={_CUE_AFTER})"                # 韦卫东同志
    rf"|(?<=[:：])\s*(?P<c>{_S}[{_CJK}]{{1,2}})(?=[\s，。、；,;]|$)"             # 完成人：韦卫东
    rf"|(?P<d>{_S_TITLE}(?:总工|总师|师傅|工(?!程|艺|作|序|人|具|况|期|厂|业|会|资|位|段|种|件|装)|总(?!结|体|计|量|数|共|线|和|额|成|长|部|厂|公司|经理|投资)"
    rf"|氏(?!体|硬度|杀菌|锥度|组织|法则)))"                                                  # 韦工 韦总 韦氏
    rf"|(?:(?<![{_CJK}])|(?<=[和与及、由请让是]))(?P<e>[老小阿]{_S_TITLE})(?:(?![{_CJK}])|(?=[提带负等和与同说的在是把将也都]))"                                     # 小韦，
)
# What an organisation's name ends with; the part before it must be a name, not "本"/"该"/"我".
_ORG = re.compile(
    rf"(?P<org>[{_CJK}A-Za-z]{{2,12}}?(?:股份有限公司|有限责任公司|有限公司|股份公司|集团公司|集团|分公司|供电公司|"
    rf"研究院|研究所|设计院|大学|学院|医院|总厂|钢厂|电厂|化工厂|机械厂|车辆段|机务段|工务段|供电所|变电所|港务局))"
)
_ORG_GENERIC = re.compile(rf"^(?:[本该我贵其各全总子母原某此他一多家个所属下上级有关相关合作国内外兄弟]+|.*[■])")
# Capitalised Latin names made of pinyin syllables (Wei Weidong, WEI Weidong, Weidong Wei).
_SYLLABLE = (r"(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?(?:iang|iong|uang|ueng|ang|eng|ing|ong|uai|iao|ian|uan|"
             r"ai|ei|ao|ou|an|en|in|un|ia|ie|iu|ua|uo|ui|ue|er|a|o|e|i|u|v)")
_PINYIN_WORD = re.compile(rf"(?:{_SYLLABLE}){{1,3}}")
_LATIN_NAME = re.compile(r"\b(?:[A-Z][a-z]+|[A-Z]{2,})(?:[ \-·.]+(?:[A-Z][a-z]+|[A-Z]{2,})){1,2}\b")
_ACRONYM = re.compile(r"(?<![A-Za-z])[A-Z]{3,6}(?![A-Za-z])")
TECH_ACRONYMS = frozenset(
    "PLC CNC PID AGV DCS BIM CAD CAE CAM MES ERP GIS GPS RFID LED LCD IGBT SCADA PDF USB CPU GPU IOT API SQL HTML "
    "HTTP TCP VR AR RTK UAV LNG CNG LPG PVC ABS PET DNA RNA PCR GMP ISO ASTM IEC QC QA TPM SPC FMEA PDCA KPI OEE "
    "PLM CRM EHS HSE SOP NDT UT RT MT PT MIG TIG CO2 SMT PCB FPGA ARM DSP ADC DAC UPS VFD HMI OPC MQTT LTE NB "
    "WIFI SIM SAP BOM JIT TQM SIS ESD GIS ECU BMS EMS SVG STATCOM TBM NC CMM AOI OCR IT ICT AI PPM TOC LCC DFMEA "
    "PFMEA MSA SOA SSR RTU FTU DTU PMU EMC UHF VHF LORA ZIGBEE CAN LIN OBD EV PHEV HEV SUV GDP CEO CTO".split())
_NUMBER = re.compile(
    r"(?P<email>[A-Za-z0-9._%+-]+\s?(?:@|＠|\(at\)|\[at\]|\sat\s)\s?[A-Za-z0-9-]+(?:\s?(?:\.|dot)\s?[A-Za-z0-9-]+)+)"
    r"|(?P<digits>(?<![0-9A-Za-z])(?:ZL|CN|zl|cn)?\s?\(?\d[\d\s\-.()·]{5,22}\d(?![0-9]))"
    r"|(?P<tail>(?:尾号|末四位|后四位|尾数)\D{0,3}\d{4})"
)
_DIGIT_RUN_MIN = 7  # digits in a run before it looks like a phone, an ID or a patent (years and amounts are shorter)


@dataclass(frozen=True)
class Finding:
    """Something that may name someone: `kind` is person, organisation, latin_name, acronym, place,
    number or email; `text` as found; the span in the field's text."""

    field: str
    kind: str
    text: str
    start: int
    end: int


@functools.cache
def _place_automaton() -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton()
    for form, city in places.province_forms():
        automaton.add_word(form, (form, city))
    automaton.make_automaton()
    return automaton


def _is_name_like(token: str) -> bool:
    return bool(_PINYIN_WORD.fullmatch(token.lower()))


def detect(text: str, field: str = "text") -> list[Finding]:
    """Every finding in `text` (masks "■" are never part of one), ordered by position."""
    if not text:
        return []
    found: list[Finding] = []
    for m in _PERSON.finditer(text):
        group = m.lastgroup
        found.append(Finding(field, "person", m.group(group), m.start(group), m.end(group)))
    for m in _ORG.finditer(text):
        name = m.group("org")
        # A clause runs into the name ("在南京市江宁区与徐工集团"): keep what follows the last linking word.
        cut = max(name.rfind(ch) for ch in "在与和及由对向从为把被、的是")
        start = m.start() + cut + 1
        name = text[start:m.end()]
        if len(name) > 3 and not _ORG_GENERIC.match(name):
            found.append(Finding(field, "organisation", name, start, m.end()))
    for m in _LATIN_NAME.finditer(text):
        tokens = re.split(r"[ \-·.]+", m.group())
        if all(_is_name_like(t) for t in tokens):
            found.append(Finding(field, "latin_name", m.group(), m.start(), m.end()))
    for m in _ACRONYM.finditer(text):
        if m.group() not in TECH_ACRONYMS:
            found.append(Finding(field, "acronym", m.group(), m.start(), m.end()))
    for end, (form, _city) in _place_automaton().iter_long(text):
        found.append(Finding(field, "place", form, end - len(form) + 1, end + 1))
    for m in _NUMBER.finditer(text):
        group = m.lastgroup
        value = m.group(group)
        if group == "digits" and sum(ch.isdigit() for ch in value) < _DIGIT_RUN_MIN:
            continue
        found.append(Finding(field, "email" if group == "email" else "number", value.strip(), m.start(group),
                             m.end(group)))
    found.sort(key=lambda f: (f.start, -f.end))
    return found


def detect_fields(fields: dict[str, str]) -> list[Finding]:
    """:func:`detect` over several texts (title, summary, body, an attachment's text)."""
    return [finding for name, text in fields.items() for finding in detect(text or "", name)]
