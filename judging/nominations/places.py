"""The province's cities and their districts and counties (shipped as data), in the forms texts write them."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

__all__ = ["AMBIGUOUS_BARE", "City", "cities", "city_forms", "find_city", "province_forms"]

# Bare names (without 区/县/市) that are everyday or technical words: masked or flagged only with
# their suffix ("东海县", never "东海" for the sea; "玄武区", never "玄武" of 玄武岩).
AMBIGUOUS_BARE = frozenset({
    "东海", "滨海", "滨湖", "鼓楼", "钟楼", "六合", "玄武", "新北", "新吴", "天宁", "云龙", "泉山", "虎丘",
    "亭湖", "连云", "京口", "润州", "海陵", "高港", "宿城", "崇川", "锡山", "惠山", "梁溪", "通州", "响水",
    "金湖", "大丰", "江都", "海州", "扬中", "兴化", "东台", "射阳", "启东", "如东", "海安", "海门",
})
_SUFFIX = re.compile(r"(?:工业园区|新区|区|县|市)$")


@dataclass(frozen=True)
class City:
    """A prefecture-level city: its name, other names, and its districts and counties (full names)."""

    name: str
    aliases: tuple[str, ...]
    districts: tuple[str, ...]


@functools.cache
def cities() -> tuple[City, ...]:
    """Every city of the province, from ``data/jiangsu_places.tsv``."""
    text = resources.files("judging.nominations").joinpath("data/jiangsu_places.tsv").read_text("utf-8")
    out = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, aliases, districts = (line.split("\t") + ["", ""])[:3]
        out.append(City(name.strip(), tuple(a for a in aliases.split("、") if a.strip()),
                        tuple(d for d in districts.split("、") if d.strip())))
    return tuple(out)


def find_city(name: str) -> City | None:
    """The city a nominating unit names ("南京", "南京市", "南京市总工会"), or None (an industry union)."""
    key = re.sub(r"(?:市总工会|总工会|市)$", "", (name or "").strip())
    return next((c for c in cities() if c.name == key), None)


def _bare(full: str) -> str:
    return _SUFFIX.sub("", full)


def district_forms(district: str) -> list[str]:
    """"江宁区" → 江宁区, 江宁; a bare name of one character (丰县) or an everyday word stays suffixed."""
    forms = [district]
    bare = _bare(district)
    if bare != district and len(bare) >= 2 and bare not in AMBIGUOUS_BARE:
        forms.append(bare)
    return forms


@functools.cache
def city_forms(name: str) -> tuple[str, ...]:
    """How texts name the city `name` and its districts: 南京, 南京市, 南京地区, 南京市区, 金陵, 江宁区, 江宁 …

    Empty for a unit that is not a city of the province (a provincial industry union).
    """
    city = find_city(name)
    if city is None:
        return ()
    forms = [city.name, f"{city.name}市", f"{city.name}地区", f"{city.name}市区", f"{city.name}市总工会",
             f"{city.name}总工会", *city.aliases]
    for district in city.districts:
        forms.extend(district_forms(district))
    return tuple(dict.fromkeys(forms))


@functools.cache
def province_forms() -> tuple[tuple[str, str], ...]:
    """(form, city) for every city and district of the province, for the review's detector."""
    out: list[tuple[str, str]] = []
    for city in cities():
        out.extend((form, city.name) for form in (city.name, f"{city.name}市", *city.aliases))
        for district in city.districts:
            out.extend((form, city.name) for form in district_forms(district))
    return tuple(out)
