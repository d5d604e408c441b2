"""Real gunicorn processes: two workers' requests summed in every scrape."""

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from ..servers import app_site_env, free_port, gunicorn_command, running
from .helpers import requests_of, samples, value


def _counter_files(folder) -> set[str]:
    return {path.name for path in folder.glob("counter_*.db")}


def test_two_workers_requests_are_summed_in_every_scrape(app, tmp_path):
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_99999.db").write_bytes(b"left by a previous run")
    port = free_port()
    env = app_site_env(app, port, WEB_CONCURRENCY="2", PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
    base = f"http://127.0.0.1:{port}"

    with running(gunicorn_command(), port, env) as server:
        assert "counter_99999.db" not in _counter_files(metrics_dir)  # started from zero
        sent = 0
        with ThreadPoolExecutor(8) as pool:
            # Sync workers take connections as they come: keep asking until both answered.
            # (A page other tests' servers on these ports are not asked for, unlike /healthz.)
            while len(_counter_files(metrics_dir)) < 2 and sent < 2000:
                answers = list(
                    pool.map(lambda _: requests.get(f"{base}/offline", timeout=10), range(40))
                )
                assert all(a.status_code == 200 for a in answers)
                sent += len(answers)
        assert len(_counter_files(metrics_dir)) == 2, "one worker answered every request"

        for _ in range(4):  # whichever worker answers the scrape, it counts both
            found = samples(requests.get(f"{base}/metrics", timeout=10).text)
            assert requests_of(found, "pwa.offline") == sent
            assert value(found, "jichikai_database_up") == 1

        # A worker that dies: its counts stay in the sums, gunicorn starts another.
        pids = [int(name.split("_")[1].split(".")[0]) for name in _counter_files(metrics_dir)]
        os.kill(pids[0], signal.SIGKILL)
        deadline = time.monotonic() + 20
        while True:
            try:
                found = samples(requests.get(f"{base}/metrics", timeout=10).text)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline
                time.sleep(0.2)
        assert requests_of(found, "pwa.offline") == sent
        assert server.poll() is None
