"""What the print view needs beyond the notice: the page count of PDF attachments.

pypdf is not among the requirements, so pages are counted from the file's own structure: the
page tree's root (/Type /Pages) states its /Count, the total number of pages. Compressed object
streams (PDF 1.5 and later) are inflated first. When no page tree is found, the page objects
(/Type /Page) are counted instead; when neither is found the count is unknown (None) and the
print view names the file without it.
"""

from __future__ import annotations

import re
import zlib

from . import attachments
from .models import Attachment

_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.S)
_PAGES = re.compile(rb"/Type\s*/Pages(?![A-Za-z])")
_PAGE = re.compile(rb"/Type\s*/Page(?![A-Za-z])")
_COUNT = re.compile(rb"/Count\s+(\d+)")
# Inflated streams larger than this are page contents, not object streams: not searched.
INFLATE_LIMIT = 8 * 1024 * 1024


def _texts(data: bytes) -> list[bytes]:
    """The file and every stream that inflates (object streams hold dictionaries)."""
    texts = [data]
    for match in _STREAM.finditer(data):
        try:
            inflater = zlib.decompressobj()
            inflated = inflater.decompress(match.group(1), INFLATE_LIMIT)
        except zlib.error:
            continue
        if b"/Type" in inflated:
            texts.append(inflated)
    return texts


def _dictionary_around(text: bytes, at: int) -> bytes:
    """The innermost << ... >> dictionary that contains position `at`."""
    depth, start = 0, 0
    i = at
    while i > 0:
        if text[i - 1 : i + 1] == b">>":
            depth += 1
            i -= 2
            continue
        if text[i - 1 : i + 1] == b"<<":
            if depth == 0:
                start = i - 1
                break
            depth -= 1
            i -= 2
            continue
        i -= 1
    depth, end = 0, len(text)
    i = start + 2
    while i < len(text) - 1:
        pair = text[i : i + 2]
        if pair == b"<<":
            depth += 1
            i += 2
        elif pair == b">>":
            if depth == 0:
                end = i + 2
                break
            depth -= 1
            i += 2
        else:
            i += 1
    return text[start:end]


def count_pdf_pages(data: bytes) -> int | None:
    """Pages of a PDF from its page tree; None when the file does not say."""
    if not data.startswith(b"%PDF"):
        return None
    totals: list[int] = []
    pages = 0
    for text in _texts(data):
        for match in _PAGES.finditer(text):
            count = _COUNT.search(_dictionary_around(text, match.start()))
            if count:
                totals.append(int(count.group(1)))
        pages += len(_PAGE.findall(text))
    if totals:
        # The root of the tree counts every page below it: the largest count.
        return max(totals) or None
    return pages or None


def pdf_page_counts(items: list[Attachment]) -> dict[int, int | None]:
    """Page counts of a notice's PDF attachments by attachment id."""
    counts: dict[int, int | None] = {}
    for item in items:
        if item.content_type != "application/pdf":
            continue
        path = attachments.path_for(item.association_id, item.storage_key)
        counts[item.id] = count_pdf_pages(path.read_bytes()) if path.exists() else None
    return counts
