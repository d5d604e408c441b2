"""gunicorn settings for production (behind a TLS reverse proxy that buffers requests).

    .venv/bin/gunicorn -c gunicorn.conf.py wsgi:app

Every setting can be overridden on the command line or by the environment variables below.
A request is CPU-bound Python plus short PostgreSQL round trips: sync workers, two per core,
keep the cores busy while some wait on the database. On 2 cores bench/checkin_storm.py measured
gthread workers (2 x 4 threads) about 10% faster for check-ins but with worse latency tails
than 4 sync workers (see docs/disaster.md).
Sync workers do not keep connections alive: the reverse proxy does that for the phones.
"""

import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count()))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# A storm of check-ins queues in the kernel rather than being refused.
backlog = 2048
# Used by gthread workers only; the proxy's idle connections.
keepalive = 5
timeout = 30
graceful_timeout = 20
# The access log (off unless --access-logfile is given) never shows card links' tokens.
logger_class = "jichikai.serving.AccessLogger"

# Metrics (docs/operations.md, "Metrics"): every worker writes its request counts to files in
# PROMETHEUS_MULTIPROC_DIR, and /metrics sums them whichever worker answers. It must be set
# before the application is imported; without one a private folder is made for this run.
_metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
_made_metrics_dir = None
if not _metrics_dir:
    _metrics_dir = _made_metrics_dir = tempfile.mkdtemp(prefix="jichikai-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics_dir
_METRIC_FILES = ("counter_*.db", "gauge_*.db", "histogram_*.db", "summary_*.db")


def on_starting(server):
    """Start counting from zero: files of a previous run would be summed in."""
    for pattern in _METRIC_FILES:
        for path in Path(_metrics_dir).glob(pattern):
            path.unlink(missing_ok=True)


def child_exit(server, worker):
    """A worker that ended: its live gauges go (its counts stay in the sums)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, _metrics_dir)


def on_exit(server):
    if _made_metrics_dir:
        shutil.rmtree(_made_metrics_dir, ignore_errors=True)
