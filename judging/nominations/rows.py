"""The nomination import row schema: column aliases, per-cell validation, and a stable fingerprint per row."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass

from judging.errors import N_
from judging.i18n import translations
from judging.tabular import RowError, Table, TableError, resolve_columns
from judging.textsim import normalize_company, normalize_text, short_forms

__all__ = [
    "CATEGORIES",
    "COLUMN_ALIASES",
    "REQUIRED_COLUMNS",
    "TEMPLATE_COLUMNS",
    "NominationRow",
    "parse_category",
    "parse_nomination_rows",
    "row_as_dict",
]

#: Category key -> official Chinese name.
CATEGORIES = {
    "achievement": "十大科技成果",
    "operating_method": "十大先进操作法",
    "suggestion": "十佳合理化建议",
    "chief_employee": "首席员工",
}

# What organizers and city unions actually type in the category column.
_CATEGORY_ALIASES = {
    "achievement": ["十大科技成果", "科技成果", "科技创新成果", "技术创新成果", "成果", "achievement",
                    "technology achievement", "innovation achievement"],
    "operating_method": ["十大先进操作法", "先进操作法", "操作法", "operating method", "operatingmethod",
                         "advanced operating method"],
    "suggestion": ["十佳合理化建议", "合理化建议", "建议", "suggestion", "rationalization suggestion"],
    "chief_employee": ["首席员工", "chief employee", "chiefemployee"],
}

#: Canonical field -> accepted column headers (Chinese first; the field name itself is also accepted).
COLUMN_ALIASES: dict[str, list[str]] = {
    "category": ["类别", "申报类别", "推荐类别", "项目类别", "category", "type"],
    "city": ["城市", "推荐城市", "所属城市", "地市", "设区市", "推荐单位", "city"],
    "title": ["项目名称", "名称", "成果名称", "操作法名称", "建议名称", "标题", "title"],
    "summary": ["简介", "摘要", "内容简介", "成果简介", "项目简介", "summary", "abstract"],
    "body": ["正文", "详细内容", "主要内容", "申报内容", "主要事迹", "body", "description", "details"],
    "inventors": ["完成人", "主要完成人", "发明人", "创造人", "提出人", "被推荐人", "姓名", "inventors",
                  "authors", "persons", "nominee"],
    "first_inventor": ["第一完成人", "第一发明人", "第一创造人", "first inventor"],
    "employer": ["工作单位", "单位", "所在单位", "完成单位", "单位名称", "employer", "organization",
                 "company"],
    "short_names": ["单位简称", "简称", "单位简称及缩写", "单位缩写", "单位简称/缩写", "employer short names",
                    "short names", "abbreviations"],
    "team": ["团队成员", "其他完成人", "主要成员", "团队成员及分工", "其他成员", "team", "team members"],
    "employer_city": ["单位所在地", "所在城市", "单位所在城市", "所在地", "employer city", "located in"],
    "industry": ["所属行业", "行业", "产业", "industry"],
    "patents": ["专利号", "专利", "相关专利", "授权专利", "patents", "patent numbers"],
    "phone": ["联系电话", "电话", "手机", "联系方式", "phone", "mobile", "telephone"],
    "email": ["电子邮箱", "邮箱", "电子邮件", "email", "e-mail"],
    "attachments": ["附件", "附件文件", "附件名称", "附件清单", "attachments", "files"],
    "completed_on": ["完成时间", "完成日期", "项目完成时间", "实施时间", "completion date", "completed on"],
    "frontline": ["第一完成人是否一线职工", "是否一线职工", "一线职工", "first inventor front-line",
                  "front-line employee", "frontline"],
    "name_after_creator": ["以创造者命名", "以本人姓名命名", "是否以本人命名", "以人名命名",
                           "named after creator", "name after creator"],
}

REQUIRED_COLUMNS = ("category", "city", "title", "inventors", "employer")

#: The downloadable template's columns in order, each with its English header; the Chinese header is that
#: header's translation. Both are among the field's aliases (tests/test_excel.py holds it), so a template
#: filled in either language reads back.
TEMPLATE_COLUMNS = (
    ("category", N_("Category")), ("city", N_("City")), ("title", N_("Title")), ("inventors", N_("Inventors")),
    ("first_inventor", N_("First inventor")), ("employer", N_("Employer")),
    ("short_names", N_("Employer short names")), ("employer_city", N_("Employer city")),
    ("industry", N_("Industry")), ("team", N_("Team members")), ("summary", N_("Summary")), ("body", N_("Body")),
    ("patents", N_("Patent numbers")), ("completed_on", N_("Completion date")),
    ("frontline", N_("Front-line employee")), ("name_after_creator", N_("Named after creator")),
    ("phone", N_("Phone")), ("email", N_("Email")), ("attachments", N_("Attachments")),
)


def template_layout(columns=TEMPLATE_COLUMNS) -> list[tuple[str, str]]:
    """(field, "中文 / English" header) per template column: what a filled template must still hold, in order."""
    chinese = translations("zh_CN").gettext
    return [(field, f"{chinese(label)} / {label}") for field, label in columns]

# User-facing texts in one place, ready for Babel.
MESSAGES = {
    "required": "This cell is required.",
    "category_unknown": "Unknown category “{value}”; use one of: {choices}.",
    "category_closed": "The category “{value}” is not open in this edition.",
    "city_unknown": "Unknown city “{value}”.",
    "too_long": "Too long ({length} characters, at most {limit}).",
    "no_content": "Give a summary, a body or at least one attachment: judges need something to read.",
    "inventor_bad": "“{value}” does not look like a person's name.",
    "inventor_duplicate": "“{value}” is listed twice.",
    "first_not_listed": "The first inventor “{value}” is not among the inventors.",
    "chief_one_person": "A chief employee nomination names exactly one person, not {count}.",
    "patent_bad": "“{value}” is not a Chinese patent number (e.g. ZL201910123456.7 or CN109876543B).",
    "phone_bad": "“{value}” is neither a mobile number (11 digits) nor a landline with area code (025-84561234).",
    "email_bad": "“{value}” is not an e-mail address.",
    "attachment_bad": "“{value}” is not a plain file name.",
    "attachment_duplicate": "The attachment “{value}” is listed twice.",
    "yes_no": "Write 是 or 否 (yes or no), not “{value}”.",
    "date_bad": "“{value}” is not a date (e.g. 2025-06-30, 2025/6/30, 2025年6月30日 or 2025年6月).",
    "named_only_methods": "Only operating methods can be named after their creator.",
    "duplicate_row": "The same nomination as row {row} (same category, city, title, employer and first inventor).",
    "member_bad": "“{value}” is not a team member written as a name, optionally with a role in brackets.",
    "short_name_bad": "“{value}” is not a short name (2 to {limit} characters).",
}

_LIST_SPLIT = re.compile(r"[、,，;；/／\n]+")
_PATENT_SPLIT = re.compile(r"[、,，;；\s]+")
_ATTACHMENT_SPLIT = re.compile(r"[;；\n]+")
_PATENT = re.compile(r"(?:ZL)?(?:\d{8}|\d{12})\.[0-9X]|CN\d{6,9}[ABCUY]\d?")
_MOBILE = re.compile(r"(?:\+?86)?(1[3-9]\d{9})")
_LANDLINE = re.compile(r"\(?(0\d{2,3})\)?-?(\d{7,8})(?:-(\d{1,5}))?")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
_NAME_BAD = re.compile(r"[0-9@#$%^&*()=+<>{}\[\]|\\:;\"'?!！？（）【】《》]")
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})(?:\s*[-/.月]\s*(\d{1,2})\s*日?|\s*月?)")
_YES = {"是", "y", "yes", "true", "1", "√", "✓", "✔", "是的", "对"}
_NO = {"否", "n", "no", "false", "0", "×", "✗", "", "不", "不是"}

LIMITS = {"title": 100, "summary": 2000, "body": 50_000, "employer": 100, "industry": 50, "inventor": 30,
          "short_name": 30, "role": 30, "team": 50, "employer_city": 50}
# "张伟（工艺设计）" or "张伟(工艺设计)": a name and, in brackets, the role.
_MEMBER = re.compile(r"^([^（()）]+?)\s*(?:[（(]([^（()）]*)[)）])?$")
_MEMBER_SPLIT = re.compile(r"[、,，;；/／\n]+(?![^（(]*[)）])")


@dataclass(frozen=True)
class NominationRow:
    """One valid nomination row, cleaned.

    `inventors[0]` is the first inventor (recommended for the May Day Labour
    Medal for top achievements and operating methods). `fingerprint`
    identifies the nomination across re-imports; `content_digest` changes
    whenever any field does.
    """

    row: int
    category: str
    city: str
    title: str
    summary: str
    body: str
    inventors: tuple[str, ...]
    employer: str
    industry: str
    patents: tuple[str, ...]
    phone: str
    email: str
    attachments: tuple[str, ...]
    name_after_creator: bool
    fingerprint: str
    content_digest: str
    completed_on: str = ""          # ISO date, or "" when the row does not give it
    frontline: bool | None = None   # the first inventor is a front-line employee (None: not given)
    short_names: tuple[str, ...] = ()            # what texts call the employer (南钢, 徐工, XCMG)
    team: tuple[tuple[str, str], ...] = ()       # (name, role) of every other completer or team member
    employer_city: str = ""                      # where the employer is, when not the nominating city

    @property
    def first_inventor(self) -> str:
        return self.inventors[0]

    def identifying_strings(self, extra_employer_forms: Iterable[str] = ()) -> dict[str, list[str]]:
        """This nomination's own identifying strings, by kind, for :func:`redaction.redact`.

        `extra_employer_forms` are abbreviations the organizer knows (南钢).
        """
        out = {
            "person": [*self.inventors, *(name for name, _ in self.team)],
            "employer": [*short_forms(self.employer), *self.short_names, *extra_employer_forms],
            "patent": list(self.patents),
            "phone": [self.phone] if self.phone else [],
            "email": [self.email] if self.email else [],
        }
        return {kind: strings for kind, strings in out.items() if strings}


def _clean(value: str) -> str:
    """For codes (city, phone, patent …): NFKC (full-width digits and letters to ASCII), whitespace collapsed."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", value)).strip()


