"""The notice as documents: a PDF (WeasyPrint, embedded CJK font, rendered once at publication) and an XLSX.

Both show only the snapshot: what the public reads on the notice page, nothing else.
"""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy.orm import Session

from judging.audit.chain import chain_head
from judging.db.base import utcnow
from judging.editions.models import Edition
from judging.errors import N_
from judging.notices.models import Notice
from judging.notices.service import local_time
from judging.tabular import XLSX_TYPE
from judging.reports.service import render_pdf

__all__ = ["XLSX_TYPE", "notice_context", "notice_pdf", "notice_xlsx"]


def notice_context(session: Session, *, notice: Notice, edition: Edition, replaces: Notice | None) -> dict[str, Any]:
    head = chain_head(session)
    return {
        "kind": "notice", "edition": {"name": edition.name, "year": edition.year},
        "category": notice.category_name, "version": notice.version,
        "starts_on": notice.starts_on.isoformat(), "ends_on": notice.ends_on.isoformat(),
        "days": (notice.ends_on - notice.starts_on).days + 1,
        "replaces": None if replaces is None else {"version": replaces.version,
                                                   "starts_on": replaces.starts_on.isoformat()},
        "entries": [{"place": e.place, "title": e.named_as or e.title, "first": e.first_completer,
                     "others": "、".join(e.completers[1:]), "employer": e.employer, "city": e.city,
                     "may_day": e.may_day} for e in notice.entries],
        "published_at": local_time(notice.published_at or utcnow()),
        "chain": {"length": head.length, "hash": head.hash},
    }


def notice_pdf(session: Session, *, notice: Notice, edition: Edition, replaces: Notice | None) -> bytes:
    pdf, _pages = render_pdf(notice_context(session, notice=notice, edition=edition, replaces=replaces))
    return pdf


def _cell(value: Any) -> Any:
    # No formulas when the workbook is opened (a name or title could start with "=").
    return "'" + value if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") else value


HEADERS = (N_("Place"), N_("Title"), N_("First completer"), N_("Completers"), N_("Employer"), N_("City"),
           N_("Category"), N_("May Day Labour Medal recommendation"))


def notice_xlsx(notice: Notice, *, gettext) -> bytes:
    """One sheet with the candidates, one with the notice's facts (version, period, PDF digest)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(gettext(N_("Candidates")))
    sheet.append([gettext(h) for h in HEADERS])
    for e in notice.entries:
        sheet.append([_cell(v) for v in (e.place, e.named_as or e.title, e.first_completer, "、".join(e.completers),
                                         e.employer, e.city, notice.category_name,
                                         gettext(N_("Yes")) if e.may_day else "")])
    facts = book.create_sheet(gettext(N_("Public notice")))
    for key, value in ((N_("Year"), notice.year), (N_("Category"), notice.category_name),
                       (N_("Version"), notice.version), (N_("Notice period"),
                                                         f"{notice.starts_on.isoformat()} – {notice.ends_on.isoformat()}"),
                       (N_("PDF SHA-256"), notice.pdf_sha256)):
        facts.append([gettext(key), _cell(str(value))])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
