"""LINE: messages through the association's own official account (Messaging API)."""

from flask import Blueprint

bp = Blueprint("line", __name__, url_prefix="/line")

from . import views  # noqa: E402,F401