def _clean_text(value: str) -> str:
    """For text people read (title, summary, names): NFC, whitespace collapsed.

    Not NFKC: that would turn Chinese punctuation （，：） into ASCII in what judges see.
    """
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", value)).strip()


def _fold(value: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value)).casefold()


_CATEGORY_LOOKUP = {_fold(alias): key for key, aliases in _CATEGORY_ALIASES.items() for alias in (key, *aliases)}


def parse_category(value: str) -> str | None:
    """Category key for what a user typed (key, Chinese name or common short form), or None."""
    return _CATEGORY_LOOKUP.get(_fold(value))


def _fingerprint(category: str, city: str, title: str, employer: str, first_inventor: str) -> str:
    # Identity, not content: a corrected summary re-imported is the same nomination,
    # and the importer can update it (content_digest tells whether anything changed).
    key = [category, city, normalize_text(title), normalize_company(employer), normalize_text(first_inventor)]
    return hashlib.sha256(json.dumps(key, ensure_ascii=False).encode()).hexdigest()


class _RowChecker:
    """Collects the problems of one row while its cells are parsed."""

    def __init__(self, number: int, header) -> None:
        self.number = number
        self.header = header
        self.errors: list[RowError] = []

    def error(self, field: str, message: str) -> None:
        self.errors.append(RowError(self.number, self.header(field), message))

    def text(self, field: str, value: str, *, required: bool = False, limit: int | None = None) -> str:
        value = _clean_text(value)
        if required and not value:
            self.error(field, MESSAGES["required"])
        elif limit is not None and len(value) > limit:
            self.error(field, MESSAGES["too_long"].format(length=len(value), limit=limit))
        return value


