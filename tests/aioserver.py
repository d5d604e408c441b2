"""Serving an aiohttp application on 127.0.0.1 from a thread with its own event loop: the
emulators of outside services (push services, LINE) run this way inside the tests."""

import asyncio
import threading
from collections.abc import Callable

from aiohttp import web


class ThreadedSite:
    """`start(add_routes)` returns the origin (http://127.0.0.1:<port>); `stop()` ends it."""

    def __init__(self, name: str, client_max_size: int = 1024 * 1024) -> None:
        self.name = name
        self.client_max_size = client_max_size
        self.origin = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    def start(self, add_routes: Callable[[web.Application], None]) -> str:
        ready = threading.Event()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            app = web.Application(client_max_size=self.client_max_size)
            add_routes(app)
            self._runner = web.AppRunner(app, access_log=None)
            self._loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", 0, backlog=1024)
            self._loop.run_until_complete(site.start())
            port = site._server.sockets[0].getsockname()[1]
            self.origin = f"http://127.0.0.1:{port}"
            ready.set()
            self._loop.run_forever()
            self._loop.run_until_complete(self._runner.cleanup())
            self._loop.close()

        self._thread = threading.Thread(target=run, name=self.name, daemon=True)
        self._thread.start()
        ready.wait(10)
        return self.origin

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
