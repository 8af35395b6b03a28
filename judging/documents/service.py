"""Making, storing, listing and serving documents, with no transaction open while a PDF renders.

A part describes what to print in a :class:`Draft` read in its own transaction; :func:`produce` ends
that transaction, renders the PDF, and stores it in a short write transaction with its SHA-256 and
the ``document.stored`` audit event. Long documents run it inside a job handler (with progress).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from litestar import Response
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from judging import audit
from judging.documents.models import Document
from judging.documents.rendering import RenderedPdf, render_pdf
from judging.errors import N_, NotFound

Progress = Callable[[float, str], None]


def _no_progress(fraction: float, message: str = "") -> None:
    pass


@dataclass(frozen=True)
class Draft:
    """Everything one document shows, as plain values (no lazy loads once the transaction has ended)."""

    kind: str
    subject_type: str
    subject_id: int
    filename: str
    template: str  # under templates/
    context: dict[str, Any]
    details: dict[str, Any] = field(default_factory=dict)  # kept on the document and in its audit event


def store(session: Session, *, draft: Draft, pdf: RenderedPdf, by: audit.Actor) -> Document:
    """Keep the rendered PDF with its digest and write the audit event, in the caller's transaction."""
    document = Document(kind=draft.kind, subject_type=draft.subject_type, subject_id=draft.subject_id,
                        filename=draft.filename, content=pdf.content, sha256=pdf.sha256, pages=pdf.pages,
                        details=dict(draft.details), created_by_id=by.id)
    session.add(document)
    session.flush()
    data = {"kind": document.kind, "subject_type": document.subject_type, "subject_id": document.subject_id,
            "filename": document.filename, "sha256": document.sha256, "pages": document.pages, **document.details}
    chain = draft.context.get("chain")
    if chain:  # the audit chain head the document prints, so a printed copy can be placed in the chain
        data.update(chain_length_printed=chain["length"], chain_head_printed=chain["hash"])
    audit.append(session, actor=by, action="document.stored", object_type="document", object_id=document.id,
                 data=data)
    return document


def produce(session_factory: sessionmaker[Session], read: Callable[[Session], Draft], *, by: audit.Actor,
            once: bool = False, progress: Progress = _no_progress) -> Document:
    """Read (a transaction), render (none open: on SQLite no write lock is held), store (a short one).

    With ``once``, a subject keeps a single document of the kind: if one is stored already (before the
    read, or by a concurrent producer before the store) that one is returned and nothing is written.
    """
    with session_factory() as session:
        progress(0.05, N_("Reading the data"))
        draft = read(session)
        if once and (existing := latest_of(session, draft.subject_type, draft.subject_id, kind=draft.kind)):
            return existing
        session.rollback()
        progress(0.2, N_("Rendering the PDF"))
        pdf = render_pdf(draft.template, draft.context)
        progress(0.95, N_("Storing the document"))
        if once:
            audit.lock_chain_head(session)  # serializes audited writers, so two producers cannot both store
            if existing := latest_of(session, draft.subject_type, draft.subject_id, kind=draft.kind):
                session.rollback()
                return existing
        document = store(session, draft=draft, pdf=pdf, by=by)
        session.commit()
        return document


def documents_of(session: Session, subject_type: str, subject_id: int, *, kind: str | None = None) -> list[Document]:
    """The subject's documents, newest first (their bytes are not loaded)."""
    stmt = select(Document).where(Document.subject_type == subject_type, Document.subject_id == subject_id)
    if kind is not None:
        stmt = stmt.where(Document.kind == kind)
    return list(session.scalars(stmt.order_by(Document.id.desc())))


def latest_of(session: Session, subject_type: str, subject_id: int, *, kind: str) -> Document | None:
    found = documents_of(session, subject_type, subject_id, kind=kind)
    return found[0] if found else None


def get_document(session: Session, document_id: int) -> Document:
    document = session.get(Document, document_id)
    if document is None:
        raise NotFound("document")
    return document


def pdf_response(document: Document) -> Response:
    """The stored bytes as served: inline PDF, its file name, and its SHA-256 for the reader to check."""
    return Response(content=document.content, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{document.filename}"',
                             "X-Content-SHA256": document.sha256})
