"""Disaster mode: shelters, evacuation check-in, the roll call and the officers' dashboard."""

from flask import Blueprint

bp = Blueprint("disaster", __name__, url_prefix="/disaster")

from . import views  # noqa: E402,F401
