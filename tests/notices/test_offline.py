"""The circulars a phone keeps for reading offline: which, within what budget, and no read."""

from datetime import timedelta

from sqlalchemy import func, select

from jichikai.database import utcnow
from jichikai.extensions import db
from jichikai.notices.models import ReadReceipt
from jichikai.notices.offline import OFFLINE_HEADER, OFFLINE_NOTICES, OFFLINE_PURPOSE

from .helpers import PDF_BYTES, make_notice, png_bytes


def _offline(client) -> dict:
    response = client.get("/api/v1/notices/offline")
    assert response.status_code == 200
    return response.get_json()


def test_the_newest_circulars_the_member_can_see_opened_or_not(client, world, as_member):
    now = utcnow()
    for n in range(OFFLINE_NOTICES + 2):
        make_notice(world, title=f"回覧{n}", now=now - timedelta(hours=30 - n), commit=False)
    other = make_notice(world, title="2班だけ", block_ids=[world.other_block.id])
    as_member(world.member)
    kept = _offline(client)["notices"]
    assert len(kept) == OFFLINE_NOTICES
    ids = [n["id"] for n in kept]
    assert ids == sorted(ids, reverse=True) and other.id not in ids
    assert kept[0]["url"] == f"/notices/{ids[0]}"


def test_attachments_beyond_the_budget_are_skipped(app, client, world, as_member):
    photo = png_bytes((400, 300))
    older = make_notice(world, files=[("annai.pdf", PDF_BYTES)], now=utcnow() - timedelta(hours=1))
    newer = make_notice(world, files=[("chirashi.png", photo)])
    image, pdf = newer.attachments[0], older.attachments[0]
    app.config["NOTICE_OFFLINE_BUDGET_BYTES"] = image.size + pdf.size - 1
    try:
        as_member(world.member)
        kept = _offline(client)
    finally:
        app.config.pop("NOTICE_OFFLINE_BUDGET_BYTES")
    # The newest first: the image's small version fits, the older PDF does not.
    assert kept["notices"][0]["attachments"] == [f"/notices/{newer.id}/files/{image.id}/web"]
    assert kept["notices"][1]["attachments"] == []
    assert kept["skipped"] == [f"/notices/{older.id}/files/{pdf.id}"]
    assert kept["used"] == image.size <= kept["budget"]


def test_a_copy_kept_for_offline_is_not_a_read(client, world, as_member):
    notice = make_notice(world)
    as_member(world.member)
    page = client.get(f"/notices/{notice.id}", headers={OFFLINE_HEADER: OFFLINE_PURPOSE})
    assert page.status_code == 200 and notice.title in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ReadReceipt)) == 0
    client.get(f"/notices/{notice.id}")
    assert db.session.scalar(select(func.count()).select_from(ReadReceipt)) == 1
