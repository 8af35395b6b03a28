"""One way to make a PDF: rendered outside any write transaction, stored with its SHA-256, audited, listed."""

from judging.documents.models import Document
from judging.documents.rendering import RenderedPdf, gettext, local_time, render_pdf
from judging.documents.service import (
    Draft, documents_of, get_document, latest_of, pdf_response, produce, store,
)

__all__ = ["Document", "Draft", "RenderedPdf", "documents_of", "get_document", "gettext", "latest_of",
           "local_time", "pdf_response", "produce", "render_pdf", "store"]
