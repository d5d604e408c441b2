"""Fixtures of the LINE tests: the API emulator, an account, signed webhook requests."""

import base64
import hashlib
import hmac
import json
import uuid

import pytest

from jichikai.extensions import db
from jichikai.line.linking import new_link_code
from jichikai.line.settings import Credentials, save_account

from .emulator import LineEmulator, new_user_id

TOKEN = "test-token-0000-line-channel"
SECRET = "0123456789abcdef0123456789abcdef"


@pytest.fixture(scope="session")
def line_api():
    emulator = LineEmulator().start()
    yield emulator
    emulator.stop()


@pytest.fixture
def line(app, line_api):
    """The emulator, reset, with the app pointed at it."""
    line_api.reset()
    before = app.config["LINE_API_BASE"]
    app.config["LINE_API_BASE"] = line_api.origin
    yield line_api
    app.config["LINE_API_BASE"] = before


@pytest.fixture
def account(app, world, line):
    """ひがし自治会's LINE account, saved through the settings service."""
    saved = save_account(world.association, Credentials("", TOKEN, SECRET), by=world.officer)
    db.session.commit()
    return saved


def sign(body: bytes, secret: str = SECRET) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def event(kind: str, user_id: str, **fields) -> dict:
    """A webhook event as LINE sends it."""
    base = {
        "type": kind,
        "mode": "active",
        "timestamp": 1700000000000,
        "source": {"type": "user", "userId": user_id},
        "webhookEventId": fields.pop("event_id", None) or uuid.uuid4().hex.upper()[:26],
        "deliveryContext": {"isRedelivery": fields.pop("redelivery", False)},
    }
    if kind != "unfollow":
        base["replyToken"] = uuid.uuid4().hex
    if kind == "follow":
        base["follow"] = {"isUnblocked": fields.pop("unblocked", False)}
    if kind == "message":
        base["message"] = {
            "type": "text",
            "id": "1",
            "quoteToken": "q",
            "text": fields.pop("text"),
        }
    if kind == "postback":
        base["postback"] = {"data": fields.pop("data")}
    base.update(fields)
    return base


@pytest.fixture
def post_events(client, world):
    """post_events(event(...), ...): a signed webhook request to the association's URL."""

    def post(*events, secret: str = SECRET, association_id: int | None = None, signature=None):
        body = json.dumps(
            {"destination": "U" + "0" * 32, "events": list(events)}, ensure_ascii=False
        ).encode()
        target = association_id or world.association.id
        return client.post(
            f"/line/webhook/{target}",
            data=body,
            headers={
                "X-Line-Signature": signature if signature is not None else sign(body, secret),
                "Content-Type": "application/json",
            },
        )

    return post


def link_code(member) -> str:
    """A committed one-time link code of `member`."""
    code = new_link_code(member)
    db.session.commit()
    return code


@pytest.fixture
def user_id() -> str:
    return new_user_id()


@pytest.fixture
def sender(app, line):
    from jichikai.line.delivery import LineSender

    built = LineSender(app)
    yield built
    built.close()


def linked(member, user_id: str | None = None):
    """Link `member`'s LINE directly (the webhook tests go through codes)."""
    from jichikai.line.linking import link

    user_id = user_id or new_user_id()
    link(member, user_id)
    db.session.commit()
    return user_id
