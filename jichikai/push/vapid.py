"""The server's VAPID identity (RFC 8292): one P-256 key for every process, and signed JWTs.

The key is JICHIKAI_PUSH_VAPID_PRIVATE_KEY when set (base64url of the raw private key, or a
PEM), else the database's `vapid_private_key` row, created once by the first process that
needs it (jichikai/keys). A key an older version kept in `instance/vapid_private.pem` becomes
that row's first value, so existing subscriptions keep working. Browsers bind every
subscription to the public key, so rotating it makes all existing subscriptions useless:
`flask push vapid-keys --rotate` deletes them, and each device subscribes again the next time
the member opens the app.
"""

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from flask import Flask, current_app
from py_vapid import Vapid02, b64urlencode

from ..files import write_private
from ..keys.services import VAPID_PRIVATE_KEY, forget_cached, replace_stored_key, stored_key
from .channels import ChannelOff

KEY_FILE = "vapid_private.pem"
TOKEN_LIFETIME = 12 * 3600  # seconds; push services accept at most 24 h
RENEW_BEFORE = 2 * 3600  # a cached token is re-signed this long before it expires


class VapidError(ChannelOff):
    """The VAPID key or subject cannot be used."""


def key_path(app: Flask) -> Path:
    return Path(app.instance_path) / KEY_FILE


def load_or_create(path: Path) -> Vapid02:
    """Load the private key, creating it (atomically, once across processes) when missing."""
    if not path.exists():
        vapid = Vapid02()
        vapid.generate_keys()
        _write_new(path, vapid.private_pem())
    try:
        return Vapid02.from_pem(path.read_bytes())
    except Exception as error:  # a damaged file must not pass silently
        raise VapidError(f"cannot read the VAPID key {path}: {error}") from error


def rotate(path: Path) -> Vapid02:
    """Replace the key with a new one and return it."""
    vapid = Vapid02()
    vapid.generate_keys()
    tmp = path.with_suffix(".new")
    tmp.unlink(missing_ok=True)
    _write_new(tmp, vapid.private_pem())
    os.replace(tmp, path)
    return vapid


def private_key_b64(vapid: Vapid02) -> str:
    """The private key as JICHIKAI_PUSH_VAPID_PRIVATE_KEY takes it: the raw 32 bytes, base64url."""
    value = vapid.private_key.private_numbers().private_value
    return b64urlencode(value.to_bytes(32, "big"))


def from_setting(value: str, origin: str = "JICHIKAI_PUSH_VAPID_PRIVATE_KEY") -> Vapid02:
    """A key written as base64url (raw or DER) or as a PEM; a bad one is refused by name."""
    text = value.strip()
    try:
        if text.startswith("-----BEGIN"):
            return Vapid02.from_pem(text.encode())
        return Vapid02.from_string(text)
    except Exception as error:  # a damaged key must not pass silently
        raise VapidError(f"{origin} is not a usable VAPID private key: {error}") from error


def _first_stored_value(app: Flask) -> str:
    """The key of this machine's instance folder (kept by older versions), else a new one."""
    path = key_path(app)
    if path.exists():
        return private_key_b64(load_or_create(path))
    vapid = Vapid02()
    vapid.generate_keys()
    return private_key_b64(vapid)


def load_shared(app: Flask) -> Vapid02:
    """The key every process uses: the setting, else the database's (see the module's text)."""
    configured = app.config.get("PUSH_VAPID_PRIVATE_KEY")
    if configured:
        return from_setting(configured)
    value = stored_key(VAPID_PRIVATE_KEY, lambda: _first_stored_value(app), app)
    return from_setting(value, origin="the database's VAPID key")


def rotate_shared(app: Flask) -> Vapid02:
    """Replace the database's key with a new one (refused when the setting gives it)."""
    if app.config.get("PUSH_VAPID_PRIVATE_KEY"):
        raise VapidError(
            "the key is set by JICHIKAI_PUSH_VAPID_PRIVATE_KEY: change it where it is set"
        )
    vapid = Vapid02()
    vapid.generate_keys()
    replace_stored_key(VAPID_PRIVATE_KEY, private_key_b64(vapid))
    return vapid


def _write_new(path: Path, pem: bytes) -> None:
    """Create `path` readable by the owner only; another process that won the race wins."""
    write_private(path, pem, exclusive=True)


def public_key_b64(vapid: Vapid02) -> str:
    """The applicationServerKey browsers need: the uncompressed point, base64url."""
    raw = vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64urlencode(raw)


def origin_of(endpoint: str) -> str:
    """scheme://host[:port] of a push endpoint: the JWT's audience."""
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}"


def check_subject(subject: str) -> str:
    """The JWT `sub`: a mailto: or https: contact for the push services' operators."""
    if subject.startswith("mailto:") and "@" in subject:
        return subject
    if subject.startswith("https://") and len(subject) > len("https://"):
        return subject
    raise VapidError(
        f"set JICHIKAI_PUSH_VAPID_SUBJECT to a mailto: address or an https: URL (got {subject!r})"
    )


@dataclass
class _Token:
    header: str
    expires: int


class VapidSigner:
    """Signs one JWT per push-service origin and reuses it until close to its expiry."""

    def __init__(self, vapid: Vapid02, subject: str, clock=time.time) -> None:
        self.vapid = vapid
        self.subject = check_subject(subject)
        self.clock = clock
        self._tokens: dict[str, _Token] = {}
        self._lock = threading.Lock()
        self.signed = 0  # how many tokens were signed, for tests and logs

    def authorization(self, endpoint: str) -> str:
        """The Authorization header value (`vapid t=...,k=...`) for a push endpoint."""
        audience = origin_of(endpoint)
        now = int(self.clock())
        token = self._tokens.get(audience)
        if token is not None and token.expires - now > RENEW_BEFORE:
            return token.header
        with self._lock:
            token = self._tokens.get(audience)
            if token is None or token.expires - now <= RENEW_BEFORE:
                expires = now + TOKEN_LIFETIME
                claims = {"aud": audience, "exp": expires, "sub": self.subject}
                header = self.vapid.sign(claims)["Authorization"]
                token = _Token(header, expires)
                self._tokens[audience] = token
                self.signed += 1
        return token.header


def app_vapid(app: Flask | None = None) -> Vapid02:
    """The application's VAPID key, loaded (or created) on first use and kept."""
    app = app or current_app
    cache = app.extensions.setdefault("jichikai.push", {})
    if "vapid" not in cache:
        cache["vapid"] = load_shared(app)
    return cache["vapid"]


def forget_app_vapid(app: Flask) -> None:
    """Drop the cached key (after a rotation)."""
    app.extensions.setdefault("jichikai.push", {}).pop("vapid", None)
    forget_cached(app, VAPID_PRIVATE_KEY)


def app_subject(app: Flask | None = None) -> str:
    """The configured subject, else the public https URL; checked."""
    app = app or current_app
    subject = app.config.get("PUSH_VAPID_SUBJECT") or ""
    if not subject and str(app.config.get("PUBLIC_URL", "")).startswith("https://"):
        subject = app.config["PUBLIC_URL"].rstrip("/")
    return check_subject(subject)
