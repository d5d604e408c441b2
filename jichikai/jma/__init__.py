"""Starting disaster mode from official JMA (気象庁) earthquake and weather messages."""

from flask import Blueprint

URL_PREFIX = "/admin/jma"

bp = Blueprint("jma", __name__, url_prefix=URL_PREFIX)

from . import views  # noqa: E402,F401
