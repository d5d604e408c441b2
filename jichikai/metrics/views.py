"""/metrics: Prometheus' text format, for a scraper with the token or on this machine."""

import os

from flask import Response, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from ..database import utcnow
from ..extensions import limiter
from ..jma.poll import feeds_from_config
from . import bp
from .collector import DatabaseCollector
from .permissions import has_token, is_local

PROXY_FIX_ORIGINAL = "werkzeug.proxy_fix.orig"  # where ProxyFix keeps the peer's own address


def _peer_address() -> str | None:
    """The address of whoever opened the connection, whatever X-Forwarded-For says."""
    original = request.environ.get(PROXY_FIX_ORIGINAL) or {}
    return original.get("REMOTE_ADDR", request.environ.get("REMOTE_ADDR"))


def _forwarded_addresses() -> list[str]:
    """Every address the forwarding headers name, believed (TRUSTED_PROXIES) or not."""
    addresses = []
    for header in ("X-Forwarded-For", "X-Real-IP"):
        for value in request.headers.getlist(header):
            addresses.extend(part.strip() for part in value.split(","))
    return addresses


def _plain(text: str, status: int, **headers: str) -> Response:
    response = Response(text + "\n", status, mimetype="text/plain", headers=headers)
    response.cache_control.no_store = True
    return response


@bp.get("/metrics")
@limiter.exempt
def metrics():
    """Every figure: requests of every worker, and what the database holds now."""
    config = current_app.config
    token = config["METRICS_TOKEN"]
    if token:
        if not has_token(request.headers.get("Authorization"), token):
            return _plain("token required", 401, **{"WWW-Authenticate": 'Bearer realm="metrics"'})
    # The peer, the client a trusted proxy names and every address a forwarding header names
    # must all be local: a remote client reaching us through a proxy on this machine is not,
    # even where TRUSTED_PROXIES was left at 0.
    elif not is_local(_peer_address(), request.remote_addr, *_forwarded_addresses()):
        return _plain("only from this machine without METRICS_TOKEN", 403)

    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)  # every worker's request counts
    else:
        registry.register(current_app.extensions["jichikai.metrics"].registry)
    registry.register(
        DatabaseCollector(
            utcnow(),
            statement_timeout=float(config["METRICS_DATABASE_TIMEOUT_SECONDS"]),
            jma_feeds=feeds_from_config(config),
        )
    )
    response = Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
    response.cache_control.no_store = True
    return response
