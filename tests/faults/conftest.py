"""Fixtures for fault injection: the application talks to PostgreSQL through a TCP proxy.

- `database_proxy`: a `TcpProxy` (see tcpproxy.py) in front of the test PostgreSQL server;
  call `refuse()`, `cut()`, `stall()` and `heal()` on it. It is healed after each test.
- `proxied_app`: the application configured as in production (default timeouts), its
  database URL pointing at the proxy; its pool is emptied after each test. The test
  database and its `world` are the same as the `app` fixture's.
- `tcp_proxy(upstream)`: a started `TcpProxy` in front of any other server (a feed server, a
  push service emulator), closed after the test.
- `tcpproxy.free_port()`: a port for a server a test starts (a feed server, a push service):
  from JICHIKAI_TEST_PORTS ("7300-7399") when set, else one the system chooses.

These tests run on PostgreSQL only: SQLite is a file in the same process, with no
connection to lose.
"""

import pytest
from sqlalchemy.engine import make_url

from jichikai import create_app
from jichikai.extensions import db

from ..conftest import TEST_CONFIG, IsolatedClient
from .tcpproxy import TcpProxy, free_port


@pytest.fixture
def tcp_proxy():
    """Start proxies in front of servers: `proxy = tcp_proxy(("127.0.0.1", port))`."""
    started = []

    def start(upstream: tuple[str, int]) -> TcpProxy:
        proxy = TcpProxy(upstream, port=free_port()).start()
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        proxy.close()


@pytest.fixture(scope="module")
def _postgres_url(app):
    """The test PostgreSQL URL, or a skip on SQLite."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("fault tests need PostgreSQL behind a TCP proxy; SQLite has no connection")
    return make_url(app.config["SQLALCHEMY_DATABASE_URI"])


@pytest.fixture(scope="module")
def _module_proxy(_postgres_url):
    upstream = (_postgres_url.host or "127.0.0.1", _postgres_url.port or 5432)
    proxy = TcpProxy(upstream, port=free_port()).start()
    yield proxy
    proxy.close()


@pytest.fixture
def database_proxy(_module_proxy):
    """The proxy in front of PostgreSQL, forwarding at the start of each test."""
    yield _module_proxy
    _module_proxy.heal()


@pytest.fixture(scope="module")
def _module_proxied_app(_postgres_url, _module_proxy):
    url = _postgres_url.set(host=_module_proxy.host, port=_module_proxy.port)
    proxied = create_app(
        {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url.render_as_string(hide_password=False)}
    )
    proxied.test_client_class = IsolatedClient
    yield proxied
    with proxied.app_context():
        db.engine.dispose()


@pytest.fixture
def proxied_app(_module_proxied_app, database_proxy):
    """The application, its database reached through `database_proxy`."""
    yield _module_proxied_app
    database_proxy.heal()
    with _module_proxied_app.app_context():
        db.engine.dispose()
