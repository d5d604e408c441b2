"""Factories for circular tests."""

import io
import tempfile
from pathlib import Path

from flask import current_app
from PIL import Image

from jichikai.database import utcnow
from jichikai.extensions import db
from jichikai.notices.attachments import prepare
from jichikai.notices.services import NoticeInput, create_notice
from jichikai.push.models import PushSubscription

_subscriptions = {"n": 0}


def use_temporary_uploads() -> Path:
    """Keep test uploads out of the instance folder."""
    folder = current_app.config.get("NOTICE_UPLOAD_FOLDER")
    if not folder:
        folder = tempfile.mkdtemp(prefix="jichikai-uploads-")
        current_app.config["NOTICE_UPLOAD_FOLDER"] = folder
    return Path(folder)


def png_bytes(size=(40, 30), exif: bool = False) -> bytes:
    image = Image.new("RGB", size, "orange")
    buffer = io.BytesIO()
    if exif:
        data = Image.Exif()
        data[0x010F] = "PhoneMaker"  # Make
        image.save(buffer, "JPEG", exif=data)
    else:
        image.save(buffer, "PNG")
    return buffer.getvalue()


PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def make_notice(world, commit: bool = True, files=(), now=None, **fields):
    """A notice by the world's officer; the whole association unless block_ids are given."""
    use_temporary_uploads()
    fields.setdefault("title", "ごみ収集日の変更")
    fields.setdefault("body", "年末年始は収集がありません。")
    prepared = [prepare(name, data) for name, data in files]
    notice = create_notice(
        world.association, world.officer, NoticeInput(**fields), prepared, now=now or utcnow()
    )
    if commit:
        db.session.commit()
    return notice


def subscribe(member) -> PushSubscription:
    _subscriptions["n"] += 1
    n = _subscriptions["n"]
    subscription = PushSubscription(
        association_id=member.association_id,
        member_id=member.id,
        endpoint=f"https://push.example.jp/{n}",
        p256dh="key",
        auth="auth",
    )
    db.session.add(subscription)
    db.session.flush()
    return subscription
