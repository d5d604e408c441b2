"""What the print view needs beyond the notice: the page count of PDF attachments, and the
languages the block's paper households read (a reply slip is printed in each)."""

from __future__ import annotations

import io
import logging

from flask import current_app
from pypdf import PdfReader
from sqlalchemy import select

from ..extensions import db
from ..i18n import member_language
from ..org.models import Household, Member
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


def household_languages(households: list[Household]) -> dict[int, str]:
    """Each household's language: that of its first active member (as everything sent to
    that member), else its association's first language (one query)."""
    ids = [h.id for h in households]
    found: dict[int, str] = {}
    if ids:
        members = db.session.scalars(
            select(Member)
            .where(Member.household_id.in_(ids), Member.active.is_(True))
            .order_by(Member.id)
        )
        for member in members:
            found.setdefault(member.household_id, member_language(member))
    default = current_app.config["LANGUAGES"][0]
    return {h.id: found.get(h.id, default) for h in households}


def slip_languages(households: list[Household], printed_in: str) -> list[str]:
    """The languages beside `printed_in` that the households read, in the server's order."""
    wanted = set(household_languages(households).values()) - {printed_in}
    return [code for code in current_app.config["LANGUAGES"] if code in wanted]
