"""The proxy itself, in front of a small echo server: forward, refuse, cut, stall, heal."""

import socket
import socketserver
import threading

import pytest

from .tcpproxy import free_port


class _Echo(socketserver.BaseRequestHandler):
    def handle(self):
        while data := self.request.recv(1024):
            self.request.sendall(data)


@pytest.fixture
def echo_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", free_port()), _Echo)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address
    server.shutdown()
    server.server_close()


def _connect(proxy) -> socket.socket:
    return socket.create_connection(proxy.address, timeout=1)


def _echo(sock: socket.socket, data: bytes = b"ping") -> bytes:
    sock.sendall(data)
    return sock.recv(1024)


def test_forwards(tcp_proxy, echo_server):
    proxy = tcp_proxy(echo_server)
    with _connect(proxy) as sock:
        assert _echo(sock) == b"ping"


def test_refuse_keeps_open_connections(tcp_proxy, echo_server):
    proxy = tcp_proxy(echo_server)
    with _connect(proxy) as open_before:
        proxy.refuse()
        with pytest.raises(ConnectionRefusedError):
            _connect(proxy)
        assert _echo(open_before) == b"ping"
        proxy.heal()
        with _connect(proxy) as sock:
            assert _echo(sock) == b"ping"


def test_cut_closes_open_connections(tcp_proxy, echo_server):
    proxy = tcp_proxy(echo_server)
    with _connect(proxy) as sock:
        assert _echo(sock) == b"ping"
        proxy.cut()
        assert sock.recv(1024) == b""  # closed by the proxy
    with _connect(proxy) as sock:
        assert _echo(sock) == b"ping"


def test_stall_accepts_but_moves_nothing_until_healed(tcp_proxy, echo_server):
    proxy = tcp_proxy(echo_server)
    with _connect(proxy) as open_before:
        proxy.stall()
        with _connect(proxy) as stalled, pytest.raises(TimeoutError):
            _echo(stalled)
        open_before.sendall(b"later")
        with pytest.raises(TimeoutError):
            open_before.recv(1024)
        proxy.heal()
        assert open_before.recv(1024) == b"later"  # a healed partition delivers what waited
