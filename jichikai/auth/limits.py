"""Login rate limits: per client address and per guessed target, counting failures only.

A card-handout evening puts fifty members on one Wi-Fi (one address) within minutes: their
successful logins are not counted, only failed attempts are. Guesses against one target (a
code whose first group is known, part of a card's link, an email address) are limited
wherever they come from, so that spreading them over many addresses does not help.
The counters live in RATELIMIT_STORAGE_URI (Redis when several processes serve the site).
"""

import hashlib

from flask import current_app, request
from flask.wrappers import Response

from ..extensions import limiter
from .codes import normalize_code

# A code's first printed group, a link's first characters: what someone who saw part of a
# card would hold fixed while guessing the rest.
CODE_PREFIX_LENGTH = 4
TOKEN_PREFIX_LENGTH = 8


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


def _per_target(target, scope: str):
    """A failure-only limit keyed on a hash of `target()` (no guessed value is stored)."""

    def key() -> str:
        return hashlib.sha256((target() or "").encode()).hexdigest()[:32]

    return limiter.shared_limit(
        target_limit,
        scope=scope,
        key_func=key,
        deduct_when=failed,
        exempt_when=lambda: target() is None,
    )


# Every login form shares one count per address (a guesser cannot switch forms).
per_address = limiter.shared_limit(address_limit, scope="login", deduct_when=failed)
per_code_prefix = _per_target(code_prefix, "login-code")
per_card = _per_target(card_token_prefix, "login-card")
per_email = _per_target(email, "login-email")

# Steps that hand out a challenge (a stored row) count every request, not only failures.
per_address_every_request = limiter.shared_limit(address_limit, scope="login-challenge")
