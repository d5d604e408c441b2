"""A TCP proxy that a test controls, to put faults between the application and a server.

    proxy = TcpProxy(("127.0.0.1", 5432)).start()
    proxy.refuse()  # new connections are refused (the server is down)
    proxy.cut()     # connections open now are closed (the server restarted, a firewall)
    proxy.stall()   # connections are accepted but nothing moves, either way (a partition)
    proxy.heal()    # back to forwarding
    proxy.close()

Each control method returns once the proxy has acted on it. One thread moves the bytes.
"""

import os
import queue
import selectors
import socket
import threading
from dataclasses import dataclass


@dataclass
class _Pair:
    client: socket.socket
    server: socket.socket | None  # None: accepted while stalled, never connected onwards


class TcpProxy:
    """Forwards connections on (host, port) to `upstream`, with faults on command."""

    def __init__(self, upstream: tuple[str, int], host: str = "127.0.0.1", port: int = 0):
        self.upstream = upstream
        self.host = host
        self.port = port
        self.accepted = 0  # connections accepted so far (stalled ones included)
        self._listener: socket.socket | None = None
        self._selector = selectors.DefaultSelector()
        self._pairs: list[_Pair] = []
        self._stalled = False
        self._commands: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._running = False

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    def start(self) -> "TcpProxy":
        self._listen()
        self._running = True
        self._thread = threading.Thread(target=self._loop, name="tcpproxy", daemon=True)
        self._thread.start()
        return self

    def refuse(self) -> None:
        """Refuse new connections (connections already open keep working)."""
        self._command(self._do_refuse)

    def cut(self) -> None:
        """Close every open connection, both sides."""
        self._command(self._do_cut)

    def stall(self) -> None:
        """Accept new connections but forward nothing, and freeze the open ones."""
        self._command(self._do_stall)

    def heal(self) -> None:
        """Forward again: accept, connect onwards, resume the frozen connections."""
        self._command(self._do_heal)

    def close(self) -> None:
        """Stop the proxy and close everything."""
        if not self._running:
            return
        self._command(self._do_close)
        self._thread.join(5)

    # The proxy's thread.

    def _command(self, action) -> None:
        done = threading.Event()
        self._commands.put((action, done))
        if not done.wait(5):
            raise RuntimeError("the proxy did not act within 5 s")

    def _loop(self) -> None:
        while self._running:
            for key, _mask in self._selector.select(timeout=0.02):
                if key.data is None:
                    self._accept()
                else:
                    self._forward(key.fileobj, key.data)
            while not self._commands.empty():
                action, done = self._commands.get()
                action()
                done.set()

    def _listen(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        listener.listen(64)
        listener.setblocking(False)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._selector.register(listener, selectors.EVENT_READ, None)

    def _accept(self) -> None:
        try:
            client, _address = self._listener.accept()
        except BlockingIOError:
            return
        self.accepted += 1
        client.setblocking(True)
        if self._stalled:
            self._pairs.append(_Pair(client, None))
            return
        try:
            server = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            client.close()
            return
        pair = _Pair(client, server)
        self._pairs.append(pair)
        self._watch(pair)

    def _watch(self, pair: _Pair) -> None:
        for sock in (pair.client, pair.server):
            try:
                self._selector.register(sock, selectors.EVENT_READ, pair)
            except KeyError:  # already watched
                pass

    def _unwatch(self, pair: _Pair) -> None:
        for sock in (pair.client, pair.server):
            if sock is not None and sock.fileno() != -1:
                try:
                    self._selector.unregister(sock)
                except KeyError:
                    pass

    def _forward(self, source: socket.socket, pair: _Pair) -> None:
        target = pair.server if source is pair.client else pair.client
        try:
            data = source.recv(65536)
            if data:
                target.sendall(data)
                return
        except OSError:
            pass
        self._drop(pair)

    def _drop(self, pair: _Pair) -> None:
        self._unwatch(pair)
        for sock in (pair.client, pair.server):
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
        if pair in self._pairs:
            self._pairs.remove(pair)

    def _do_refuse(self) -> None:
        if self._listener is not None:
            self._selector.unregister(self._listener)
            self._listener.close()
            self._listener = None

    def _do_cut(self) -> None:
        for pair in list(self._pairs):
            self._drop(pair)

    def _do_stall(self) -> None:
        self._stalled = True
        if self._listener is None:
            self._listen()
        for pair in self._pairs:
            self._unwatch(pair)

    def _do_heal(self) -> None:
        self._stalled = False
        if self._listener is None:
            self._listen()
        for pair in list(self._pairs):
            if pair.server is None:  # its client gave up long ago
                self._drop(pair)
            else:
                self._watch(pair)

    def _do_close(self) -> None:
        self._do_cut()
        self._do_refuse()
        self._running = False
        self._selector.close()


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on (within JICHIKAI_TEST_PORTS when set)."""
    wanted = os.environ.get("JICHIKAI_TEST_PORTS", "")
    candidates = [0]
    if wanted:
        low, high = (int(part) for part in wanted.split("-"))
        candidates = list(range(low, high + 1))
    for port in candidates:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise RuntimeError(f"no free port in {wanted}")
