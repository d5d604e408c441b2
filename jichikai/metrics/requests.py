"""Request counts and latencies by endpoint (the route's name, never the path) and status.

With several gunicorn workers, prometheus_client's multiprocess mode sums them: each worker
writes its counts to files in PROMETHEUS_MULTIPROC_DIR (gunicorn.conf.py sets it up).
"""

import logging
import time
from collections.abc import Callable, Iterable

from flask import Flask, request
from prometheus_client import CollectorRegistry, Counter, Histogram

log = logging.getLogger(__name__)

ENDPOINT_KEY = "jichikai.metrics.endpoint"
UNMATCHED = "unmatched"  # no route: 404, 405
METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class RequestMetrics:
    """This application's request counter and latency histogram, in their own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "jichikai_http_requests",
            "HTTP requests answered, by endpoint, method and status.",
            ["endpoint", "method", "status"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "jichikai_http_request_duration_seconds",
            "Time to produce the answer, by endpoint and method.",
            ["endpoint", "method"],
            buckets=BUCKETS,
            registry=self.registry,
        )

    def observe(self, endpoint: str, method: str, status: str, seconds: float) -> None:
        method = method if method in METHODS else "other"  # a client may send any word
        self.requests.labels(endpoint, method, status).inc()
        self.duration.labels(endpoint, method).observe(seconds)


class InstrumentedApp:
    """WSGI middleware timing every request, including those answered before any view ran."""

    def __init__(self, wsgi_app: Callable, metrics: RequestMetrics) -> None:
        self.wsgi_app = wsgi_app
        self.metrics = metrics

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        started = time.perf_counter()
        status = ["500"]  # what the server answers if the application raises

        def start(status_line: str, headers: list, exc_info=None):
            status[0] = status_line.split(" ", 1)[0]
            return start_response(status_line, headers, exc_info)

        try:
            return self.wsgi_app(environ, start)
        finally:
            try:
                self.metrics.observe(
                    environ.get(ENDPOINT_KEY) or UNMATCHED,
                    environ.get("REQUEST_METHOD", ""),
                    status[0],
                    time.perf_counter() - started,
                )
            except Exception as error:  # counting must never fail the request itself
                log.warning("metrics: request not counted: %r", error)


def remember_endpoint(response):
    """Tell the middleware which route answered (an after-request hook)."""
    if request.url_rule is not None:
        request.environ[ENDPOINT_KEY] = request.url_rule.endpoint
    return response


def instrument(app: Flask) -> None:
    """Count this application's requests (once per application)."""
    if "jichikai.metrics" in app.extensions:
        return
    metrics = RequestMetrics()
    app.extensions["jichikai.metrics"] = metrics
    app.wsgi_app = InstrumentedApp(app.wsgi_app, metrics)
