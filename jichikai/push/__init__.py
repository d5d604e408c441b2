"""Web Push: subscriptions, preferences, delivery, and the worker that sends and schedules."""

from flask import Blueprint, current_app

bp = Blueprint("push", __name__)


@bp.before_app_request
def _start_embedded_worker() -> None:
    """RUN_WORKER_IN_PROCESS: the first request starts the worker threads (once)."""
    if current_app.config.get("RUN_WORKER_IN_PROCESS"):
        from .worker import start_embedded

        start_embedded(current_app._get_current_object())


from . import views  # noqa: E402,F401
