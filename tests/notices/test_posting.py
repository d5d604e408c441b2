"""Officers post, edit and withdraw circulars; scheduled ones go out with the job."""

import io
from datetime import timedelta

from sqlalchemy import func, select

from jichikai.database import utcnow
from jichikai.extensions import db
from jichikai.notices import jobs
from jichikai.notices.models import Attachment, Notice, ReadReceipt
from jichikai.push.models import PushDelivery

from .helpers import PDF_BYTES, make_notice, png_bytes, subscribe


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_posting_notifies_the_chosen_blocks_subscribers(client, world, as_member):
    subscribe(world.member)
    subscribe(world.other_leader)
    db.session.commit()
    as_member(world.officer)
    response = client.post(
        "/notices/new",
        data={
            "title": "1班の清掃",
            "body": "日曜の朝です。",
            "category": "urgent",
            "blocks": [str(world.block.id)],
        },
    )
    assert response.status_code == 303
    notice = db.session.scalars(select(Notice)).one()
    assert notice.published_at is not None and notice.block_ids == {world.block.id}
    delivery = db.session.scalars(select(PushDelivery)).one()
    assert delivery.subscription.member_id == world.member.id
    assert delivery.tag == f"notice-{notice.id}" and delivery.title.startswith("【緊急】")


def test_empty_title_is_refused_and_nothing_is_saved(client, world, as_member):
    as_member(world.officer)
    response = client.post("/notices/new", data={"title": "  ", "body": "x"})
    assert response.status_code == 400
    assert "題名を入れてください。" in response.get_data(as_text=True)
    assert _count(Notice) == 0


def test_wrong_file_type_is_refused_by_content(client, world, as_member, uploads):
    as_member(world.officer)
    response = client.post(
        "/notices/new",
        data={"title": "添付", "files": [(io.BytesIO(b"MZ not a pdf at all"), "annai.pdf")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "PDF、JPEG、PNG" in response.get_data(as_text=True)
    assert _count(Notice) == 0
    assert not uploads.exists() or not any(uploads.rglob("*"))


def test_a_failed_save_removes_the_files_it_wrote(world, uploads):
    make_notice(world, commit=False, files=[("a.pdf", PDF_BYTES)])
    assert any(uploads.rglob("*.bin"))
    db.session.rollback()
    assert not any(uploads.rglob("*.bin"))
    assert _count(Notice) == 0


def test_images_get_a_web_version_without_metadata(client, world, as_member):
    from PIL import Image

    notice = make_notice(world, files=[("写真.jpg", png_bytes((3000, 2000), exif=True))])
    item = notice.attachments[0]
    assert item.content_type == "image/jpeg" and item.has_web_version
    as_member(world.member)
    original = client.get(f"/notices/{notice.id}/files/{item.id}")
    assert original.status_code == 200
    assert not Image.open(io.BytesIO(original.data)).getexif()
    web = client.get(f"/notices/{notice.id}/files/{item.id}/web")
    assert web.mimetype == "image/jpeg"
    assert max(Image.open(io.BytesIO(web.data)).size) == 1280
    assert "private" in web.headers["Cache-Control"]


def test_attachments_are_only_for_the_audience(client, world, as_member):
    notice = make_notice(world, block_ids=[world.other_block.id], files=[("a.pdf", PDF_BYTES)])
    url = f"/notices/{notice.id}/files/{notice.attachments[0].id}"
    as_member(world.member)
    assert client.get(url).status_code == 404
    as_member(world.other_leader)
    assert client.get(url).status_code == 200


def test_scheduled_notice_is_published_once_by_the_job(client, world, as_member):
    subscribe(world.member)
    now = utcnow()
    notice = make_notice(world, publish_at=now + timedelta(hours=2))
    assert notice.published_at is None and _count(PushDelivery) == 0
    as_member(world.member)
    assert client.get(f"/notices/{notice.id}").status_code == 404

    jobs.publish_scheduled(now + timedelta(hours=1))
    assert _count(PushDelivery) == 0
    jobs.publish_scheduled(now + timedelta(hours=3))
    jobs.publish_scheduled(now + timedelta(hours=4))
    assert _count(PushDelivery) == 1
    assert client.get(f"/notices/{notice.id}").status_code == 200


def test_editing_keeps_receipts_and_marks_updated(client, world, as_member):
    notice = make_notice(world)
    as_member(world.member)
    client.get(f"/notices/{notice.id}")
    as_member(world.officer)
    response = client.post(
        f"/notices/{notice.id}/edit", data={"title": "ごみ収集日の変更（訂正）", "body": "訂正"}
    )
    assert response.status_code == 303
    assert notice.updated_at is not None and _count(ReadReceipt) == 1
    as_member(world.member)
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert "前に読んだあとで、内容が変わりました。" in page
    assert "更新" in client.get("/notices/").get_data(as_text=True)


def test_withdrawn_notices_are_hidden_and_expired_ones_leave_the_feed(client, world, as_member):
    withdrawn = make_notice(world, title="取り下げる回覧")
    expiring = make_notice(world, title="期限つき", expires_at=utcnow() + timedelta(minutes=5))
    as_member(world.officer)
    client.post(f"/notices/{withdrawn.id}/withdraw")
    expiring.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    as_member(world.member)
    assert client.get(f"/notices/{withdrawn.id}").status_code == 404
    assert client.get(f"/notices/{expiring.id}").status_code == 200  # from the archive
    feed = client.get("/notices/").get_data(as_text=True)
    assert "取り下げる回覧" not in feed and "期限つき" not in feed


def test_deleting_an_attachment_removes_its_files_after_commit(client, world, as_member, uploads):
    notice = make_notice(world, files=[("a.png", png_bytes())])
    item = notice.attachments[0]
    assert len(list(uploads.rglob("*"))) == 3  # folder, original, web version
    as_member(world.officer)
    client.post(f"/notices/{notice.id}/attachments/{item.id}/delete")
    assert _count(Attachment) == 0
    assert not any(uploads.rglob("*.bin")) and not any(uploads.rglob("*.jpg"))


def test_demo_circulars_are_seeded(world):
    from jichikai.notices.demo import TOKYO, demo_notices, seed

    seed(world.association)
    titles = set(db.session.scalars(select(Notice.title)))
    today = utcnow().astimezone(TOKYO).date()
    assert titles == {n.title for n in demo_notices(today)}
    assert "防災訓練のお知らせ" in titles
    assert _count(ReadReceipt) > 0
