"""Prometheus metrics at /metrics: requests by endpoint and status, and figures the database
holds (outbox, disaster events, check-ins, JMA feeds, worker heartbeats); see
docs/operations.md, "Metrics"."""

from flask import Blueprint

from .requests import instrument, remember_endpoint

bp = Blueprint("metrics", __name__)
bp.record_once(lambda state: instrument(state.app))
bp.after_app_request(remember_endpoint)

from . import views  # noqa: E402,F401
