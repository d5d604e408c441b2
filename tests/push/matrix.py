"""Permission cases of notification settings, the push API and the delivery problems page."""

from jichikai.extensions import db
from jichikai.push.models import PushSubscription

from ..matrix import LOGIN, Case, admins_only, everyone, expect, logged_in
from .helpers import use_test_vapid_key

P256DH = "BOWPLUdjS5R33Lt2bU9PYUbbxQSpltzr5hbXpsjPIDxIZMlhJSONMPNU2na_nFoqYjrjINpxIvd9__MGlyWzkMk"
AUTH = "tBHItJI5svbpez7KI4CCXg"


def _member_subscription_url(world) -> str:
    subscription = PushSubscription(
        association_id=world.association.id,
        member_id=world.member.id,
        endpoint=f"https://fcm.googleapis.com/fcm/send/matrix-{world.member.id}",
        p256dh=P256DH,
        auth=AUTH,
    )
    db.session.add(subscription)
    db.session.commit()
    return f"/me/notifications/devices/{subscription.id}/delete"


def _key_url(world) -> str:
    use_test_vapid_key()
    return "/api/v1/push/vapid-public-key"


def _subscription_json(world) -> dict:
    return {
        "endpoint": "https://fcm.googleapis.com/fcm/send/matrix-new",
        "keys": {"p256dh": P256DH, "auth": AUTH},
    }


CASES = [
    Case("GET", lambda w: "/me/notifications", logged_in(200), id="push-settings"),
    Case(
        "POST",
        lambda w: "/me/notifications",
        logged_in(302),
        form=lambda w: {"push_preference": "urgent"},
        id="push-settings-save",
    ),
    Case("POST", lambda w: "/me/notifications/test", logged_in(302), id="push-test"),
    Case(
        "POST",
        _member_subscription_url,
        expect(anonymous=LOGIN, member=302, default=404),
        id="push-device-delete",
    ),
    Case("GET", lambda w: "/admin/push", admins_only(), id="push-problems"),
    Case("GET", _key_url, everyone(200), id="push-vapid-key"),
    Case(
        "POST",
        lambda w: "/api/v1/push/subscriptions",
        logged_in(201),
        json=_subscription_json,
        id="push-subscribe",
    ),
    Case(
        "DELETE",
        lambda w: "/api/v1/push/subscriptions",
        logged_in(404),
        json=lambda w: {"endpoint": "https://fcm.googleapis.com/fcm/send/unknown"},
        id="push-unsubscribe-unknown",
    ),
]
