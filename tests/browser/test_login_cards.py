"""The login card sheet, printed by Chromium to an A4 PDF: every card explains itself.

The PDF's text is read with pypdf and cut into cards at the association's name, which opens
each card; sizes, the cut line and the fit of each card are read from the page laid out for
print.
"""

import io
import math
import re
import unicodedata

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from pypdf import PdfReader

from jichikai.auth.services import start_device
from jichikai.extensions import db

from ..factories import make_household, make_member
from .conftest import screenshot
from .pages import session_cookie

pytestmark = pytest.mark.browser

A4_POINTS = (595, 842)
CARDS_PER_SHEET = 8

# Each card's parts, read in print layout (data-part names in auth/admin/card_sheet.html).
CARD_PARTS = """
() => [...document.querySelectorAll("[data-login-card]")].map((card) => {
  const part = (name) => card.querySelector(`[data-part="${name}"]`);
  const text = (name) => (part(name) ? part(name).innerText.trim() : null);
  const size = (name) => (part(name) ? parseFloat(getComputedStyle(part(name)).fontSize) : 0);
  const style = getComputedStyle(card);
  const qr = card.querySelector("img.login-card-qr");
  return {
    lang: card.lang,
    association: text("association"),
    codeLabel: text("code-label"),
    code: text("code"),
    scan: text("scan-step"),
    type: text("type-step"),
    address: text("address"),
    ask: text("ask"),
    tokenUrl: text("token-url"),
    addressPx: size("address"),
    tokenUrlPx: size("token-url"),
    cutLine: ["Top", "Right", "Bottom", "Left"].every((s) => style[`border${s}Style`] === "dashed"),
    fits: card.scrollHeight <= card.clientHeight + 1,
    overflow: card.scrollHeight - card.clientHeight,
    qrShown: !!qr && qr.complete && qr.naturalWidth > 0,
  };
})
"""


def _pages_in(pdf: bytes) -> list[tuple[float, float]]:
    """The media box (width, height in points) of each page."""
    return [
        (float(p.mediabox.width), float(p.mediabox.height))
        for p in PdfReader(io.BytesIO(pdf)).pages
    ]


def flat(text: str) -> str:
    """Text as compared with a PDF's: NFKC (fonts map some kanji to their Kangxi radical
    look-alikes, 自 as ⾃) and without white space."""
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", text))


def page_texts(pdf: bytes) -> list[str]:
    """The text of each page, as `flat` gives it."""
    return [flat(p.extract_text()) for p in PdfReader(io.BytesIO(pdf)).pages]


def _same(printed: str, wanted: str) -> bool:
    # A CJK radical (U+2E80-U+2EFF, 長 printed as ⻑) has no NFKC mapping: it stands for any kanji.
    return printed == wanted or 0x2E80 <= ord(printed) <= 0x2EFF


def contains(page: str, text: str) -> bool:
    """Whether `text` (flattened) is in a page's text from page_texts."""
    wanted = flat(text)
    return any(
        all(_same(p, w) for p, w in zip(page[i : i + len(wanted)], wanted, strict=True))
        for i in range(len(page) - len(wanted) + 1)
    )


def test_card_sheet_prints_cards_that_explain_themselves(page, live_server, world):
    for n in range(6):
        make_member(make_household(world.block, name=f"追加{n}家"), name=f"追加 {n}")
    world.housemate.language = "en"
    db.session.commit()
    device = start_device(world.officer, "browser")
    db.session.commit()
    page.context.add_cookies([session_cookie(live_server, device.session_id)])

    page.goto(f"/admin/blocks/{world.block.id}/cards")
    page.get_by_role("button", name="カードを作り直して印刷する").click()
    page.wait_for_selector("[data-login-card]")
    assert page.get_by_role("button", name="印刷する").is_visible()
    screenshot(page, "login-card-sheet")

    page.emulate_media(media="print")
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    cards = page.evaluate(CARD_PARTS)
    screenshot(page, "login-card-sheet-print")
    pdf = page.pdf(format="A4", prefer_css_page_size=True, print_background=True)

    assert pdf.startswith(b"%PDF")
    sheets = _pages_in(pdf)
    assert len(cards) == 10
    assert len(sheets) == math.ceil(len(cards) / CARDS_PER_SHEET)
    assert all(abs(w - A4_POINTS[0]) < 2 and abs(h - A4_POINTS[1]) < 2 for w, h in sheets)

    words = {}
    for language in ("ja", "en"):
        with force_locale(language):
            words[language] = {
                "codeLabel": _("ログインコード"),
                "scan": _("カメラでQRコードを読み取る"),
                "type": _("このアドレスを開いてコードを入れる"),
            }
    assert words["en"]["scan"] != words["ja"]["scan"]  # the English catalogue has them

    leader = world.leader.name
    for card in cards:
        assert card["association"] == world.association.name
        assert {k: card[k] for k in words[card["lang"]]} == words[card["lang"]], card
        assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", card["code"]), card
        assert card["address"] == f"{live_server}/login"
        assert card["addressPx"] >= 15  # 12 pt: read without glasses
        assert card["tokenUrl"].startswith(f"{live_server}/c/")
        assert card["tokenUrlPx"] <= 8  # the token URL is for machines: small type only
        assert card["cutLine"] and card["fits"] and card["qrShown"], card
    asks = {card["ask"] for card in cards}
    # Everyone of block 1 asks its leader; the leader's own card names an officer.
    assert sum(leader in ask for ask in asks) >= 2
    assert all(leader in ask or "役員" in ask or "officer" in ask.lower() for ask in asks)
    english = [card for card in cards if card["lang"] == "en"]
    assert len(english) == 1 and leader in english[0]["ask"]

    # On paper: every card carries its parts.
    printed = page_texts(pdf)
    assert len(printed) == len(sheets)
    association = flat(world.association.name)
    on_paper = [chunk for page in printed for chunk in page.split(association)[1:]]
    assert len(on_paper) == len(cards)
    for card, paper in zip(cards, on_paper, strict=True):
        expected = [words[card["lang"]][k] for k in ("scan", "type", "codeLabel")]
        expected += [card["code"], card["address"], card["ask"], f"{live_server}/c/"]
        missing = [part for part in expected if not contains(paper, part)]
        assert missing == [], (paper, missing)
