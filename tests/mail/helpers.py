"""Queueing email in tests: contacts made directly, messages through reach.notify()."""

from flask import current_app
from sqlalchemy import select

from jichikai.extensions import db
from jichikai.mail.channels import open_email
from jichikai.notices.services import NoticeInput, create_notice
from jichikai.push.models import Outbox
from jichikai.reach.models import CHANNEL_EMAIL
from jichikai.reach.services import Message, notify, simple

from ..disaster.helpers import start
from ..reach.helpers import add_contact


def give_email(member, address: str, **fields):
    member.preferred_channel = CHANNEL_EMAIL
    return add_contact(member, CHANNEL_EMAIL, address, **fields)


def post_circular(world, title: str = "清掃のお知らせ", body: str = "日曜日の朝9時に集まります。"):
    notice = create_notice(world.association, world.officer, NoticeInput(title=title, body=body))
    db.session.commit()
    return notice


def start_drill(world, message: str = "大きな地震がありました。"):
    return start(world, drill=True, title="震度6弱の地震", message=message)


def queue_simple(members, title: str, body: str = "", kind: str = "test", label: str = ""):
    """One message to `members` (kind test: always delivered)."""
    reach = notify(members, Message(kind=kind, compose=simple(title, body, "/"), label=label))
    db.session.commit()
    return reach


def send_email(max_batches=None):
    """`flask outbox send-pending --channel email`, in the test's app context."""
    sender = open_email(current_app._get_current_object())
    try:
        return sender.send_pending(max_batches=max_batches)
    finally:
        sender.close()


def email_rows(**where):
    query = select(Outbox).where(Outbox.channel == CHANNEL_EMAIL).order_by(Outbox.id)
    for key, value in where.items():
        query = query.where(getattr(Outbox, key) == value)
    db.session.expire_all()
    return db.session.scalars(query).all()
