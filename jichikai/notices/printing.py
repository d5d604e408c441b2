"""What the print view needs beyond the notice: the page count of PDF attachments."""

from __future__ import annotations

import io
import logging

from pypdf import PdfReader

from ..storage import StorageError
from . import attachments
from .models import Attachment

log = logging.getLogger(__name__)


def count_pdf_pages(data: bytes) -> int | None:
    """Pages of a PDF (read with pypdf); None when the file is not a PDF it can read."""
    if not data.startswith(b"%PDF"):
        return None
    try:
        return len(PdfReader(io.BytesIO(data)).pages) or None
    except Exception as error:  # an uploaded file may be broken in any way pypdf finds
        log.info("PDF page count unknown: %s", type(error).__name__)
        return None


def pdf_page_counts(items: list[Attachment]) -> dict[int, int | None]:
    """Page counts of a notice's PDF attachments by attachment id."""
    counts: dict[int, int | None] = {}
    for item in items:
        if item.content_type != "application/pdf":
            continue
        try:
            data = attachments.read(item.association_id, item.storage_key)
        except StorageError:  # the store is away: the print view names the file without pages
            data = None
        counts[item.id] = count_pdf_pages(data) if data else None
    return counts
