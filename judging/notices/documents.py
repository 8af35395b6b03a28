"""The notice as documents: a PDF (a stored document, made once by a job after the publication commits)
and an XLSX (made on each download).

Both show only the snapshot: what the public reads on the notice page, nothing else.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from judging import documents, settings
from judging.audit.chain import chain_head
from judging.db.base import utcnow
from judging.editions.models import Edition
from judging.errors import N_
from judging.notices.models import Notice
from judging.notices.service import get_notice, local_time
from judging.tabular import XLSX_TYPE, xlsx_bytes

__all__ = ["NOTICE_PDF", "XLSX_TYPE", "notice_context", "notice_draft", "notice_pdf", "notice_xlsx"]

NOTICE_PDF = "notice"  # the document kind; its subject is the notice (one per notice version)


def notice_context(session: Session, *, notice: Notice, edition: Edition, replaces: Notice | None) -> dict[str, Any]:
    head = chain_head(session)
    return {
        "edition": {"name": edition.name, "year": edition.year},
        "category": notice.category_name, "version": notice.version,
        "starts_on": notice.starts_on.isoformat(), "ends_on": notice.ends_on.isoformat(),
        "days": (notice.ends_on - notice.starts_on).days + 1,
        "replaces": None if replaces is None else {"version": replaces.version,
                                                   "starts_on": replaces.starts_on.isoformat()},
        "entries": [{"place": e.place, "title": e.named_as or e.title, "first": e.first_completer,
                     "others": "、".join(e.completers[1:]), "employer": e.employer, "city": e.city,
                     "may_day": e.may_day} for e in notice.entries],
        "published_at": local_time(notice.published_at or utcnow()),
        "chain": {"length": head.length, "hash": head.hash},  # kept in the stored document's record, not printed
        "issuer": settings.current().notice_issuer, "supervision_phone": settings.current().supervision_phone,
    }


def notice_draft(session: Session, *, notice_id: int) -> documents.Draft:
    notice = get_notice(session, notice_id)
    edition = session.get(Edition, notice.edition_id)
    replaces = session.get(Notice, notice.replaces_id) if notice.replaces_id else None
    return documents.Draft(kind=NOTICE_PDF, subject_type="notice", subject_id=notice.id,
                           filename=f"notice-{notice.year}-{notice.id}-v{notice.version}.pdf",
                           template="reports/notice.html",
                           context=notice_context(session, notice=notice, edition=edition, replaces=replaces),
                           details={"version": notice.version, "category": notice.category_id})


def notice_pdf(session: Session, notice: Notice) -> documents.Document | None:
    """The notice's stored PDF; None while its job has not stored it yet."""
    return documents.latest_of(session, "notice", notice.id, kind=NOTICE_PDF)


HEADERS = (N_("Place"), N_("Title"), N_("First completer"), N_("Completers"), N_("Employer"), N_("City"),
           N_("Category"), N_("May Day Labour Medal recommendation"))


def notice_xlsx(notice: Notice, *, pdf_sha256: str | None, gettext) -> bytes:
    """One sheet with the candidates, one with the notice's facts (version, period, PDF digest)."""
    candidates = [[gettext(h) for h in HEADERS]]
    for e in notice.entries:
        candidates.append([e.place, e.named_as or e.title, e.first_completer, "、".join(e.completers),
                           e.employer, e.city, notice.category_name, gettext(N_("Yes")) if e.may_day else ""])
    facts = [[gettext(key), str(value)] for key, value in (
        (N_("Year"), notice.year), (N_("Category"), notice.category_name), (N_("Version"), notice.version),
        (N_("Notice period"), f"{notice.starts_on.isoformat()} – {notice.ends_on.isoformat()}"),
        (N_("PDF SHA-256"), pdf_sha256 or gettext(N_("The PDF is being prepared."))))]
    return xlsx_bytes([(gettext(N_("Candidates")), candidates), (gettext(N_("Public notice")), facts)])
