"""The organisation and its administration by officers."""

from flask import Blueprint

bp = Blueprint("org", __name__, url_prefix="/admin")

from . import audit_views, location_views, roster_views, views  # noqa: E402,F401
