"""Import experts from CSV (UTF-8 or GBK) or XLSX, with a row-by-row error report.

All or nothing by default: when any row is invalid nothing is stored and the report lists every
problem (row, column, what is wrong). With ``keep_valid=True`` the valid rows are stored and the
invalid ones reported. A duplicate (same name and same employer after normalization, in the file
or already in the pool) is a problem of its row.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from judging import audit
from judging.errors import N_, JudgingError
from judging.i18n import translations
from judging.notifications.invitations import ExpertLogins, logins_for_experts
from judging.panels.models import Expert
from judging.tabular import MESSAGES as TABLE_MESSAGES, TableError, read_table, resolve_columns
from judging.textsim import normalize_company

ALIASES = {
    "name": ["姓名", "专家姓名", "name"],
    "employer": ["工作单位", "单位", "所在单位", "employer"],
    "city": ["城市", "所在城市", "所在市", "地市", "city"],
    "phone": ["电话", "手机", "手机号", "联系电话", "phone", "mobile"],
    "email": ["邮箱", "电子邮箱", "电子邮件", "email", "e-mail"],
    "fields": ["专业领域", "专业", "擅长领域", "研究方向", "fields", "expertise", "fields of expertise"],
    "max_load": ["最大评审量", "评审上限", "最多评审数", "max_load", "max load"],
    "industry": ["所属行业", "行业", "industry"],  # optional; compared with nominations' in the integrity report
}
REQUIRED = ("name", "employer", "city", "fields")
#: The downloadable template's columns in order with their English header (judging.panels.template).
TEMPLATE_COLUMNS = (("name", N_("Name")), ("employer", N_("Employer")), ("city", N_("City")),
                    ("fields", N_("Fields of expertise")), ("industry", N_("Industry")), ("phone", N_("Phone")),
                    ("email", N_("Email")), ("max_load", N_("Max load")))
MAX_ROWS = 20000
DEFAULT_MAX_LOAD = 30
_SPLIT = re.compile(r"[;；,，、/|\n]+")
_PHONE = re.compile(r"^\+?[0-9][0-9\- ]{5,19}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Problem:
    """One problem: ``row`` is the spreadsheet row (header = 1; 0 for the file as a whole)."""

    row: int
    column: str | None
    message: str  # an English message id, translated where shown
    params: dict = field(default_factory=dict)


@dataclass
class ImportReport:
    created: int = 0
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    stored: bool = False
    logins: ExpertLogins | None = None  # the logins made for the imported experts, and who has no address

    @property
    def bad_rows(self) -> int:
        return len({p.row for p in self.problems if p.row})


def person_key(name: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name or "")).lower()


def duplicate_key(name: str, employer: str) -> tuple[str, str]:
    return person_key(name), normalize_company(employer or "")


def _table_problem(exc: TableError) -> Problem:
    if exc.key == "layout":  # a filled template whose column was moved or renamed: name the column
        return Problem(1, exc.params["found"] or exc.params["letter"], TABLE_MESSAGES["layout"], dict(exc.params))
    text = str(exc)
    for key, template in TABLE_MESSAGES.items():
        if "{" not in template and text == template:
            return Problem(0, None, template)
    return Problem(0, None, N_("The file cannot be read: {detail}"), {"detail": text})


_LENGTH_LIMITS = {"name": 100, "employer": 200, "city": 50, "industry": 100}  # the columns' sizes


def import_experts(session: Session, *, data: bytes, filename: str = "", keep_valid: bool = False,
                   by: audit.Actor, make_logins: bool = True) -> ImportReport:
    """Read the table, check every row, and store the experts (see module docstring). Audited. With
    ``make_logins`` each new expert with an e-mail address gets a judge's login and an invitation."""
    report = ImportReport()
    try:
        table = read_table(data, filename, max_rows=MAX_ROWS)
        layout = [(f, f"{translations('zh_CN').gettext(label)} / {label}") for f, label in TEMPLATE_COLUMNS] \
            if table.template == "experts" else None
        columns = resolve_columns(table.headers, ALIASES, required=REQUIRED, layout=layout)
    except TableError as exc:
        report.problems.append(_table_problem(exc))
        return report
    existing = {duplicate_key(n, e) for n, e in session.execute(select(Expert.name, Expert.employer))}
    seen: dict[tuple[str, str], int] = {}
    valid: list[Expert] = []
    report.rows = len(table.rows)
    for row in table.rows:
        problems: list[Problem] = []

        def bad(column: str, message: str, **params) -> None:
            problems.append(Problem(row.number, columns.header(column), message, params))

        value = {f: columns.value(row, f).strip() for f in ALIASES}
        for f in REQUIRED:
            if not value[f]:
                bad(f, N_("This value is required."))
        for column, limit in _LENGTH_LIMITS.items():
            if len(value[column]) > limit:
                bad(column, N_("Too long (at most {limit} characters)."), limit=limit)
        phone = unicodedata.normalize("NFKC", value["phone"])
        email = unicodedata.normalize("NFKC", value["email"])
        if not phone and not email:
            bad("phone" if "phone" in columns.indexes else "email", N_("Give a phone number or an e-mail address."))
        if phone and not _PHONE.match(phone):
            bad("phone", N_("“{value}” is not a phone number."), value=value["phone"])
        if email and not _EMAIL.match(email):
            bad("email", N_("“{value}” is not an e-mail address."), value=value["email"])
        fields = list(dict.fromkeys(f.strip() for f in _SPLIT.split(value["fields"]) if f.strip()))
        if any(len(f) > 50 for f in fields):
            bad("fields", N_("A field of expertise is longer than {limit} characters."), limit=50)
        max_load = DEFAULT_MAX_LOAD
        if value["max_load"]:
            raw = unicodedata.normalize("NFKC", value["max_load"])
            try:
                max_load = int(float(raw)) if re.fullmatch(r"\d+(\.0+)?", raw) else int(raw)
            except ValueError:
                bad("max_load", N_("“{value}” is not a whole number."), value=value["max_load"])
            else:
                if not 1 <= max_load <= 1000:
                    bad("max_load", N_("The maximum load must be between 1 and 1000."))
        if value["name"] and value["employer"]:
            key = duplicate_key(value["name"], value["employer"])
            if key in existing:
                bad("name", N_("{name} of {employer} is already in the pool."),
                    name=value["name"], employer=value["employer"])
            elif key in seen:
                bad("name", N_("Same name and employer as row {row}."), row=seen[key])
            else:
                seen[key] = row.number
        if problems:
            report.problems.extend(problems)
            continue
        valid.append(Expert(name=value["name"], employer=value["employer"], city=value["city"], phone=phone,
                            email=email, fields=fields, max_load=max_load, active=True, industry=value["industry"]))
    if report.problems and not keep_valid:
        return report
    if valid:
        session.add_all(valid)
        session.flush()
        report.created = len(valid)
        report.stored = True
        audit.append(session, actor=by, action="expert_pool.imported", object_type="expert_pool", object_id="pool",
                     data={"filename": filename, "created": len(valid), "expert_ids": [e.id for e in valid],
                           "rejected_rows": sorted({p.row for p in report.problems if p.row})})
        if make_logins:  # a judge's login each, invited by mail (judging.notifications)
            report.logins = logins_for_experts(session, experts=valid, by=by)
    return report


