"""Login rate limits: per client address and per guessed target, counting failures only.

A card-handout evening puts fifty members on one Wi-Fi (one address) within minutes: their
successful logins are not counted, only failed attempts are. Guesses against one target (a
code whose first group is known, part of a card's link, an email address) are limited
wherever they come from, so that spreading them over many addresses does not help.
The counters live in RATELIMIT_STORAGE_URI (Redis when several processes serve the site).

A limit per target would let anyone lock an officer out of the password login by sending a few
wrong passwords for their address every hour. A browser that once gave the right password for
an address keeps a signed cookie saying so (`remember_email`), and the per-email limit leaves
it alone: only its address's limit applies to it (OWASP's "device cookies").
"""

import hashlib
from datetime import timedelta

from flask import current_app, request, url_for
from flask.wrappers import Response
from itsdangerous import BadData, URLSafeTimedSerializer

from ..extensions import limiter
from .codes import normalize_code

# A code's first printed group, a link's first characters: what someone who saw part of a
# card would hold fixed while guessing the rest.
CODE_PREFIX_LENGTH = 4
TOKEN_PREFIX_LENGTH = 8

# The cookie of a browser that gave the right password: which addresses (hashed), how many.
KNOWN_COOKIE = "login_known"
KNOWN_FOR = timedelta(days=365)
KNOWN_EMAILS_KEPT = 5


def address_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def target_limit() -> str:
    return current_app.config["LOGIN_TARGET_RATE_LIMIT"]


def failed(response: Response) -> bool:
    """Whether a login attempt failed (a wrong code, an unknown link, a refused form).

    An attempt refused by the limit itself does not count again, or impatient retries during
    a minute's pause would use up the hour's allowance; nor does a server error.
    """
    return 400 <= response.status_code < 500 and response.status_code != 429


def code_prefix() -> str | None:
    """The first group of the code typed, once normalised."""
    code = normalize_code(request.form.get("code", ""))
    return code[:CODE_PREFIX_LENGTH] if code else None


def card_token_prefix() -> str | None:
    """The first characters of the card link's token."""
    token = (request.view_args or {}).get("token") or ""
    return token[:TOKEN_PREFIX_LENGTH] or None


def email() -> str | None:
    """The email address as the password login reads it."""
    return (request.form.get("email") or "").strip().lower() or None


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def _known_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="login-known")


def _known_emails() -> list[str]:
    """The hashed addresses this browser gave the right password for."""
    try:
        known = _known_serializer().loads(
            request.cookies.get(KNOWN_COOKIE, ""), max_age=KNOWN_FOR.total_seconds()
        )
    except BadData:
        return []
    return [d for d in known if isinstance(d, str)] if isinstance(known, list) else []


def email_known_here() -> bool:
    """Whether this browser gave the right password for the address typed before."""
    address = email()
    return address is not None and _digest(address) in _known_emails()


def remember_email(response: Response, address: str) -> Response:
    """Mark this browser as one that gave the right password for `address`."""
    digest = _digest((address or "").strip().lower())
    known = [d for d in _known_emails() if d != digest][-(KNOWN_EMAILS_KEPT - 1) :] + [digest]
    response.set_cookie(
        KNOWN_COOKIE,
        _known_serializer().dumps(known),
        max_age=int(KNOWN_FOR.total_seconds()),
        path=url_for("auth.login_password"),
        secure=bool(current_app.config.get("HTTPS")),
        httponly=True,
        samesite="Lax",
    )
    return response


def _per_target(target, scope: str, exempt=lambda: False):
    """A failure-only limit keyed on a hash of `target()` (no guessed value is stored)."""
    return limiter.shared_limit(
        target_limit,
        scope=scope,
        key_func=lambda: _digest(target() or ""),
        deduct_when=failed,
        exempt_when=lambda: target() is None or exempt(),
    )


# Every login form shares one count per address (a guesser cannot switch forms).
per_address = limiter.shared_limit(address_limit, scope="login", deduct_when=failed)
per_code_prefix = _per_target(code_prefix, "login-code")
per_card = _per_target(card_token_prefix, "login-card")
per_email = _per_target(email, "login-email", exempt=email_known_here)

# Steps that hand out a challenge (a stored row) count every request, not only failures.
per_address_every_request = limiter.shared_limit(address_limit, scope="login-challenge")
