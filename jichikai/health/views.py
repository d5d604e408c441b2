"""/healthz and /readyz: JSON for load balancers, no login, no personal data, no rate limit."""

from flask import current_app, jsonify

from ..database import utcnow
from ..extensions import limiter
from ..http import RETRY_AFTER_SECONDS
from . import bp
from .services import readiness


def _embedded_worker_running() -> bool:
    """True when this process runs the worker's threads (RUN_WORKER_IN_PROCESS)."""
    worker = current_app.extensions.get("jichikai.push", {}).get("worker")
    if worker is None or worker.stopping.is_set():
        return False
    return any(thread.is_alive() for thread in worker.threads)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """The process is alive and answers (the database is not asked)."""
    response = jsonify({"status": "ok"})
    response.cache_control.no_store = True
    return response


@bp.get("/readyz")
@limiter.exempt
def readyz():
    """Ready to serve: database reachable, schema at head, a worker's heartbeat recent."""
    config = current_app.config
    result = readiness(
        utcnow(),
        migrations_directory=current_app.extensions["migrate"].directory,
        statement_timeout=float(config["READY_DATABASE_TIMEOUT_SECONDS"]),
        heartbeat_max_age=float(config["READY_WORKER_HEARTBEAT_SECONDS"]),
        worker_in_process=_embedded_worker_running(),
    )
    body = {
        "status": "ready" if result.ready else "unavailable",
        "checks": result.checks,
        "worker_heartbeat_age_seconds": result.heartbeat_age_seconds,
    }
    response = jsonify(body)
    response.cache_control.no_store = True
    if not result.ready:
        response.status_code = 503
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
