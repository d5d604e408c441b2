"""A small HTTP/1.1 client for posting push messages: kept-alive connections, nothing else.

A push request is a POST of a few hundred bytes with a handful of headers, answered by a status,
perhaps `Retry-After` and a short body. A general client (aiohttp) spends more CPU on each such
request than the encryption does; this one writes the request in one buffer and parses the
answer in place, over connections kept per origin (TLS for https). It sends no cookies, follows
no redirects (push services do not redirect) and uses no proxy.
"""

import asyncio
import ssl
import time
from collections import deque
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_HEAD = 64 * 1024
MAX_BODY = 1024 * 1024
IDLE_SECONDS = 30.0  # an idle connection older than this is not reused (servers close them)


class ProtocolError(Exception):
    """The server's answer is not HTTP/1.1 we understand."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes


@dataclass(frozen=True)
class _Origin:
    host: str  # for connecting (no IPv6 brackets)
    port: int
    tls: bool
    host_header: bytes


class _Connection(asyncio.Protocol):
    """One TCP (or TLS) connection; one request at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future | None = None
        self.closed = False
        self.reusable = True
        self.idle_since = 0.0
        self.used = False

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.waiter is not None and not self.waiter.done():
            try:
                response = self._parse(eof=False)
            except ProtocolError as error:
                self.reusable = False
                self.waiter.set_exception(error)
                return
            if response is not None:
                self.waiter.set_result(response)

    def eof_received(self) -> bool:
        self.reusable = False
        return False  # close the transport

    def connection_lost(self, exc) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            try:
                response = self._parse(eof=True) if self.buffer else None
            except ProtocolError as error:
                self.waiter.set_exception(error)
                return
            if response is not None:
                self.waiter.set_result(response)
            else:
                self.waiter.set_exception(
                    ConnectionResetError(str(exc) if exc else "connection closed")
                )

    def close(self) -> None:
        self.reusable = False
        if self.transport is not None and not self.closed:
            self.transport.close()

    async def request(self, data: bytes) -> Response:
        self.used = True
        self.buffer.clear()
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        try:
            return await self.waiter
        finally:
            self.waiter = None

    def _parse(self, eof: bool) -> Response | None:
        """The complete response in the buffer, or None while more is to come."""
        buffer = self.buffer
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(buffer) > MAX_HEAD or eof:
                raise ProtocolError("incomplete or oversized response head")
            return None
        lines = bytes(buffer[:end]).decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise ProtocolError(f"bad status line {lines[0][:100]!r}")
        status = int(parts[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep:
                raise ProtocolError(f"bad header line {line[:100]!r}")
            headers[name.strip().lower()] = value.strip()
        if 100 <= status < 200:  # an interim answer: drop it, the real one follows
            del buffer[: end + 4]
            return self._parse(eof) if buffer else None
        start = end + 4
        if parts[0] == "HTTP/1.0" or "close" in headers.get("connection", "").lower():
            self.reusable = False
        if status in (204, 304):
            body = b""
            consumed = start
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            parsed = _dechunk(buffer, start)
            if parsed is None:
                if eof:
                    raise ProtocolError("incomplete chunked body")
                return None
            body, consumed = parsed
        elif "content-length" in headers:
            length = headers["content-length"]
            if not length.isdigit() or int(length) > MAX_BODY:
                raise ProtocolError(f"bad Content-Length {length[:20]!r}")
            consumed = start + int(length)
            if len(buffer) < consumed:
                if eof:
                    raise ProtocolError("incomplete body")
                return None
            body = bytes(buffer[start:consumed])
        else:  # the body runs to the end of the connection
            self.reusable = False
            if not eof:
                if len(buffer) - start > MAX_BODY:
                    raise ProtocolError("body too large")
                return None
            body, consumed = bytes(buffer[start:]), len(buffer)
        if consumed != len(buffer):  # data we did not ask for: do not trust the connection
            self.reusable = False
        return Response(status, headers, body)


def _dechunk(buffer: bytearray, position: int) -> tuple[bytes, int] | None:
    body = bytearray()
    while True:
        line_end = buffer.find(b"\r\n", position)
        if line_end < 0:
            return None
        size_text = bytes(buffer[position:line_end]).split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError as error:
            raise ProtocolError(f"bad chunk size {size_text[:20]!r}") from error
        position = line_end + 2
        if size == 0:
            # Trailers (usually none) end with an empty line.
            trailer_end = buffer.find(b"\r\n", position)
            while trailer_end > position:
                position = trailer_end + 2
                trailer_end = buffer.find(b"\r\n", position)
            if trailer_end < 0:
                return None
            return bytes(body), trailer_end + 2
        if len(buffer) < position + size + 2:
            return None
        body += buffer[position : position + size]
        if len(body) > MAX_BODY:
            raise ProtocolError("body too large")
        position += size + 2


class Client:
    """POSTs over connections kept per origin; use from one event loop."""

    def __init__(self, *, user_agent: str = "jichikai-push") -> None:
        self.user_agent = user_agent
        self._origins: dict[str, _Origin] = {}
        self._idle: dict[str, deque[_Connection]] = {}
        self._ssl: ssl.SSLContext | None = None

    def _origin(self, origin: str) -> _Origin:
        known = self._origins.get(origin)
        if known is None:
            parts = urlsplit(origin)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"not an http(s) URL: {origin[:100]!r}")
            tls = parts.scheme == "https"
            known = _Origin(
                parts.hostname,
                parts.port or (443 if tls else 80),
                tls,
                parts.netloc.rpartition("@")[2].encode("idna"),
            )
            self._origins[origin] = known
        return known

    async def post(
        self, origin: str, path: str, headers: bytes, body: bytes, timeout: float
    ) -> Response:
        """POST `body` to origin + path; `headers` are ready lines ("Name: value\\r\\n" ...)."""
        if not path.startswith("/") or any(c in path for c in " \r\n\t"):
            raise ValueError(f"bad path {path[:100]!r}")
        target = self._origin(origin)
        data = b"".join(
            (
                b"POST ",
                path.encode("ascii"),
                b" HTTP/1.1\r\nHost: ",
                target.host_header,
                b"\r\nUser-Agent: ",
                self.user_agent.encode(),
                b"\r\n",
                headers,
                b"Content-Length: ",
                str(len(body)).encode(),
                b"\r\n\r\n",
                body,
            )
        )
        async with asyncio.timeout(timeout):
            connection = self._take(origin)
            if connection is not None:
                try:
                    return await self._exchange(origin, connection, data)
                except ConnectionResetError:
                    # The server closed a kept-alive connection as we wrote: once more, anew.
                    pass
            connection = await self._connect(target)
            return await self._exchange(origin, connection, data)

    async def _exchange(self, origin: str, connection: _Connection, data: bytes) -> Response:
        try:
            response = await connection.request(data)
        except BaseException:
            connection.close()
            raise
        if connection.reusable and not connection.closed:
            connection.idle_since = time.monotonic()
            self._idle.setdefault(origin, deque()).append(connection)
        else:
            connection.close()
        return response

    def _take(self, origin: str) -> _Connection | None:
        idle = self._idle.get(origin)
        now = time.monotonic()
        while idle:
            connection = idle.pop()
            if not connection.closed and now - connection.idle_since < IDLE_SECONDS:
                return connection
            connection.close()
        return None

    async def _connect(self, target: _Origin) -> _Connection:
        loop = asyncio.get_running_loop()
        context = None
        if target.tls:
            if self._ssl is None:
                self._ssl = ssl.create_default_context()
            context = self._ssl
        _transport, connection = await loop.create_connection(
            _Connection,
            target.host,
            target.port,
            ssl=context,
            server_hostname=target.host if context else None,
        )
        return connection

    def close(self) -> None:
        for idle in self._idle.values():
            for connection in idle:
                connection.close()
        self._idle.clear()
