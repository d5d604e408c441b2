"""Fixtures: one app per database backend (SQLite and PostgreSQL), a clean database per test."""

import os

import flask_migrate
import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from jichikai import create_app, database_url
from jichikai.extensions import db, limiter
from jichikai.keys.services import forget_cached

from .factories import World, build_world, login
from .mail.smtp_server import SmtpServer

PG_URL = os.environ.get("JICHIKAI_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _postgres_problem(url: str) -> str | None:
    """None when PostgreSQL answers, else why not."""
    engine = create_engine(database_url(url))
    try:
        with engine.connect() as connection:
            connection.execute(text("select 1"))
    except Exception as error:  # any reason means: cannot test here
        return str(error).splitlines()[0]
    finally:
        engine.dispose()
    return None


def _reset_postgres(url: str) -> None:
    engine = create_engine(database_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def database_for(backend: str, tmp_path_factory) -> str:
    """A fresh, empty database of the given backend (or a skip/failure saying why not)."""
    if backend == "sqlite":
        return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")
    problem = _postgres_problem(PG_URL)
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI ({PG_URL}): {problem}")
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {problem}")
    _reset_postgres(PG_URL)
    return PG_URL


TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "WTF_CSRF_ENABLED": False,
    "RATELIMIT_ENABLED": True,
    # Cheap hashing keeps the per-test world fast; production uses scrypt.
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    # Push is on (a subject is set); a test of push being off clears it.
    "PUSH_VAPID_SUBJECT": "mailto:ops@example.jp",
}


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def app(request, tmp_path_factory):
    """The application on one backend, its schema built by the migrations."""
    url = database_for(request.param, tmp_path_factory)
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    app.test_client_class = IsolatedClient
    with app.app_context():
        flask_migrate.upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _context_and_cleanup(request):
    """Each test runs in an app context and leaves an empty database behind."""
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    limiter.enabled = False
    with app.app_context():
        yield
        forget_cached(app)  # the server_key rows go below
        db.session.rollback()
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())
    limiter.reset()


class IsolatedClient(FlaskClient):
    """Each request gets its own app context (its own `g` and database session), as in
    production, instead of sharing the test's; the test's objects are expired afterwards so
    that they show what the request committed."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.expire_all()
        return response


@pytest.fixture
def configured_app(app):
    """Another application on the same database with settings changed:
    configured_app(PUBLIC_URL="https://kairan.example.jp")."""
    built = []

    def build(**config):
        uri = app.config["SQLALCHEMY_DATABASE_URI"]
        other = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": uri, **config})
        other.test_client_class = IsolatedClient
        built.append(other)
        return other

    yield build
    for other in built:
        with other.app_context():
            db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def world(app) -> World:
    """Two associations: A with two blocks and every role, B with one member."""
    world = build_world()
    db.session.commit()
    return world


@pytest.fixture
def as_member(client):
    """Log the test client in as a member: as_member(world.member)."""

    def log_in(member):
        login(client, member)
        return client

    return log_in


@pytest.fixture
def csrf_enabled(app):
    """Turn CSRF checking on for one test."""
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


MAIL_KEYS = (
    "MAIL_SERVER",
    "MAIL_PORT",
    "MAIL_BACKEND",
    "MAIL_DEFAULT_SENDER",
    "MAIL_REPLY_TO",
    "MAIL_BATCH_SIZE",
    "MAIL_CONNECTIONS",
    "MAIL_TIMEOUT_SECONDS",
    "MAIL_FILE_PATH",
)


@pytest.fixture
def smtp(app):
    """An SMTP server on 127.0.0.1 (aiosmtpd, tests/mail/smtp_server.py), and the app's
    MAIL_* settings pointing at it."""
    server = SmtpServer().start()
    saved = {key: app.config.get(key) for key in MAIL_KEYS}
    app.config.update(
        MAIL_SERVER=server.host,
        MAIL_PORT=server.port,
        MAIL_BACKEND="",
        MAIL_DEFAULT_SENDER="jichikai@kairan.example.jp",
        MAIL_CONNECTIONS=1,
        MAIL_TIMEOUT_SECONDS=5,
    )
    yield server
    server.stop()
    app.config.update(saved)
