"""Logging in with a card, a code or a password; devices."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from . import admin, views  # noqa: E402,F401
