"""Fetching JMA feeds and messages over HTTP: a timeout, a size limit, no redirects."""

from __future__ import annotations

from dataclasses import dataclass

import requests

USER_AGENT = "jichikai-jma-poller/1.0"


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
    """GET `url`; 200 and 304 answer, anything else raises FetchError."""
    headers = {"User-Agent": USER_AGENT}
    if if_modified_since:
        headers["If-Modified-Since"] = if_modified_since
    try:
        with requests.get(
            url, headers=headers, timeout=timeout, stream=True, allow_redirects=False
        ) as response:
            if response.status_code == 304:
                return Fetched(304, b"", response.headers.get("Last-Modified", ""))
            if response.status_code != 200:
                transient = response.status_code >= 500 or response.status_code == 429
                raise FetchError(f"HTTP {response.status_code}", transient=transient)
            body = bytearray()
            for chunk in response.iter_content(64 * 1024):
                body.extend(chunk)
                if len(body) > max_bytes:
                    raise FetchError(f"larger than {max_bytes} bytes", transient=False)
            return Fetched(200, bytes(body), response.headers.get("Last-Modified", ""))
    except requests.Timeout as error:
        raise FetchError(f"timed out after {timeout}s", transient=True) from error
    except requests.RequestException as error:
        raise FetchError(f"{type(error).__name__}: {error}", transient=True) from error