def _parse_city(value: str, known: set[str]) -> str | None:
    """The known unit meant by `value`: "南京", "南京市" and "南京市总工会" all mean 南京."""
    value = value.replace(" ", "")
    candidates = [value]
    if value.endswith("总工会") and len(value) > 3:
        candidates.append(value[:-3])  # the nominating body is the city's federation of trade unions
    for candidate in candidates:
        if candidate in known:
            return candidate
        if candidate.endswith("市") and candidate[:-1] in known:
            return candidate[:-1]
        if f"{candidate}市" in known:
            return f"{candidate}市"
    return None


def _parse_date(value: str) -> str | None:
    """ISO date of what people type: 2025-06-30, 2025/6/30, 2025.6.30, 2025年6月30日; a month alone is its 1st."""
    # An XLSX date cell holding a time of day comes as "2025-06-30 08:00:00": the day is what counts.
    match = _DATE.fullmatch(re.sub(r"\s+\d{1,2}:\d{2}(?::\d{2})?$", "", value.strip()))
    if match is None:
        return None
    year, month, day = int(match.group(1)), int(match.group(2)), int(match.group(3) or 1)
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _parse_phone(value: str) -> str | None:
    compact = re.sub(r"[\s-]", "", value)
    if m := _MOBILE.fullmatch(compact):
        return m.group(1)
    spaced = re.sub(r"\s+", "-", value.strip())
    if m := _LANDLINE.fullmatch(spaced.replace("--", "-")):
        area, number, extension = m.groups()
        return f"{area}-{number}" + (f"-{extension}" if extension else "")
    return None


