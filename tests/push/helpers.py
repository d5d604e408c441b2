"""Test helpers of push: a VAPID key kept in memory, browsers subscribed through the service."""

from flask import current_app
from py_vapid import Vapid02

from jichikai.extensions import db
from jichikai.push.delivery import make_sender, send_pending
from jichikai.push.models import PushSubscription
from jichikai.push.services import PushMessage, notify, subscribe

_KEY = {}


def use_test_vapid_key(app=None) -> Vapid02:
    """Give the app a VAPID key without writing to the instance folder."""
    app = app or current_app
    if "key" not in _KEY:
        key = Vapid02()
        key.generate_keys()
        _KEY["key"] = key
    app.extensions.setdefault("jichikai.push", {})["vapid"] = _KEY["key"]
    return _KEY["key"]


def subscribe_browser(emulator, member):
    """A browser of `member` subscribes (real P-256 keys) and the server saves it."""
    browser = emulator.new_subscription()
    data = browser.to_json()
    subscription, _created = subscribe(
        member,
        data["endpoint"],
        data["keys"]["p256dh"],
        data["keys"]["auth"],
        origins=[emulator.origin],
    )
    db.session.commit()
    return browser, subscription


def send_all(**config):
    """`flask push send-pending`, in the test's app context."""
    with make_sender() as sender:
        return send_pending(sender)


def queue_for(member, emulator, count: int, message: PushMessage) -> list[str]:
    """`count` devices of one member (real keys), and `message` queued for each."""
    endpoints = []
    for _ in range(count):
        browser = emulator.new_subscription()
        keys = browser.to_json()["keys"]
        db.session.add(
            PushSubscription(
                association_id=member.association_id,
                member_id=member.id,
                endpoint=browser.endpoint,
                p256dh=keys["p256dh"],
                auth=keys["auth"],
            )
        )
        endpoints.append(browser.endpoint)
    db.session.flush()
    notify([member], message)
    db.session.commit()
    return endpoints
