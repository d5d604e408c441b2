"""Logging in with a card, a code, a password or a passkey; devices."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from . import admin, passkey_views, views  # noqa: E402,F401
