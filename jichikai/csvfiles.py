"""CSV files for officers: UTF-8 with BOM and CRLF (Excel opens them in Japanese), and no
cell that a spreadsheet would run as a formula."""

import csv
import io
from collections.abc import Iterable

from flask import Response

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """A cell as text; one a spreadsheet would read as a formula gets a leading apostrophe.

    Names, places and notes come from members: "=HYPERLINK(...)" must stay text."""
    value = "" if value is None else str(value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_download(rows: Iterable[Iterable], filename: str) -> Response:
    """A CSV attachment that no cache keeps (it holds personal data)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    csv.writer(buffer, lineterminator="\r\n").writerows(
        [safe_cell(value) for value in row] for row in rows
    )
    return Response(
        buffer.getvalue().encode("utf-8"),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