# ---------------------------------------------------------------------------- edit, deactivate


def update_expert(session: Session, *, expert: Expert, name: str, employer: str, city: str, phone: str,
                  email: str, fields: str, max_load: str, by: audit.Actor, industry: str | None = None) -> list[Problem]:
    """Change an expert's details; returns problems (nothing changed) or [] after an audited change.
    ``industry`` None leaves the industry as it is."""
    problems: list[Problem] = []
    values = {"name": name.strip(), "employer": employer.strip(), "city": city.strip(),
              "phone": unicodedata.normalize("NFKC", phone.strip()),
              "email": unicodedata.normalize("NFKC", email.strip()),
              "industry": expert.industry if industry is None else industry.strip()}
    if len(values["industry"]) > 100:
        problems.append(Problem(0, "industry", N_("Too long (at most {limit} characters)."), {"limit": 100}))
    for f in ("name", "employer", "city"):
        if not values[f]:
            problems.append(Problem(0, f, N_("This value is required.")))
    if values["phone"] and not _PHONE.match(values["phone"]):
        problems.append(Problem(0, "phone", N_("“{value}” is not a phone number."), {"value": values["phone"]}))
    if values["email"] and not _EMAIL.match(values["email"]):
        problems.append(Problem(0, "email", N_("“{value}” is not an e-mail address."), {"value": values["email"]}))
    try:
        load = int(max_load)
        if not 1 <= load <= 1000:
            raise ValueError
    except ValueError:
        problems.append(Problem(0, "max_load", N_("The maximum load must be between 1 and 1000.")))
        load = expert.max_load
    key = duplicate_key(values["name"], values["employer"])
    for other in session.scalars(select(Expert).where(Expert.id != expert.id, Expert.name == values["name"])):
        if duplicate_key(other.name, other.employer) == key:
            problems.append(Problem(0, "name", N_("{name} of {employer} is already in the pool."),
                                    {"name": values["name"], "employer": values["employer"]}))
    if problems:
        return problems
    new_fields = list(dict.fromkeys(f.strip() for f in _SPLIT.split(fields) if f.strip()))
    before = {"name": expert.name, "employer": expert.employer, "city": expert.city, "phone": expert.phone,
              "email": expert.email, "fields": list(expert.fields or []), "max_load": expert.max_load,
              "industry": expert.industry}
    expert.name, expert.employer, expert.city = values["name"], values["employer"], values["city"]
    expert.phone, expert.email, expert.fields, expert.max_load = values["phone"], values["email"], new_fields, load
    expert.industry = values["industry"]
    after = {"name": expert.name, "employer": expert.employer, "city": expert.city, "phone": expert.phone,
             "email": expert.email, "fields": new_fields, "max_load": load, "industry": expert.industry}
    session.flush()
    audit.append(session, actor=by, action="expert.updated", object_type="expert", object_id=expert.id,
                 data={"before": before, "after": after})
    return []


def set_active(session: Session, *, expert: Expert, active: bool, by: audit.Actor) -> None:
    """Deactivate (no new assignments; current ones stay until withdrawn) or reactivate. Audited."""
    if expert.active == active:
        return
    expert.active = active
    session.flush()
    audit.append(session, actor=by, action="expert.activated" if active else "expert.deactivated",
                 object_type="expert", object_id=expert.id, data={"name": expert.name})


def link_account(session: Session, *, expert: Expert, user_id: int, by: audit.Actor) -> None:
    """The login an expert signs in with (judges reach their assignments through it). Audited."""
    if expert.user_id == user_id:
        return
    if session.scalar(select(Expert.id).where(Expert.user_id == user_id)) is not None:
        raise JudgingError(N_("This account already belongs to another expert."))
    previous, expert.user_id = expert.user_id, user_id
    session.flush()
    audit.append(session, actor=by, action="expert.account_linked", object_type="expert", object_id=expert.id,
                 data={"user_id": user_id, "previous_user_id": previous})
