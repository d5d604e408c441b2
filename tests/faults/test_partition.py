"""A query in flight when the network drops every packet fails within the network timeout."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from .tcpproxy import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def unix_relay(_postgres_url):
    """A Unix socket relayed to PostgreSQL: Unix sockets cross network namespaces."""
    missing = [tool for tool in ("unshare", "ip", "socat") if shutil.which(tool) is None]
    if missing or os.geteuid() != 0:
        pytest.skip(f"a network namespace needs root and unshare, ip, socat (missing: {missing})")
    folder = tempfile.TemporaryDirectory(prefix="pg-")  # a Unix socket path must be short
    path = Path(folder.name) / "pg.sock"
    relay = subprocess.Popen(
        [
            "socat",
            f"UNIX-LISTEN:{path},fork,unlink-early",
            f"TCP:{_postgres_url.host or '127.0.0.1'}:{_postgres_url.port or 5432}",
        ],
        start_new_session=True,  # one process group with its forked children
    )
    yield path
    os.killpg(relay.pid, signal.SIGTERM)
    relay.wait(5)
    folder.cleanup()


def test_a_partition_fails_the_request_within_the_network_timeout(app, _postgres_url, unix_relay):
    url = _postgres_url.render_as_string(hide_password=False)
    child = subprocess.run(
        [
            "unshare",
            "-n",
            sys.executable,
            "-m",
            "tests.faults.partition",
            url,
            str(unix_relay),
            str(free_port()),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == 0, child.stderr
    results = json.loads(child.stdout.splitlines()[-1])
    network_timeout = app.config["DATABASE_NETWORK_TIMEOUT_SECONDS"]

    assert results["before"]["status"] == 404
    assert results["during"]["status"] == 503
    assert results["during"]["seconds"] < network_timeout + 2
    assert results["after"]["status"] == 404
    assert results["after"]["seconds"] < 1.0
