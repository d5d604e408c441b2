"""Push subscriptions, preferences, and queueing messages: notify() writes delivery rows.

Sending is elsewhere (`delivery.send_pending`, run by the worker); notify() only adds rows to the
caller's transaction, so a notice and its push messages are committed together or not at all.
"""

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import delete, select, update

from ..database import utcnow
from ..extensions import db
from ..i18n import ruby_plain
from ..org.models import Member
from .models import PushDelivery, PushSubscription

NOTICE_TTL = 4 * 24 * 3600
DISASTER_TTL = 24 * 3600
MAX_PAYLOAD_BYTES = 3 * 1024
MAX_SUBSCRIPTIONS_PER_MEMBER = 10

# What a message is, for the members' preferences: all notices / urgent only / none.
KIND_NOTICE = "notice"
KIND_URGENT = "urgent"
KIND_DISASTER = "disaster"
KIND_TEST = "test"  # asked for by the member: always delivered

PREFERENCES = ("all", "urgent", "none")
URGENCIES = ("very-low", "low", "normal", "high")

DEFAULT_ALLOWED_ORIGINS = (
    "https://fcm.googleapis.com",
    "https://updates.push.services.mozilla.com",
    "https://web.push.apple.com",
    "https://*.notify.windows.com",
)

_TOPIC = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class SubscriptionError(ValueError):
    """A PushSubscription we do not accept; the message says why."""


class SubscriptionTaken(SubscriptionError):
    """The endpoint is another browser's: neither its keys nor the login that saved it."""


@dataclass(frozen=True)
class PushMessage:
    """What a phone shows: title, body, the page a tap opens, and a tag that groups."""

    title: str
    body: str = ""
    url: str = "/"
    tag: str = ""
    kind: str = KIND_NOTICE
    urgency: str = "normal"  # very-low, low, normal, high
    ttl: int = NOTICE_TTL
    topic: str | None = None  # replaces an undelivered message with the same topic


def wants(member: Member, kind: str) -> bool:
    """Whether a member's preference lets this kind of message through."""
    if kind in (KIND_DISASTER, KIND_TEST):
        return True
    if member.push_preference == "none":
        return False
    if member.push_preference == "urgent":
        return kind == KIND_URGENT
    return True