def parse_nomination_rows(
    table: Table,
    *,
    known_cities: Iterable[str],
    categories: Iterable[str] = tuple(CATEGORIES),
    aliases: Mapping[str, Iterable[str]] = COLUMN_ALIASES,
) -> tuple[list[NominationRow], list[RowError]]:
    """Validate a nomination import table.

    Parameters
    ----------
    table : Table
        From :func:`judging.tabular.read_table`.
    known_cities : iterable of str
        The nominating units of the edition (prefecture-level cities, provincial
        industry unions). "南京市" and "南京市总工会" are accepted for "南京", and
        "南京" for "南京市".
    categories : iterable of str
        Category keys open in this edition.
    aliases : mapping
        Column headers accepted per field (default :data:`COLUMN_ALIASES`).

    Returns
    -------
    rows : list of NominationRow
        Rows without any problem, in table order.
    errors : list of RowError
        Every problem, per row and column (the column as the user wrote it).
        A missing required column is one error on row 1 and no rows. A row
        with any error is not in `rows`.

    Notes
    -----
    Inventors are separated by 、 , ， ; ； / or line breaks; the first listed is
    the first inventor. An optional 第一完成人 column names the first inventor
    explicitly: that person is moved to the front (or is the only inventor if
    the list is empty) and must otherwise be in the list. A chief-employee
    nomination names exactly one person. Patent numbers are separated by
    commas, 、, semicolons or spaces; attachments by semicolons or line breaks.
    Rows repeating an earlier row's fingerprint are reported as duplicates.
    """
    known = {_clean(c) for c in known_cities}
    open_categories = set(categories)
    layout = template_layout() if table.template == "nominations" else None
    try:
        columns = resolve_columns(table.headers, aliases, required=REQUIRED_COLUMNS, layout=layout)
    except TableError as exc:
        return [], [RowError(1, exc.params.get("found") or exc.params.get("letter"), str(exc))]

    rows: list[NominationRow] = []
    errors: list[RowError] = []
    first_seen: dict[str, int] = {}
    for row in table.rows:
        check = _RowChecker(row.number, columns.header)
        fields = _read_fields(check, lambda field: columns.value(row, field),  # noqa: B023 - this iteration only
                              known_cities=known, open_categories=open_categories)
        if check.errors:
            errors.extend(check.errors)
            continue
        fingerprint = _fingerprint(fields["category"], fields["city"], fields["title"], fields["employer"],
                                   fields["inventors"][0])
        if fingerprint in first_seen:
            errors.append(RowError(row.number, None, MESSAGES["duplicate_row"].format(row=first_seen[fingerprint])))
            continue
        first_seen[fingerprint] = row.number
        rows.append(_valid_row(row.number, fields, fingerprint))
    return rows, errors


