"""Fetching JMA feeds and messages over HTTP: a total deadline, a size limit, no redirects.

The deadline covers the whole download (connecting, the headers and every byte of the body):
a server that trickles a byte every few seconds is cut off when it runs out, where a timeout
per read would wait for ever. aiohttp's `ClientTimeout(total=…)` enforces it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import aiohttp

USER_AGENT = "jichikai-jma-poller/1.0"
CHUNK_BYTES = 64 * 1024


class FetchError(Exception):
    """A download that failed; `transient` says whether trying again later may help."""

    def __init__(self, message: str, transient: bool):
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class Fetched:
    status: int
    body: bytes
    last_modified: str


def fetch(url: str, *, timeout: float, max_bytes: int, if_modified_since: str = "") -> Fetched:
    """GET `url` within `timeout` seconds in all; 200 and 304 answer, anything else raises."""
    return asyncio.run(_fetch(url, timeout, max_bytes, if_modified_since))


async def _fetch(url: str, timeout: float, max_bytes: int, if_modified_since: str) -> Fetched:
    headers = {"User-Agent": USER_AGENT}
    if if_modified_since:
        headers["If-Modified-Since"] = if_modified_since
    try:
        async with (
            aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=timeout), trust_env=True
            ) as session,
            session.get(url, headers=headers, allow_redirects=False) as response,
        ):
            last_modified = response.headers.get("Last-Modified", "")
            if response.status == 304:
                return Fetched(304, b"", last_modified)
            if response.status != 200:
                transient = response.status >= 500 or response.status == 429
                raise FetchError(f"HTTP {response.status}", transient=transient)
            body = bytearray()
            async for chunk in response.content.iter_chunked(CHUNK_BYTES):
                body.extend(chunk)
                if len(body) > max_bytes:
                    raise FetchError(f"larger than {max_bytes} bytes", transient=False)
            return Fetched(200, bytes(body), last_modified)
    except TimeoutError as error:
        raise FetchError(f"not complete within {timeout}s (timed out)", transient=True) from error
    except aiohttp.InvalidURL as error:
        raise FetchError(f"not a valid address: {error}", transient=False) from error
    except aiohttp.ClientError as error:
        raise FetchError(f"{type(error).__name__}: {error}", transient=True) from error
