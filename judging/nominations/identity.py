"""A nomination's identity in every form a text writes it: names in traditional characters and pinyin,
surname with a title or kinship word, employer with and without legal form and its short names, the
nominating city and its districts, and numbers as people type them."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import ahocorasick

from judging.nominations import places
from judging.nominations.redaction import Hit, NameIndex, _compact, _compact_with_positions, _fold
from judging.textsim import short_forms

__all__ = [
    "COMPOUND_SURNAMES",
    "TITLE_WORDS",
    "Identity",
    "OwnNames",
    "employer_forms",
    "person_forms",
    "pinyin_forms",
    "traditional",
]

COMPOUND_SURNAMES = frozenset({
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "长孙", "宇文", "司徒", "夏侯",
    "端木", "南宫", "西门", "独孤", "澹台", "轩辕", "钟离", "闻人", "申屠", "太史",
})
#: What follows a surname when colleagues write about someone (韦工, 韦总工, 韦师傅, 韦氏操作法).
TITLE_AFTER = ("工", "总", "总工", "总师", "师傅", "师父", "师", "老师", "高工", "工程师", "技师", "主任", "经理",
               "厂长", "班长", "组长", "书记", "主席", "部长", "处长", "科长", "所长", "院长", "博士", "教授",
               "同志", "氏", "某", "老", "姐", "哥", "大姐", "大哥", "师姐", "师兄", "家")
#: What precedes it (老韦, 小韦, 阿韦).
TITLE_BEFORE = ("老", "小", "阿")
TITLE_WORDS = TITLE_AFTER + TITLE_BEFORE

# Words a surname-and-title form is part of that name no one: 施工 (construction) is not "施 the
# engineer", 马氏体 is martensite, 巴氏杀菌 pasteurisation, 小时 an hour, 小于 "less than".
# A title-form hit inside one of these words, at that place, is not a hit.
COMMON_WORDS = (
    "施工", "车工", "化工", "管工", "水工", "木工", "金工", "钳工", "焊工", "电工", "石工", "手工", "人工", "员工",
    "分工", "加工", "完工", "开工", "竣工", "职工", "用工", "万工", "全工", "高工序", "小时", "小于", "小康", "小孔",
    "小车", "小管", "小石", "小叶", "小毛", "小马", "小型", "小结", "小组", "小计", "小区", "小批", "小件", "小修",
    "小幅", "小量", "小口", "小刀", "小规模", "小范围", "小流量", "小尺寸", "小直径", "小功率", "老化", "老旧",
    "马氏体", "巴氏", "贝氏体", "莫氏", "魏氏", "布氏", "洛氏", "维氏", "索氏", "奥氏体", "莱氏体", "门氏",
    "总工会", "总工程", "总工期", "总工时", "总工作", "总工艺", "总经理", "周总结", "年总结", "国家", "专家",
    "大家", "作家", "厂家", "商家", "管家", "万家", "阿拉伯", "阿司匹林", "阿基米德", "小王子",
)


@functools.cache
def _converter():
    # opencc-python-reimplemented: pure Python, ships its dictionaries (works offline).
    from opencc import OpenCC

    return OpenCC("s2t")


@functools.lru_cache(maxsize=65536)
def _traditional_char(ch: str) -> str:
    return _converter().convert(ch)


def traditional(text: str) -> str:
    """`text` in traditional characters (韦卫东 → 韋衛東), character by character.

    Names and short names are what this converts; their characters map one to one, and a cached
    table per character is a hundred times faster than converting phrase by phrase.
    """
    return "".join(_traditional_char(ch) if "\u4e00" <= ch <= "\u9fff" else ch for ch in text)


@functools.lru_cache(maxsize=65536)
def _syllable(ch: str) -> str:
    from pypinyin import Style, lazy_pinyin

    found = lazy_pinyin(ch, style=Style.NORMAL, errors="ignore")
    return found[0] if found else ""


def pinyin_forms(name: str, *, surname_len: int | None = None) -> list[str]:
    """Latin spellings of a Chinese name: "weiweidong" (Wei Weidong), "weidongwei" (Weidong Wei).

    Compared case- and space-insensitively, so "WEI Weidong" and "Wei Wei Dong" are the first. Each
    character takes its commonest reading (a name's heteronyms are a known gap: 曾 as zeng, 单 as dan).
    """
    if not name or not all("\u4e00" <= ch <= "\u9fff" for ch in name):
        return []
    syllables = [_syllable(ch) for ch in name]
    if not all(syllables):
        return []
    cut = surname_len or (2 if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else 1)
    family, given = "".join(syllables[:cut]), "".join(syllables[cut:])
    forms = [family + given]
    if given:
        forms.append(given + family)
    return [f for f in dict.fromkeys(forms) if len(f) >= 5]


def _surname(name: str) -> str:
    return name[:2] if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else name[:1]


def person_forms(name: str) -> list[str]:
    """Every form a text writes the person `name` in (see the module docstring), Latin names as given."""
    names, titles = _person_forms(name)
    return [*names, *titles]


@functools.lru_cache(maxsize=4096)  # a row's own names, asked again as it is redacted; not a whole edition's
def _person_forms(name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the name's own spellings, its surname-and-title forms)."""
    name = re.sub(r"\s+", "", unicodedata.normalize("NFKC", name or ""))
    if len(name) < 2:
        return (), ()
    if not all("\u4e00" <= ch <= "\u9fff" for ch in name):
        return (name,), ()  # a Latin-script name: as written (matching ignores case and spaces)
    names = [name, traditional(name), *pinyin_forms(name)]
    titles: list[str] = []
    surname = _surname(name)
    for variant in dict.fromkeys([surname, traditional(surname)]):
        titles.extend(variant + word for word in TITLE_AFTER)
        titles.extend(word + variant for word in TITLE_BEFORE)
    return tuple(dict.fromkeys(names)), tuple(f for f in dict.fromkeys(titles) if f not in names)


_PROVINCE_PREFIX = re.compile(r"^(?:江苏省|江苏)")
_BRANCH = re.compile(r"(?:公司|集团)([^公司集团]{2,12}?)分公司$")


def employer_forms(employer: str, short_names: Iterable[str] = ()) -> list[str]:
    return list(_employer_forms(employer, tuple(short_names)))


@functools.lru_cache(maxsize=16384)
def _employer_forms(employer: str, short_names: tuple[str, ...]) -> tuple[str, ...]:
    """The employer with and without legal form (:func:`judging.textsim.short_forms`), without the
    province in front (江苏沙钢集团 → 沙钢集团), a branch by itself (…公司苏州供电分公司 → 苏州供电公司),
    its short names, and traditional and pinyin spellings of the short names."""
    forms = list(short_forms(employer))
    for form in list(forms):
        stripped = _PROVINCE_PREFIX.sub("", form)
        if stripped != form and len(stripped) >= 3:
            forms.extend(short_forms(stripped))
    match = _BRANCH.search(re.sub(r"\s+", "", employer or ""))
    if match:
        branch = match.group(1)
        forms.extend([f"{branch}分公司", f"{branch}公司", branch])
    for short in short_names:
        short = re.sub(r"\s+", "", unicodedata.normalize("NFKC", short or ""))
        if len(short) >= 2:
            forms.extend([short, traditional(short), *pinyin_forms(short, surname_len=len(short))])
    forms.extend(traditional(f) for f in list(forms) if any("\u4e00" <= ch <= "\u9fff" for ch in f))
    return tuple(f for f in dict.fromkeys(forms) if len(f) >= 2)


def phone_forms(phone: str) -> list[str]:
    """A landline's local number without the area code, as written or split 4-4 (the patterns catch the rest)."""
    digits = re.sub(r"\D", "", phone or "")
    forms = [phone] if phone else []
    if digits.startswith("0") and len(digits) >= 10:
        local = digits[3:] if len(digits) == 11 else digits[4:] if len(digits) == 12 else digits[3:]
        forms.extend([local, f"{local[:-4]}-{local[-4:]}"])
    elif len(digits) == 11:
        forms.extend([digits, f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"])
    return forms


def patent_forms(patent: str) -> list[str]:
    """ZL201910123456.7 → with and without ZL, without the check digit, digits run together."""
    value = re.sub(r"\s+", "", unicodedata.normalize("NFKC", patent or "")).upper().replace("·", ".")
    forms = [value]
    core = value[2:] if value.startswith(("ZL", "CN")) else value
    forms.append(core)
    if "." in core:
        number, check = core.split(".", 1)
        forms.extend([number, number + check, "ZL" + number])
    return [f for f in dict.fromkeys(forms) if len(f) >= 6]


@dataclass(frozen=True)
class Identity:
    """Everything that says who made a nomination, as the intake knows it."""

    persons: tuple[str, ...] = ()
    employer: str = ""
    short_names: tuple[str, ...] = ()
    city: str = ""
    other_cities: tuple[str, ...] = ()  # where the employer is, when not the nominating city
    patents: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    allowed: tuple[str, ...] = field(default=())  # strings an audited exception lets stay (a place the text needs)

    def strings(self) -> dict[str, list[str]]:
        """Every form, by kind ("person", "title", "employer", "place", "patent", "phone", "email")."""
        persons: list[str] = []
        titles: list[str] = []
        for person in self.persons:
            names, title_forms = _person_forms(person)
            persons.extend(names)
            titles.extend(title_forms)
        out = {
            "person": persons,
            "title": titles,
            "employer": employer_forms(self.employer, self.short_names) if self.employer else
            [s for s in self.short_names if len(s) >= 2],
            "place": [f for c in (self.city, *self.other_cities) for f in places.city_forms(c)],
            "patent": [f for p in self.patents for f in patent_forms(p)],
            "phone": [f for p in self.phones for f in phone_forms(p)],
            "email": [e for e in self.emails if e],
        }
        allowed = {_key(a) for a in self.allowed}
        return {kind: [s for s in dict.fromkeys(strings) if not allowed or _key(s) not in allowed]
                for kind, strings in out.items() if strings}


@functools.lru_cache(maxsize=16384)  # bounded: an edition has hundreds of thousands of name forms
def _key(text: str) -> str:
    return _compact(_fold(unicodedata.normalize("NFKC", text or "")))


@functools.cache
def _common_words() -> dict[str, list[tuple[str, int]]]:
    """Key form -> the common words holding it and where (see COMMON_WORDS)."""
    out: dict[str, list[tuple[str, int]]] = {}
    for word in COMMON_WORDS:
        for size in (2, 3):
            for start in range(len(word) - size + 1):
                out.setdefault(word[start:start + size], []).append((word, start))
    return out


def _inside_common_word(text: str, start: int, end: int) -> bool:
    for word, offset in _common_words().get(text[start:end], ()):
        at = start - offset
        if at >= 0 and text.startswith(word, at):
            return True
    return False


class OwnNames:
    """A nomination's own forms in one Aho–Corasick automaton, and the edition's names beside it, as
    one ``global_names`` for :func:`redaction.redact` (the automaton avoids a regex per nomination).

    Own forms are matched bare whatever their length, with the folding of :class:`NameIndex` (width,
    ASCII case, whitespace inside the text); a surname-and-title form inside a common word (施工,
    马氏体, 小时) is not a hit.
    """

    def __init__(self, own: Mapping[str, Iterable[str]], edition: NameIndex | None = None) -> None:
        automaton = ahocorasick.Automaton()
        size = 0
        for kind, strings in own.items():
            for string in strings:
                key = _key(string)
                if len(key) >= 2:
                    automaton.add_word(key, (kind, False, len(key)))
                    size += 1
        if size:
            automaton.make_automaton()
        self.own = NameIndex(automaton if size else None, size)
        self.edition = edition

    def find(self, text: str, folded: str | None = None) -> list[Hit]:
        folded = _fold(text) if folded is None else folded
        compacted = _compact_with_positions(folded)  # once for both automata
        hits = [h for h in self.own.find(text, folded, compacted)
                if h.kind != "title" or not _inside_common_word(text, h.start, h.end)]
        if self.edition is not None:
            hits.extend(self.edition.find(text, folded, compacted))
        return hits