def _read_fields(check: _RowChecker, cell: Callable[[str], str], *, known_cities: set[str],
                 open_categories: set[str]) -> dict:
    """Every field of one row, cleaned; the problems go to `check`, in the order of the columns users
    read them in (the error list follows it)."""
    category = _read_category(check, cell("category"), open_categories)
    city = _read_city(check, cell("city"), known_cities)
    title = check.text("title", cell("title"), required=True, limit=LIMITS["title"])
    summary = check.text("summary", cell("summary"), limit=LIMITS["summary"])
    body = unicodedata.normalize("NFC", cell("body")).strip()  # keep paragraphs: only trim
    if len(body) > LIMITS["body"]:
        check.error("body", MESSAGES["too_long"].format(length=len(body), limit=LIMITS["body"]))
    employer = check.text("employer", cell("employer"), required=True, limit=LIMITS["employer"])
    industry = check.text("industry", cell("industry"), limit=LIMITS["industry"])
    inventors = _read_inventors(check, cell("inventors"), cell("first_inventor"), category)
    patents = _read_patents(check, cell("patents"))
    phone = _read_phone(check, cell("phone"))
    email = _read_email(check, cell("email"))
    attachments = _read_attachments(check, cell("attachments"))
    named = bool(_read_yes_no(check, "name_after_creator", cell("name_after_creator")))
    if named and category is not None and category != "operating_method":
        check.error("name_after_creator", MESSAGES["named_only_methods"])
    completed_on = _read_date(check, cell("completed_on"))
    frontline = _read_yes_no(check, "frontline", cell("frontline"))
    short_names = _read_short_names(check, cell("short_names"))
    team = _read_team(check, cell("team"), inventors)
    employer_city = check.text("employer_city", cell("employer_city"), limit=LIMITS["employer_city"])
    if not (summary or body or attachments):
        check.error("summary", MESSAGES["no_content"])
    return dict(
        category=category, city=city, title=title, summary=summary, body=body,
        inventors=tuple(inventors), employer=employer, industry=industry, patents=tuple(patents),
        phone=phone, email=email, attachments=tuple(attachments), name_after_creator=named,
        completed_on=completed_on, frontline=frontline, short_names=tuple(short_names), team=tuple(team),
        employer_city=employer_city,
    )


def _valid_row(number: int, fields: dict, fingerprint: str) -> NominationRow:
    """The row of a problem-free line, with the digest that tells a re-import whether anything changed."""
    # The eligibility facts count only when given, so rows imported before these columns existed
    # keep their digest (a re-import of the same file changes nothing).
    optional = ("completed_on", "frontline", "short_names", "team", "employer_city")
    facts = {k: fields[k] for k in optional if fields[k] not in ("", None, ())}
    given = {k: v for k, v in fields.items() if k not in optional}
    digest = hashlib.sha256(
        json.dumps({**given, **facts}, ensure_ascii=False, sort_keys=True, default=list).encode()
    ).hexdigest()
    return NominationRow(row=number, **given, **facts, fingerprint=fingerprint, content_digest=digest)


def _read_category(check: _RowChecker, value: str, open_categories: set[str]) -> str | None:
    raw = _clean(value)
    category = parse_category(raw) if raw else None
    if not raw:
        check.error("category", MESSAGES["required"])
    elif category is None:
        check.error("category", MESSAGES["category_unknown"].format(value=raw, choices="、".join(CATEGORIES.values())))
    elif category not in open_categories:
        check.error("category", MESSAGES["category_closed"].format(value=raw))
    return category


def _read_city(check: _RowChecker, value: str, known: set[str]) -> str | None:
    raw = _clean(value)
    city = _parse_city(raw, known) if raw else None
    if not raw:
        check.error("city", MESSAGES["required"])
    elif city is None:
        check.error("city", MESSAGES["city_unknown"].format(value=raw))
    return city


def _read_inventors(check: _RowChecker, value: str, first_value: str, category: str | None) -> list[str]:
    """The inventors, the first inventor first (see :func:`parse_nomination_rows`' Notes)."""
    inventors: list[str] = []
    for name in _LIST_SPLIT.split(unicodedata.normalize("NFKC", value)):
        name = _clean_text(name)
        if not name:
            continue
        if len(name) < 2 or len(name) > LIMITS["inventor"] or _NAME_BAD.search(name):
            check.error("inventors", MESSAGES["inventor_bad"].format(value=name))
        elif name in inventors:
            check.error("inventors", MESSAGES["inventor_duplicate"].format(value=name))
        else:
            inventors.append(name)
    first = _clean_text(unicodedata.normalize("NFKC", first_value))
    if first:
        if first in inventors:
            inventors.remove(first)
            inventors.insert(0, first)
        elif not inventors and not _NAME_BAD.search(first) and 2 <= len(first) <= LIMITS["inventor"]:
            inventors = [first]
        else:
            check.error("first_inventor", MESSAGES["first_not_listed"].format(value=first))
    # "Required" only when no name was refused: the user already knows what is wrong with the cell.
    if not inventors and not any(e.column == check.header("inventors") for e in check.errors):
        check.error("inventors", MESSAGES["required"])
    if category == "chief_employee" and len(inventors) > 1:
        check.error("inventors", MESSAGES["chief_one_person"].format(count=len(inventors)))
    return inventors


