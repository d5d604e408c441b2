"""Sending encrypted Web Push requests concurrently (asyncio, see `http1`), without the database.

Each message is encrypted for its subscription (RFC 8291 aes128gcm with http_ece, a fresh ECDH
key and salt per message) and posted with the headers push services read:
`TTL`, `Urgency`, `Topic` and the VAPID `Authorization` (one JWT per push-service origin, see
`vapid.VapidSigner`). What the service answered comes back as a `Result`; deciding what it means
for the delivery row is `delivery.apply_results`.
"""

import asyncio
import base64
import email.utils
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

import http_ece
from cryptography.hazmat.primitives.asymmetric import ec

from .http1 import Client, ProtocolError
from .vapid import VapidSigner


@dataclass(frozen=True)
class Outgoing:
    """One claimed delivery, with what it takes to send it."""

    id: int
    subscription_id: int
    endpoint: str
    p256dh: str
    auth: str
    payload: bytes
    ttl: int
    urgency: str
    topic: str | None
    expires_at: datetime
    attempts: int = 1  # this one included


@dataclass(frozen=True)
class Result:
    """What the push service answered; `status` is None when it did not answer in time."""

    id: int
    subscription_id: int
    status: int | None
    retry_after: float | None = None
    error: str = ""


RECORD_SIZE = 4096
_CURVE = ec.SECP256R1()


def _unb64url(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def encrypt_body(p256dh: str, auth: str, data: bytes) -> bytes:
    """The aes128gcm body (RFC 8188 + RFC 8291) of `data` for one subscription, by http_ece.

    A new ephemeral P-256 key and a random salt for every message, as RFC 8291 requires.
    """
    if len(data) + 17 > RECORD_SIZE:
        raise ValueError("payload too large for one record")
    secret = _unb64url(auth)
    if len(secret) != 16:
        raise ValueError("auth secret is not 16 bytes")
    return http_ece.encrypt(
        data,
        salt=os.urandom(16),
        private_key=ec.generate_private_key(_CURVE),
        dh=_unb64url(p256dh),
        auth_secret=secret,
        version="aes128gcm",
        rs=RECORD_SIZE,
    )


def encrypt(item: Outgoing) -> bytes:
    """The aes128gcm body for one subscription (a fresh ephemeral key and salt each time)."""
    return encrypt_body(item.p256dh, item.auth, item.payload)


def encrypt_many(items: list[tuple[str, str, bytes]]) -> list[bytes | str]:
    """Encrypt (p256dh, auth, payload) tuples in a helper process; str = error."""
    bodies: list[bytes | str] = []
    for p256dh, auth, data in items:
        try:
            bodies.append(encrypt_body(p256dh, auth, data))
        except Exception as error:  # a broken key: the service could never take it
            bodies.append(f"encryption: {error}")
    return bodies


def origin_of(endpoint: str) -> str:
    """scheme://host[:port] of an endpoint (cheaper than urlsplit; endpoints were checked)."""
    scheme, _, rest = endpoint.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0].split('?', 1)[0].split('#', 1)[0]}"


def headers_for(item: Outgoing, signer: VapidSigner) -> dict[str, str]:
    headers = {
        "Authorization": signer.authorization(item.endpoint),
        "TTL": str(max(0, item.ttl)),
        "Urgency": item.urgency,
        "Content-Encoding": "aes128gcm",
        "Content-Type": "application/octet-stream",
    }
    if item.topic:
        headers["Topic"] = item.topic
    return headers


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delay-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


ENCRYPT_CHUNK = 50


