"""Real server processes for tests (gunicorn, the development server, Redis) on ports
7600-7699, each stopped again by the test that started it."""

import os
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import flask_migrate
import pytest

from jichikai import create_app
from jichikai.extensions import db

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    for port in range(7600, 7700):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.fail("no free port in 7600-7699")


def upgraded_sqlite(path: Path) -> str:
    """The URL of a new SQLite database with the schema built by the migrations."""
    url = f"sqlite:///{path}"
    setup = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"})
    with setup.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()
    return url


def site_env(url: str, port: int, **extra: str) -> dict[str, str]:
    """The environment of a site process on `url`, listening on `port`."""
    return {
        **os.environ,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "JICHIKAI_SQLALCHEMY_DATABASE_URI": url,
        "JICHIKAI_SECRET_KEY": "server-test",
        **extra,
    }


def app_site_env(app, port: int, **extra: str) -> dict[str, str]:
    """The environment of a site process on the test `app`'s database and secret key."""
    env = site_env(app.config["SQLALCHEMY_DATABASE_URI"], port, **extra)
    env["JICHIKAI_SECRET_KEY"] = app.config["SECRET_KEY"]  # login codes are keyed with it
    if "PROMETHEUS_MULTIPROC_DIR" not in extra:
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return env


@contextmanager
def running(args: list[str], port: int, env: dict | None = None, stderr: Path | None = None):
    """Start `args`, wait until `port` answers, and stop the process afterwards."""
    with open(stderr or os.devnull, "ab") as error_output:
        process = subprocess.Popen(args, cwd=ROOT, env=env, stderr=error_output)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"{args[0]} did not start on port {port}")
                time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        process.wait(20)


def gunicorn_command(*extra: str) -> list[str]:
    return [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", *extra, "wsgi:app"]


@contextmanager
def redis_server(folder: Path):
    """A private Redis on a free port (redis://...), or a skip (a failure in CI) without one."""
    server = shutil.which("redis-server")
    if server is None:
        if os.environ.get("CI") == "true":
            pytest.fail("redis-server is required in CI (apt-get install -y redis-server)")
        pytest.skip("redis-server not installed (apt-get install -y redis-server)")
    port = free_port()
    args = [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(folder)]
    with running(args, port):
        yield f"redis://127.0.0.1:{port}"
