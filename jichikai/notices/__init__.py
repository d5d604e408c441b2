"""Circulars (回覧): officers post, members read, leaders follow up with paper households."""

from flask import Blueprint

from ..reach.bearer import bearer_blueprint

bp = Blueprint("notices", __name__, url_prefix="/notices")
# The 読みました links of circulars sent by email or LINE (/r/...), opened without logging in.
onetap_bp = bearer_blueprint("notices_onetap", __name__)

from . import (  # noqa: E402,F401
    calendar_views,
    onetap_views,
    reply_views,
    search_views,
    translation_views,
    views,
)
