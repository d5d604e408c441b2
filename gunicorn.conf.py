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