def payload(title: str, body: str, url: str, tag: str) -> bytes:
    """The JSON the service worker reads (UTF-8, not escaped: Japanese costs 3 bytes a char)."""
    data = {"title": title, "body": body, "url": url, "tag": tag}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def fit_message(message: PushMessage) -> tuple[str, str]:
    """Title and body, the body shortened (with an ellipsis) so that the payload fits in 3 KB."""
    title, body = ruby_plain(message.title)[:200], ruby_plain(message.body)

    def size(text: str) -> int:
        return len(payload(title, text, message.url, message.tag))

    if size(body) <= MAX_PAYLOAD_BYTES:
        return title, body
    # A character takes 1 to 6 bytes in the JSON; cutting excess/6 never cuts too much.
    while body and size(body + "…") > MAX_PAYLOAD_BYTES:
        excess = size(body + "…") - MAX_PAYLOAD_BYTES
        body = body[: len(body) - max(1, -(-excess // 6))]
    if size(body + "…") > MAX_PAYLOAD_BYTES:
        raise ValueError("push message too large even without a body (url or tag too long)")
    return title, body + "…"


def topic_for(topic: str | None) -> str | None:
    """A valid Topic header (<= 32 base64url characters): kept if valid, else hashed."""
    if not topic:
        return None
    if _TOPIC.match(topic):
        return topic
    digest = hashlib.sha256(topic.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:32]


def outbox_row(*, url: str, tag: str, urgency: str, ttl: int, now: datetime, **values) -> dict:
    """One pending outbox row (push or any channel): `values` name the recipient and text.

    No channel shows HTML ruby: furigana marks (｜漢字《かんじ》) are sent as 漢字(かんじ)."""
    for name in ("title", "body"):
        if isinstance(values.get(name), str):
            values[name] = ruby_plain(values[name])
    return {
        "channel": "push",
        "url": url[:500],
        "tag": tag[:100],
        "urgency": urgency,
        "ttl": ttl,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "expires_at": now + timedelta(seconds=ttl),
        "last_error": "",
        **values,
    }


def notify(members: Iterable[Member], message: PushMessage) -> int:
    """Queue `message` for every subscription of `members`; the caller's commit makes it real."""
    if message.urgency not in URGENCIES:
        raise ValueError(f"unknown urgency {message.urgency!r}")
    wanted = {m.id: m for m in members if m.active and wants(m, message.kind)}
    if not wanted:
        return 0
    subscriptions = db.session.scalars(
        select(PushSubscription).where(PushSubscription.member_id.in_(list(wanted)))
    ).all()
    if not subscriptions:
        return 0
    title, body = fit_message(message)
    topic = topic_for(message.topic)
    now = utcnow()
    if topic:
        # The push service would replace a waiting message with the same topic; do the same
        # for the ones still queued here.
        db.session.execute(
            update(PushDelivery)
            .where(
                PushDelivery.subscription_id.in_([s.id for s in subscriptions]),
                PushDelivery.topic == topic,
                PushDelivery.status == "pending",
            )
            .values(status="replaced")
            .execution_options(synchronize_session=False)
        )
    rows = [
        outbox_row(
            association_id=sub.association_id,
            member_id=sub.member_id,
            subscription_id=sub.id,
            kind=message.kind,
            title=title,
            body=body,
            url=message.url,
            tag=message.tag,
            topic=topic,
            urgency=message.urgency,
            ttl=message.ttl,
            now=now,
        )
        for sub in subscriptions
    ]
    db.session.execute(PushDelivery.__table__.insert(), rows)
    return len(rows)


# Subscriptions -------------------------------------------------------------------------------


def allowed_origins(config_value) -> list[str]:
    """The push-service origins endpoints may point at (config replaces the default list)."""
    if not config_value:
        return list(DEFAULT_ALLOWED_ORIGINS)
    if isinstance(config_value, str):
        config_value = config_value.split(",")
    return [origin.strip().rstrip("/").lower() for origin in config_value if origin.strip()]


def endpoint_allowed(endpoint: str, origins: list[str]) -> bool:
    """Whether an endpoint is on a push service of the allow-list (no internal addresses)."""
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:
        return False
    if parts.username or parts.password or parts.fragment or not parts.hostname:
        return False
    scheme, host = parts.scheme.lower(), parts.hostname.lower()
    port = port or {"https": 443, "http": 80}.get(scheme)
    for origin in origins:
        allowed = urlsplit(origin)
        allowed_host = (allowed.hostname or "").lower()
        allowed_port = allowed.port or {"https": 443, "http": 80}.get(allowed.scheme)
        if allowed.scheme != scheme or allowed_port != port:
            continue
        if allowed_host.startswith("*."):
            if host.endswith(allowed_host[1:]) and len(host) > len(allowed_host) - 1:
                return True
        elif host == allowed_host:
            return True
    return False


def _b64_decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def check_keys(p256dh: str, auth: str) -> None:
    """The browser's P-256 public key and 16-byte auth secret, as base64url."""
    try:
        public = _b64_decode(p256dh)
        secret = _b64_decode(auth)
    except (binascii.Error, ValueError) as error:
        raise SubscriptionError("keys are not base64url") from error
    if len(public) != 65 or public[0] != 4:
        raise SubscriptionError("p256dh is not an uncompressed P-256 point")
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), public)
    except ValueError as error:
        raise SubscriptionError("p256dh is not a point on P-256") from error
    if len(secret) != 16:
        raise SubscriptionError("auth must be 16 bytes")


def subscribe(
    member: Member,
    endpoint: str,
    p256dh: str,
    auth: str,
    *,
    origins: list[str],
    expiration_ms: int | None = None,
    user_agent: str = "",
    device_id: int | None = None,
) -> tuple[PushSubscription, bool]:
    """Save a browser's subscription for `member` logged in as `device_id`; returns it and
    whether it is new.

    One browser, one subscription. A known endpoint changes only for the same browser: the
    login that saved it (which may renew the keys), or whoever sends the very keys saved with
    it, which only that browser holds (another member logged in on a shared phone: the row
    moves to them). Anyone else, who learnt the endpoint, is refused (SubscriptionTaken), or
    they could silence someone else's alerts.
    """
    if not endpoint_allowed(endpoint, origins):
        raise SubscriptionError("endpoint is not on a known push service")
    check_keys(p256dh, auth)
    expires_at = None
    if expiration_ms:
        try:
            expires_at = datetime.fromtimestamp(expiration_ms / 1000, UTC)
        except (OverflowError, OSError, ValueError) as error:
            raise SubscriptionError("expirationTime is not a time") from error
        if expires_at <= utcnow():
            raise SubscriptionError("subscription has already expired")

    subscription = db.session.scalar(
        select(PushSubscription).where(PushSubscription.endpoint == endpoint)
    )
    if subscription is not None and not _same_browser(subscription, p256dh, auth, device_id):
        raise SubscriptionTaken("this subscription belongs to another browser")
    created = subscription is None
    if created:
        subscription = PushSubscription(
            endpoint=endpoint, member_id=member.id, association_id=member.association_id
        )
        db.session.add(subscription)
    elif subscription.member_id != member.id:
        # Another login on this browser: the old member's queued messages must not follow.
        db.session.execute(
            delete(PushDelivery).where(PushDelivery.subscription_id == subscription.id)
        )
    subscription.member_id = member.id
    subscription.association_id = member.association_id
    subscription.device_id = device_id
    subscription.p256dh = p256dh
    subscription.auth = auth
    subscription.expires_at = expires_at
    subscription.user_agent = user_agent[:300]
    subscription.failures = 0
    subscription.last_error = ""
    db.session.flush()
    _keep_newest(member)
    return subscription, created


def _same_browser(
    subscription: PushSubscription, p256dh: str, auth: str, device_id: int | None
) -> bool:
    """Whether a request comes from the browser holding `subscription` (see subscribe())."""
    if device_id is not None and subscription.device_id == device_id:
        return True
    same_key = hmac.compare_digest(subscription.p256dh.encode(), p256dh.encode())
    return hmac.compare_digest(subscription.auth.encode(), auth.encode()) and same_key


def _keep_newest(member: Member) -> None:
    """A member keeps at most MAX_SUBSCRIPTIONS_PER_MEMBER devices; the oldest go."""
    ids = db.session.scalars(
        select(PushSubscription.id)
        .where(PushSubscription.member_id == member.id)
        .order_by(PushSubscription.created_at.desc(), PushSubscription.id.desc())
        .offset(MAX_SUBSCRIPTIONS_PER_MEMBER)
    ).all()
    if ids:
        db.session.execute(delete(PushSubscription).where(PushSubscription.id.in_(ids)))


def unsubscribe(member: Member, endpoint: str) -> bool:
    """Remove the member's own subscription for `endpoint`; False when there is none."""
    result = db.session.execute(
        delete(PushSubscription).where(
            PushSubscription.endpoint == endpoint, PushSubscription.member_id == member.id
        )
    )
    return result.rowcount > 0


def delete_subscription(member: Member, subscription: PushSubscription) -> None:
    """Forget one of the member's devices (from the preferences page)."""
    if subscription.member_id != member.id:
        raise SubscriptionError("not this member's subscription")
    db.session.delete(subscription)
    db.session.flush()


def forget_member(member: Member, by: Member | None = None) -> None:
    """Delete all of the member's subscriptions and so their queued messages (deactivated)."""
    db.session.execute(delete(PushSubscription).where(PushSubscription.member_id == member.id))


def member_subscriptions(member: Member) -> list[PushSubscription]:
    return list(
        db.session.scalars(
            select(PushSubscription)
            .where(PushSubscription.member_id == member.id)
            .order_by(PushSubscription.created_at)
        )
    )


def set_preference(member: Member, preference: str) -> None:
    """all / urgent / none; disaster alerts come whatever the choice."""
    if preference not in PREFERENCES:
        raise ValueError(f"unknown push preference {preference!r}")
    member.push_preference = preference
    db.session.flush()


def send_test(member: Member, title: str, body: str, url: str) -> int:
    """Queue a test message to every device of `member`; how many devices."""
    return notify(
        [member], PushMessage(title=title, body=body, url=url, tag="test", kind=KIND_TEST)
    )
