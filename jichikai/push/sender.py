"""Sending encrypted Web Push requests concurrently (asyncio + aiohttp), without the database.

Each message is encrypted for its subscription with pywebpush (RFC 8291, aes128gcm) and posted
with the headers push services read: `TTL`, `Urgency`, `Topic` and the VAPID `Authorization`
(one JWT per push-service origin, see `vapid.VapidSigner`). What the service answered comes back
as a `Result`; deciding what it means for the delivery row is `delivery.apply_results`.
"""

import asyncio
import email.utils
import multiprocessing
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp
from pywebpush import WebPusher

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


@dataclass(frozen=True)
class Result:
    """What the push service answered; `status` is None when it did not answer in time."""

    id: int
    subscription_id: int
    status: int | None
    retry_after: float | None = None
    error: str = ""


def encrypt(item: Outgoing) -> bytes:
    """The aes128gcm body for one subscription (a fresh ephemeral key and salt each time)."""
    pusher = WebPusher(
        {"endpoint": item.endpoint, "keys": {"p256dh": item.p256dh, "auth": item.auth}}
    )
    return pusher.encode(item.payload, "aes128gcm")["body"]


def encrypt_many(items: list[tuple[str, str, str, bytes]]) -> list[bytes | str]:
    """Encrypt (endpoint, p256dh, auth, payload) tuples in a helper process; str = error."""
    bodies: list[bytes | str] = []
    for endpoint, p256dh, auth, data in items:
        try:
            pusher = WebPusher({"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}})
            bodies.append(pusher.encode(data, "aes128gcm")["body"])
        except Exception as error:  # a broken key: the service could never take it
            bodies.append(f"encryption: {error}")
    return bodies


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
    """Posts push messages over one aiohttp session (kept-alive connections) in its own loop.

    Encryption is CPU work: with `encrypt_processes` > 0 it runs in that many helper processes
    while the event loop only does HTTP, so that one sender uses more than one core.
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
        self.concurrency = concurrency
        self.timeout = timeout
        self._loop = asyncio.new_event_loop()
        self._session: aiohttp.ClientSession | None = None
        self._pool = None
        if encrypt_processes > 0:
            # spawn: never fork a process that runs threads (the web process, the worker).
            self._pool = ProcessPoolExecutor(
                encrypt_processes, mp_context=multiprocessing.get_context("spawn")
            )

    def send(self, items: Iterable[Outgoing]) -> list[Result]:
        """Send every item concurrently and return one result per item."""
        items = list(items)
        if not items:
            return []
        return self._loop.run_until_complete(self._send_all(items))

    def close(self) -> None:
        if self._session is not None:
            self._loop.run_until_complete(self._session.close())
            self._session = None
        self._loop.close()
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def __enter__(self) -> "Sender":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    async def _send_all(self, items: list[Outgoing]) -> list[Result]:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.concurrency, ttl_dns_cache=300),
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            )
        gate = asyncio.Semaphore(self.concurrency)
        if self._pool is None:
            return list(await asyncio.gather(*(self._encrypt_and_post(i, gate) for i in items)))
        loop = asyncio.get_running_loop()
        chunks = []
        for start in range(0, len(items), ENCRYPT_CHUNK):
            chunk = items[start : start + ENCRYPT_CHUNK]
            plain = [(i.endpoint, i.p256dh, i.auth, i.payload) for i in chunk]
            bodies = loop.run_in_executor(self._pool, encrypt_many, plain)
            chunks.append(self._post_chunk(chunk, bodies, gate))
        return [result for chunk in await asyncio.gather(*chunks) for result in chunk]

    async def _post_chunk(self, chunk: list[Outgoing], bodies, gate) -> list[Result]:
        bodies = await bodies
        pairs = zip(chunk, bodies, strict=True)
        return await asyncio.gather(*(self._post(item, body, gate) for item, body in pairs))

    async def _encrypt_and_post(self, item: Outgoing, gate: asyncio.Semaphore) -> Result:
        try:
            body: bytes | str = encrypt(item)
        except Exception as error:  # a broken key: the service could never take it
            body = f"encryption: {error}"
        return await self._post(item, body, gate)

    async def _post(self, item: Outgoing, body: bytes | str, gate: asyncio.Semaphore) -> Result:
        if isinstance(body, str):
            return Result(item.id, item.subscription_id, 400, error=body)
        async with gate:
            headers = headers_for(item, self.signer)
            try:
                async with self._session.post(item.endpoint, data=body, headers=headers) as resp:
                    text = "" if resp.status < 300 else (await resp.text(errors="replace"))[:300]
                    return Result(
                        item.id,
                        item.subscription_id,
                        resp.status,
                        retry_after=parse_retry_after(resp.headers.get("Retry-After")),
                        error=text,
                    )
            except TimeoutError:
                return Result(item.id, item.subscription_id, None, error="timeout")
            except aiohttp.ClientError as error:
                return Result(item.id, item.subscription_id, None, error=f"network: {error}"[:300])
