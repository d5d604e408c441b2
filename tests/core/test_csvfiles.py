"""Officers' CSV files: Excel-friendly, and nothing in them runs as a formula."""

import pytest

from jichikai.csvfiles import csv_download, safe_cell


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+81 48 000 0000", "'+81 48 000 0000"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("佐藤 花子", "佐藤 花子"),
        (3, "3"),
        (None, ""),
    ],
)
def test_safe_cell(value, cell):
    assert safe_cell(value) == cell


def test_csv_download_is_utf8_with_bom_and_crlf(app):
    with app.test_request_context():
        response = csv_download([["名前", "メモ"], ["佐藤", "=1+1"]], "x.csv")
    assert response.data == "\ufeff名前,メモ\r\n佐藤,'=1+1\r\n".encode()
    assert response.headers["Content-Disposition"] == 'attachment; filename="x.csv"'
    assert response.headers["Cache-Control"] == "no-store"
    assert response.mimetype == "text/csv"
