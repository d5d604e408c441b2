"""A push service on 127.0.0.1 that checks requests the way FCM, Mozilla and Apple do.

It verifies the VAPID `Authorization: vapid t=<JWT>,k=<key>` header (ES256 signature against
`k`, `aud` = the endpoint's origin, `exp` within 24 h, `sub` mailto:/https:), decrypts the
aes128gcm body with the subscription's private key and auth secret (http_ece), checks `TTL`,
`Urgency` and `Topic`, and answers 201, or what the test scripted (404, 410, 429 with
Retry-After, 500...).

Browsers' subscriptions are made with `new_subscription()`: a real P-256 key pair and auth
secret each, like `pushManager.subscribe()`.
"""

import asyncio
import base64
import json
import os
import re
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field

import http_ece
from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from ..aioserver import ThreadedSite

URGENCIES = {"very-low", "low", "normal", "high"}
TOPIC = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64url(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


@dataclass
class BrowserSubscription:
    """What a browser keeps: the private key and auth secret; `to_json()` is what it sends."""

    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes

    @property
    def p256dh(self) -> str:
        raw = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64url(raw)

    def to_json(self) -> dict:
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": self.p256dh, "auth": b64url(self.auth)},
        }


@dataclass
class Received:
    """One message the emulator accepted (or refused), decrypted."""

    endpoint: str
    status: int
    payload: dict | None
    ttl: int
    urgency: str
    topic: str | None
    claims: dict = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)  # when the answer was given


class VerificationError(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def verify_vapid(header: str, origin: str, now: float | None = None) -> dict:
    """Check `vapid t=...,k=...` as push services do; the JWT's claims."""
    now = time.time() if now is None else now
    if not header.lower().startswith("vapid "):
        raise VerificationError(401, "Authorization is not vapid")
    parts = dict(p.strip().split("=", 1) for p in header[6:].split(",") if "=" in p)
    token, key = parts.get("t"), parts.get("k")
    if not token or not key:
        raise VerificationError(401, "vapid header without t or k")
    try:
        head_b64, claims_b64, signature_b64 = token.split(".")
        head = json.loads(unb64url(head_b64))
        claims = json.loads(unb64url(claims_b64))
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
        signature = unb64url(signature_b64)
    except Exception as error:
        raise VerificationError(401, f"malformed JWT: {error}") from error
    if head.get("alg") != "ES256" or len(signature) != 64:
        raise VerificationError(401, "JWT is not ES256")
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    try:
        public.verify(der, f"{head_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as error:
        raise VerificationError(401, "bad JWT signature") from error
    if claims.get("aud") != origin:
        raise VerificationError(403, f"aud {claims.get('aud')!r} is not {origin!r}")
    exp = claims.get("exp")
    if not isinstance(exp, int) or not now < exp <= now + 24 * 3600:
        raise VerificationError(403, f"exp {exp!r} not within 24 h")
    sub = str(claims.get("sub", ""))
    if not (sub.startswith("mailto:") or sub.startswith("https:")):
        raise VerificationError(403, f"sub {sub!r} is not mailto: or https:")
    return claims


class PushServiceEmulator:
    """Start with `start()` (a thread with its own event loop), stop with `stop()`."""

    def __init__(self, latency: float = 0.0, decrypt_every: int = 1) -> None:
        self.latency = latency
        self.decrypt_every = decrypt_every
        self.keys: dict[str, tuple[ec.EllipticCurvePrivateKey, bytes]] = {}
        self.scripts: dict[str, deque] = defaultdict(deque)
        self.received: list[Received] = []
        self.errors: list[str] = []
        self.requests = 0
        self._verified: dict[str, dict] = {}
        self._lock = threading.Lock()
        self._site = ThreadedSite("push-emulator", client_max_size=64 * 1024)
        self.origin = ""

    # Browser side -------------------------------------------------------------------------

    def new_subscription(self) -> BrowserSubscription:
        """A subscription with a fresh P-256 key pair and auth secret, as a browser makes."""
        token = b64url(os.urandom(16))
        subscription = BrowserSubscription(
            f"{self.origin}/push/{token}", ec.generate_private_key(ec.SECP256R1()), os.urandom(16)
        )
        self.add(subscription)
        return subscription

    def add(self, subscription: BrowserSubscription) -> None:
        self.keys[subscription.endpoint] = (subscription.private_key, subscription.auth)

    def answer(self, subscription, *statuses: int | tuple[int, str]) -> None:
        """The next answers for this endpoint: 410, or (429, "3") for a Retry-After."""
        endpoint = getattr(subscription, "endpoint", subscription)
        self.scripts[endpoint].extend(statuses)

    def forget(self, subscription) -> None:
        """The browser unsubscribed: the endpoint answers 410 from now on."""
        self.keys.pop(getattr(subscription, "endpoint", subscription), None)

    def payloads_for(self, subscription) -> list[dict]:
        endpoint = getattr(subscription, "endpoint", subscription)
        return [r.payload for r in self.received if r.endpoint == endpoint and r.status < 300]

    # Server side --------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        number = self.requests
        endpoint = f"{self.origin}{request.path}"
        body = await request.read()
        if self.latency:
            await asyncio.sleep(self.latency)
        try:
            received = self._check(request, endpoint, body, number % self.decrypt_every == 0)
        except VerificationError as error:
            with self._lock:
                self.errors.append(f"{error.status} {error}")
            return web.Response(status=error.status, text=str(error))
        script = self.scripts.get(endpoint)
        status, retry_after = 201, None
        if script:
            status = script.popleft()
            if isinstance(status, tuple):
                status, retry_after = status
        elif endpoint not in self.keys:
            status = 410
        received.status, received.at = status, time.monotonic()
        with self._lock:
            self.received.append(received)
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        if status == 201:
            headers["Location"] = f"{self.origin}/message/{number}"
        return web.Response(status=status, headers=headers)

    def _check(self, request: web.Request, endpoint: str, body: bytes, decrypt: bool) -> Received:
        header = request.headers.get("Authorization", "")
        claims = self._verified.get(header)
        if claims is None or claims["exp"] <= time.time():
            claims = verify_vapid(header, self.origin)
            self._verified[header] = claims
        ttl = request.headers.get("TTL", "")
        if not ttl.isdigit():
            raise VerificationError(400, f"TTL {ttl!r} missing or not a number")
        urgency = request.headers.get("Urgency", "normal")
        if urgency not in URGENCIES:
            raise VerificationError(400, f"Urgency {urgency!r}")
        topic = request.headers.get("Topic")
        if topic is not None and not TOPIC.match(topic):
            raise VerificationError(400, f"Topic {topic!r}")
        if len(body) > 4096:
            raise VerificationError(413, "payload too large")
        payload = None
        keys = self.keys.get(endpoint)
        if keys is not None and decrypt:
            if request.headers.get("Content-Encoding") != "aes128gcm":
                raise VerificationError(400, "Content-Encoding is not aes128gcm")
            private_key, auth = keys
            try:
                plain = http_ece.decrypt(
                    body, private_key=private_key, auth_secret=auth, version="aes128gcm"
                )
                payload = json.loads(plain.decode())
            except Exception as error:
                raise VerificationError(400, f"cannot decrypt: {error!r}") from error
        return Received(endpoint, 0, payload, int(ttl), urgency, topic, claims)

    def start(self) -> "PushServiceEmulator":
        self.origin = self._site.start(self._routes)
        return self

    def _routes(self, app: web.Application) -> None:
        app.router.add_post("/push/{token}", self.handle)

    def stop(self) -> None:
        self._site.stop()
