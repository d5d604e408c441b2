"""A local JMA: an HTTP server on 127.0.0.1 serving the test messages and Atom feeds."""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from xml.sax.saxutils import escape, quoteattr

import pytest

from jichikai.extensions import db
from jichikai.jma import alerts
from jichikai.jma.alerts import EventNotStarted
from jichikai.jma.settings import MODE_AUTO, JmaSettings, save_settings
from jichikai.push.models import PushSubscription

DATA = Path(__file__).parent / "data"
NOW = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
SAKURA = JmaSettings(
    enabled=True,
    city_code="1110600",
    area_code="331",
    threshold="5-",
    warning_area_code="1110000",
    mode=MODE_AUTO,
)


def message(name: str) -> bytes:
    return (DATA / name).read_bytes()


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    last_modified: str = ""
    hang: bool = False
    delay: float = 0.0  # seconds before answering
    trickle: float = 0.0  # seconds between bytes of the whole answer, status line included


@dataclass
class LocalJma:
    """Routes by path, and every request received (path and headers)."""

    base: str = ""
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, dict]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    on_request: Callable[[str], None] | None = None  # called with the path, in the server

    def url(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}"

    def serve(self, path: str, body: bytes = b"", status: int = 200, **kwargs) -> str:
        self.routes["/" + path.lstrip("/")] = Route(status=status, body=body, **kwargs)
        return self.url(path)

    def serve_message(self, name: str) -> str:
        return self.serve(f"data/{name}", message(name))

    def serve_feed(self, path: str, names: list[str], last_modified: str = "") -> str:
        """An Atom feed listing `names` (served from data/; or whole links), newest first as
        JMA lists them."""
        entries = []
        for minute, name in enumerate(names):
            updated = NOW.replace(minute=0, second=minute).strftime("%Y-%m-%dT%H:%M:%SZ")
            link = name if "://" in name else self.url(f"data/{name}")
            entries.append(
                f"<entry><title>{escape(name[-80:])}</title><id>{escape(link)}</id>"
                f"<updated>{updated}</updated><author><name>気象庁</name></author>"
                f'<link type="application/xml" href={quoteattr(link)}/>'
                f'<content type="text">{escape(name[-80:])}</content></entry>'
            )
        feed = (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<feed xmlns="http://www.w3.org/2005/Atom" lang="ja">'
            f"<title>高頻度（地震火山）</title><id>{self.url(path)}</id>"
            f"<updated>{NOW.strftime('%Y-%m-%dT%H:%M:%SZ')}</updated>"
            + "".join(reversed(entries))
            + "</feed>"
        ).encode()
        return self.serve(
            path, feed, last_modified=last_modified or format_datetime(NOW, usegmt=True)
        )

    def fetches_of(self, path: str) -> int:
        return sum(1 for p, _h in self.requests if p == "/" + path.lstrip("/"))


def _handler(jma: LocalJma):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            jma.requests.append((self.path, dict(self.headers)))
            if jma.on_request is not None:
                jma.on_request(self.path)
            route = jma.routes.get(self.path)
            if route is None:
                self.send_error(404)
                return
            if route.hang:
                jma.release.wait(5)
                return
            if route.delay:
                time.sleep(route.delay)
            if route.trickle:
                self._trickle(route)
                return
            if route.last_modified and self.headers.get("If-Modified-Since") == (
                route.last_modified
            ):
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(route.status)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(route.body)))
            if route.last_modified:
                self.send_header("Last-Modified", route.last_modified)
            self.end_headers()
            self.wfile.write(route.body)

        def _trickle(self, route: Route) -> None:
            """One byte at a time, until the client gives up or the test ends."""
            answer = (
                f"HTTP/1.1 {route.status} OK\r\nContent-Type: application/xml\r\n"
                f"Content-Length: {len(route.body)}\r\n\r\n"
            ).encode() + route.body
            self.close_connection = True
            for byte in answer:
                if jma.release.wait(route.trickle):
                    return
                try:
                    self.wfile.write(bytes([byte]))
                except OSError:  # the client gave up
                    return

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture(scope="session")
def _jma_server():
    jma = LocalJma()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(jma))
    server.daemon_threads = True
    jma.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield jma
    jma.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def jma(_jma_server):
    """The local JMA server, with no routes and no requests yet."""
    _jma_server.routes.clear()
    _jma_server.requests.clear()
    _jma_server.release.clear()
    _jma_server.on_request = None
    yield _jma_server
    _jma_server.on_request = None
    _jma_server.release.set()


@dataclass
class Recorder:
    """Stands in for the disaster feature's start_event."""

    calls: list[dict] = field(default_factory=list)
    refuse: str = ""

    def __call__(self, association, **kwargs):
        if self.refuse:
            raise EventNotStarted(self.refuse)
        self.calls.append({"association_id": association.id, **kwargs})
        return SimpleNamespace(id=100 + len(self.calls))


@pytest.fixture
def started(monkeypatch) -> Recorder:
    recorder = Recorder()
    monkeypatch.setattr(alerts, "start_disaster_event", recorder)
    return recorder


@pytest.fixture
def watching(world):
    """Association A watches 桜区 (automatic start); B watches nothing."""
    save_settings(world.association, SAKURA, by=None)
    db.session.commit()
    return world


def subscribe(member) -> PushSubscription:
    subscription = PushSubscription(
        association_id=member.association_id,
        member_id=member.id,
        endpoint=f"https://push.example.invalid/{member.id}",
        p256dh="key",
        auth="auth",
    )
    db.session.add(subscription)
    db.session.commit()
    return subscription
