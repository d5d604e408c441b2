"""Health checks for load balancers and monitoring: /healthz (alive) and /readyz (ready)."""

from flask import Blueprint

bp = Blueprint("health", __name__)

from . import views  # noqa: E402,F401
