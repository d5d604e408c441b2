"""What the print view needs beyond the notice: the page count of PDF attachments."""

from __future__ import annotations

import io
import logging

from pypdf import PdfReader

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
        path = attachments.path_for(item.association_id, item.storage_key)
        counts[item.id] = count_pdf_pages(path.read_bytes()) if path.exists() else None
    return counts
