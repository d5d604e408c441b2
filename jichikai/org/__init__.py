"""The organisation and its administration by officers."""

from flask import Blueprint

bp = Blueprint("org", __name__, url_prefix="/admin")

from . import views  # noqa: E402,F401
