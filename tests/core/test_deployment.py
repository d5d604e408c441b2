"""Deployment hygiene: private instance files, no card tokens in request logs, no server
version, Allow on 405 answers."""

import os
import stat
import time
from pathlib import Path

import flask_migrate
import pytest
import requests
from sqlalchemy import text

from jichikai import create_app
from jichikai.extensions import db
from jichikai.notices import attachments

from ..servers import BIN, free_port, gunicorn_command, running, site_env, upgraded_sqlite

TOKEN = "Nu98lvBDnI2uIddcehK1lg"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def usual_umask():
    """Files would be 0644 and folders 0755 under the usual umask unless made private."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.fixture
def fresh_instance(tmp_path, usual_umask):
    """An application on a new instance folder, its SQLite database upgraded."""
    instance = tmp_path / "instance"
    app = create_app({"TESTING": True}, instance_path=str(instance))
    with app.app_context():
        flask_migrate.upgrade()
        yield app, instance
        db.session.remove()
        db.engine.dispose()


def test_a_fresh_instance_folder_and_its_secrets_are_private(fresh_instance):
    _app, instance = fresh_instance
    assert mode(instance) == 0o700
    assert mode(instance / "secret_key") == 0o600
    assert mode(instance / "jichikai.sqlite3") == 0o600


def test_the_sqlite_journal_files_are_private(fresh_instance):
    _app, instance = fresh_instance
    with db.engine.connect() as connection:
        connection.execute(text("CREATE TABLE probe (id integer)"))
        connection.commit()
        for suffix in ("-wal", "-shm"):
            assert mode(instance / f"jichikai.sqlite3{suffix}") == 0o600


def test_uploads_and_their_folders_are_private(fresh_instance):
    _app, instance = fresh_instance
    prepared = attachments.PreparedFile("回覧.pdf", "application/pdf", b"%PDF-1.4", b"web")
    attachments.write(db.session, 7, "k3y", prepared)
    assert mode(instance / "uploads") == 0o700
    assert mode(instance / "uploads" / "7") == 0o700
    assert mode(instance / "uploads" / "7" / "k3y.bin") == 0o600
    assert mode(instance / "uploads" / "7" / "k3y.web.jpg") == 0o600


def test_a_json_405_names_the_allowed_methods(client):
    response = client.delete("/api/v1/me")
    assert response.status_code == 405
    assert response.is_json
    assert "GET" in response.headers["Allow"]


def test_an_html_405_names_the_allowed_methods(client):
    response = client.put("/login/code")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"OPTIONS", "POST"}


SERVERS = {
    # name: (command, where the request log goes, Server header)
    "gunicorn": (gunicorn_command("--access-logfile", "{log}"), "file", "gunicorn"),
    "development": (
        [str(BIN / "flask"), "--app", "wsgi", "serve", "--port", "{port}"],
        "stderr",
        "jichikai",
    ),
}


@pytest.fixture(params=sorted(SERVERS))
def served(request, tmp_path, usual_umask):
    """A real server process on an upgraded SQLite database: (base URL, log file, Server)."""
    command, log_to, server_header = SERVERS[request.param]
    url = upgraded_sqlite(tmp_path / "site.sqlite3")
    port = free_port()
    log = tmp_path / "requests.log"
    log.touch()
    args = [part.format(log=log, port=port) for part in command]
    with running(args, port, site_env(url, port), stderr=log if log_to == "stderr" else None):
        yield f"http://127.0.0.1:{port}", log, server_header


def test_servers_log_no_card_token_and_send_no_version(served):
    base, log, server_header = served
    referer = f"{base}/c/{TOKEN}"
    response = requests.get(f"{base}/c/{TOKEN}", headers={"Referer": referer}, timeout=10)
    assert response.status_code == 404
    assert response.headers["Server"] == server_header
    deadline = time.monotonic() + 10
    while "/c/[card]" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    written = log.read_text()
    assert "GET /c/[card] HTTP/1.1" in written
    assert TOKEN not in written