class Sender:
    """Posts push messages over kept-alive connections (`http1.Client`) in its own loop.

    `concurrency` requests are in flight at a time, each by one of as many coroutines that take
    the next message, encrypt it and post it: encryption of the next messages runs while the
    previous ones wait for their answers. With `encrypt_processes` > 0 encryption runs in that
    many helper processes instead, so that one sender uses more than one core.
    Requests run in an event loop in a thread of the sender's own (see `start`).
    Not thread-safe: each thread that sends (the worker's sender loop, a CLI command) has its own.
    """

    def __init__(
        self,
        signer: VapidSigner,
        *,
        concurrency: int = 200,
        timeout: float = 10.0,
        encrypt_processes: int = 0,
    ):
        self.signer = signer
        self.concurrency = max(1, concurrency)
        self.timeout = timeout
        self._loop = asyncio.new_event_loop()
        self._client: Client | None = None
        self._thread: threading.Thread | None = None
        self._headers: dict[tuple, bytes] = {}
        self._pool = None
        if encrypt_processes > 0:
            # spawn: never fork a process that runs threads (the web process, the worker).
            self._pool = ProcessPoolExecutor(
                encrypt_processes, mp_context=multiprocessing.get_context("spawn")
            )

    def start(
        self, items: Iterable[Outgoing], on_result: Callable[[Result], None] | None = None
    ) -> Future:
        """Start sending every item; the future's result is one `Result` per item, in order.

        The requests run in the sender's own event-loop thread, so the caller can claim and
        prepare the next batch (database work) while this one is in flight. `on_result` (if
        given) is called in that thread with each result as soon as it is known.
        """
        items = list(items)
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._loop.run_forever, name="jichikai-push-http", daemon=True
            )
            self._thread.start()
        return asyncio.run_coroutine_threadsafe(self._send_all(items, on_result), self._loop)

    def send(self, items: Iterable[Outgoing]) -> list[Result]:
        """Send every item concurrently and return one result per item, in the same order."""
        items = list(items)
        if not items:
            return []
        return self.start(items).result()

    def close(self) -> None:
        if self._thread is not None:
            asyncio.run_coroutine_threadsafe(self._close_client(), self._loop).result()
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._thread = None
        if not self._loop.is_closed():
            self._loop.close()
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    async def _close_client(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
            await asyncio.sleep(0)  # let the transports close

    def __enter__(self) -> "Sender":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _headers_for(self, item: Outgoing) -> tuple[str, bytes]:
        """The origin and request header lines, shared by every message with the same origin,
        TTL, urgency and topic (a fan-out is one message to many subscriptions of few services)."""
        origin = origin_of(item.endpoint)
        key = (origin, item.ttl, item.urgency, item.topic)
        lines = self._headers.get(key)
        if lines is None:
            text = "".join(f"{k}: {v}\r\n" for k, v in headers_for(item, self.signer).items())
            if any(c in text.replace("\r\n", "") for c in "\r\n"):
                raise ValueError("a header value contains a line break")
            lines = text.encode("latin-1")
            self._headers[key] = lines
        return origin, lines

    async def _send_all(
        self, items: list[Outgoing], on_result: Callable[[Result], None] | None = None
    ) -> list[Result]:
        if self._client is None:
            self._client = Client()
        # VAPID tokens are renewed by the signer: headers are only shared within one call.
        self._headers.clear()
        results: list[Result | None] = [None] * len(items)
        if self._pool is None:
            pending = iter(enumerate(items))

            async def run() -> None:
                for index, item in pending:
                    try:
                        body: bytes | str = encrypt(item)
                    except Exception as error:  # a broken key: the service could never take it
                        body = f"encryption: {error}"
                    results[index] = await self._post(item, body)
                    if on_result is not None:
                        on_result(results[index])

        else:
            bodies = self._encrypt_in_pool(items)
            pending = iter(enumerate(items))

            async def run() -> None:
                for index, item in pending:
                    chunk = await bodies[index // ENCRYPT_CHUNK]
                    results[index] = await self._post(item, chunk[index % ENCRYPT_CHUNK])
                    if on_result is not None:
                        on_result(results[index])

        await asyncio.gather(*(run() for _ in range(min(self.concurrency, len(items)))))
        return results  # type: ignore[return-value]

    def _encrypt_in_pool(self, items: list[Outgoing]) -> list[asyncio.Future]:
        loop = asyncio.get_running_loop()
        return [
            loop.run_in_executor(
                self._pool,
                encrypt_many,
                [(i.p256dh, i.auth, i.payload) for i in items[start : start + ENCRYPT_CHUNK]],
            )
            for start in range(0, len(items), ENCRYPT_CHUNK)
        ]

    async def _post(self, item: Outgoing, body: bytes | str) -> Result:
        if isinstance(body, str):
            return Result(item.id, item.subscription_id, 400, error=body)
        try:
            origin, headers = self._headers_for(item)
            response = await self._client.post(
                origin, item.endpoint[len(origin) :] or "/", headers, body, self.timeout
            )
        except TimeoutError:
            return Result(item.id, item.subscription_id, None, error="timeout")
        except (OSError, ProtocolError, ValueError) as error:
            return Result(item.id, item.subscription_id, None, error=f"network: {error}"[:300])
        status = response.status
        retry_after = response.headers.get("retry-after")
        return Result(
            item.id,
            item.subscription_id,
            status,
            retry_after=parse_retry_after(retry_after) if retry_after else None,
            error="" if status < 300 else response.body.decode(errors="replace")[:300],
        )