def _read_short_names(check: _RowChecker, value: str) -> list[str]:
    names: list[str] = []
    for name in _LIST_SPLIT.split(unicodedata.normalize("NFKC", value)):
        name = _clean_text(name)
        if not name:
            continue
        if len(name) < 2 or len(name) > LIMITS["short_name"]:
            check.error("short_names", MESSAGES["short_name_bad"].format(value=name, limit=LIMITS["short_name"]))
        elif name not in names:
            names.append(name)
    return names


def _read_team(check: _RowChecker, value: str, inventors: list[str]) -> list[tuple[str, str]]:
    """Team members, each a name with an optional role in brackets: 张伟（工艺设计）、李娜(检测)."""
    team: list[tuple[str, str]] = []
    for item in _MEMBER_SPLIT.split(unicodedata.normalize("NFC", value)):
        item = _clean_text(item)
        if not item:
            continue
        match = _MEMBER.match(item)
        name = _clean_text(unicodedata.normalize("NFKC", match.group(1))) if match else ""
        role = _clean_text(match.group(2) or "") if match else ""
        if (not match or len(name) < 2 or len(name) > LIMITS["inventor"] or _NAME_BAD.search(name)
                or len(role) > LIMITS["role"]):
            check.error("team", MESSAGES["member_bad"].format(value=item))
        elif name not in inventors and name not in (n for n, _ in team):
            team.append((name, role))
    if len(team) > LIMITS["team"]:
        check.error("team", MESSAGES["too_long"].format(length=len(team), limit=LIMITS["team"]))
    return team


def _read_patents(check: _RowChecker, value: str) -> list[str]:
    patents: list[str] = []
    for number in _PATENT_SPLIT.split(unicodedata.normalize("NFKC", value).upper()):
        if not number:
            continue
        number = number.replace("·", ".")
        if _PATENT.fullmatch(number):
            if number not in patents:
                patents.append(number)
        else:
            check.error("patents", MESSAGES["patent_bad"].format(value=number))
    return patents


def _read_phone(check: _RowChecker, value: str) -> str:
    phone = _clean(value)
    if phone:
        parsed = _parse_phone(phone)
        if parsed is None:
            check.error("phone", MESSAGES["phone_bad"].format(value=phone))
        else:
            phone = parsed
    return phone


def _read_email(check: _RowChecker, value: str) -> str:
    email = _clean(value)
    if email:
        if _EMAIL.fullmatch(email):
            local, _, domain = email.rpartition("@")
            email = f"{local}@{domain.lower()}"
        else:
            check.error("email", MESSAGES["email_bad"].format(value=email))
    return email


def _read_attachments(check: _RowChecker, value: str) -> list[str]:
    """Plain file names only: the archive is looked up by them, so a path could reach outside it."""
    attachments: list[str] = []
    for name in _ATTACHMENT_SPLIT.split(unicodedata.normalize("NFC", value)):
        name = name.strip()
        if not name:
            continue
        if "\\" in name or name.startswith("/") or ".." in name.split("/") or re.match(r"^[A-Za-z]:", name):
            check.error("attachments", MESSAGES["attachment_bad"].format(value=name))
        elif name.casefold() in (a.casefold() for a in attachments):
            check.error("attachments", MESSAGES["attachment_duplicate"].format(value=name))
        else:
            attachments.append(name)
    return attachments


def _read_yes_no(check: _RowChecker, field: str, value: str) -> bool | None:
    """True or False for what people write for yes and no; None when the cell is empty or unreadable."""
    raw = _clean(value).casefold()
    if not raw:
        return None
    if raw in _YES:
        return True
    if raw in _NO:
        return False
    check.error(field, MESSAGES["yes_no"].format(value=raw))
    return None


def _read_date(check: _RowChecker, value: str) -> str:
    raw = _clean(value)
    completed_on = ""
    if raw:
        completed_on = _parse_date(raw) or ""
        if not completed_on:
            check.error("completed_on", MESSAGES["date_bad"].format(value=raw))
    return completed_on


def row_as_dict(row: NominationRow) -> dict:
    """Plain dict of a row (for JSON export and audit payloads)."""
    return asdict(row)
