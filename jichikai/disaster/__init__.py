"""Disaster mode: shelters, evacuation check-in, the roll call and the officers' dashboard."""

from flask import Blueprint

from ..reach.bearer import bearer_blueprint

bp = Blueprint("disaster", __name__, url_prefix="/disaster")
# The one-tap answer links of email and LINE messages (/a/...), opened without logging in.
onetap_bp = bearer_blueprint("disaster_onetap", __name__)

from . import bulletin_views, map_views, onetap_views, views  # noqa: E402,F401
