"""Sending encrypted Web Push requests concurrently (asyncio + aiohttp), without the database.

Each message is encrypted for its subscription with pywebpush (RFC 8291, aes128gcm) and posted
with the headers push services read: `TTL`, `Urgency`, `Topic` and the VAPID `Authorization`
(one JWT per push-service origin, see `vapid.VapidSigner`). What the service answered comes back
as a `Result`; deciding what it means for the delivery row is `delivery.apply_results`.
"""

import asyncio
import email.utils
import time
from collections.abc import Iterable
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


class Sender:
    """Posts push messages over one aiohttp session (kept-alive connections) in its own loop.

    Not thread-safe: each thread that sends (the worker's sender loop, a CLI command) has its own.
    """

    def __init__(self, signer: VapidSigner, *, concurrency: int = 200, timeout: float = 10.0):
        self.signer = signer
        self.concurrency = concurrency
        self.timeout = timeout
        self._loop = asyncio.new_event_loop()
        self._session: aiohttp.ClientSession | None = None

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
        return list(await asyncio.gather(*(self._send_one(item, gate) for item in items)))

    async def _send_one(self, item: Outgoing, gate: asyncio.Semaphore) -> Result:
        async with gate:
            try:
                body = encrypt(item)
                headers = headers_for(item, self.signer)
            except Exception as error:  # a broken key: the service could never take it
                return Result(item.id, item.subscription_id, 400, error=f"encryption: {error}")
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
