"""The print view: the reply slip beside the stamp table, images inline, PDFs with pages."""

import io
import zlib

from PIL import Image

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


def pdf_with_object_stream(pages: int) -> bytes:
    """A PDF 1.5 whose dictionaries sit in a compressed object stream (as pdfTeX writes)."""
    kids = " ".join(f"{n} 0 R" for n in range(3, 3 + pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages} /Resources << /Font << >> >> >>".encode(),
    ] + [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>" for _ in range(pages)]
    offsets, body = [], b""
    for obj in objects:
        offsets.append(len(body))
        body += obj + b"\n"
    header = " ".join(f"{n} {o}" for n, o in enumerate(offsets, start=1)).encode()
    data = zlib.compress(header + b"\n" + body)
    n = 3 + pages
    return (
        b"%PDF-1.5\n"
        + f"{n} 0 obj\n<< /Type /ObjStm /N {len(objects)} /First {len(header) + 1}".encode()
        + f" /Filter /FlateDecode /Length {len(data)} >>\nstream\n".encode()
        + data
        + b"\nendstream\nendobj\n%%EOF\n"
    )


def test_pages_of_a_plain_pdf():
    assert count_pdf_pages(pdf_of_pages(3)) == 3


def test_pages_of_a_pdf_with_compressed_object_streams():
    data = pdf_with_object_stream(5)
    assert b"/Count" not in data  # nothing to find without inflating
    assert count_pdf_pages(data) == 5


def test_pages_added_by_an_incremental_update_are_counted():
    original = pdf_of_pages(2)
    update = b"\n9 0 obj\n<< /Type /Pages /Kids [] /Count 4 >>\nendobj\n%%EOF\n"
    assert count_pdf_pages(original + update) == 4


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
