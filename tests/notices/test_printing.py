"""The print view: the reply slip beside the stamp table, images inline, PDFs with pages."""

import io

from PIL import Image
from pypdf import PdfWriter

from jichikai.notices.models import QUESTION_NUMBER, QUESTION_SINGLE, REPLY_SURVEY
from jichikai.notices.printing import count_pdf_pages
from jichikai.notices.questionnaires import QuestionInput

from .helpers import PDF_BYTES, make_notice, png_bytes


def pdf_of_pages(pages: int) -> bytes:
    """A PDF written by Pillow (a plain page tree)."""
    images = [Image.new("RGB", (60, 80), "white") for _ in range(pages)]
    buffer = io.BytesIO()
    images[0].save(buffer, "PDF", save_all=True, append_images=images[1:])
    return buffer.getvalue()


def with_pages_added(data: bytes, more: int) -> bytes:
    """The PDF with `more` blank pages appended as an incremental update (as editors save)."""
    writer = PdfWriter(io.BytesIO(data), incremental=True)
    for _ in range(more):
        writer.add_blank_page(60, 80)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_pages_of_a_plain_pdf():
    assert count_pdf_pages(pdf_of_pages(3)) == 3


def test_pages_added_by_an_incremental_update_are_counted():
    original = pdf_of_pages(2)
    updated = with_pages_added(original, 2)
    assert updated.startswith(original)  # an update appended, the first version untouched
    assert count_pdf_pages(updated) == 4


def test_a_broken_pdf_has_no_count():
    assert count_pdf_pages(pdf_of_pages(3)[:200]) is None


def test_a_pdf_without_a_page_tree_has_no_count():
    assert count_pdf_pages(PDF_BYTES) is None
    assert count_pdf_pages(b"GIF89a") is None


def test_print_view_carries_the_slip_the_images_and_the_pdf_pages(client, world, as_member):
    notice = make_notice(
        world,
        reply_kind=REPLY_SURVEY,
        questions=[
            QuestionInput("出席しますか", QUESTION_SINGLE, True, ["出る", "出ない"]),
            QuestionInput("人数", QUESTION_NUMBER, True, [], 1, 6),
        ],
        files=[("地図.png", png_bytes()), ("案内.pdf", pdf_of_pages(3))],
    )
    image = notice.attachments[0]
    as_member(world.leader)
    page = client.get(f"/notices/{notice.id}/blocks/{world.block.id}/print").get_data(as_text=True)
    assert f'src="/notices/{notice.id}/files/{image.id}/web"' in page
    assert "案内.pdf（3 ページ）" in page
    stamps, slip = page.index('class="stamps"'), page.index('class="slip"')
    assert stamps < slip
    assert "返信票" in page and "□</span> 出る" in page and "1 から 6 までの数" in page


def test_print_view_without_a_form_has_no_slip(client, world, as_member):
    notice = make_notice(world)
    as_member(world.leader)
    page = client.get(f"/notices/{notice.id}/blocks/{world.block.id}/print").get_data(as_text=True)
    assert "返信票" not in page
