"""Links: absolute ones for what leaves the screen (printed QR codes on cards and circulars),
and the local paths a form may send the browser back to."""

import unicodedata
from urllib.parse import urlsplit

import segno
from flask import current_app, has_request_context, request, url_for


def public_url(endpoint: str, **values) -> str:
    """The absolute URL of a page: PUBLIC_URL when configured, else the request's host."""
    base = (current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    if base:
        return base + url_for(endpoint, **values)
    if current_app.config.get("HTTPS"):  # the TLS proxy may have forwarded plain http
        return url_for(endpoint, _external=True, _scheme="https", **values)
    return url_for(endpoint, _external=True, **values)


def absolute(path: str) -> str:
    """`path` on this site as an absolute URL, also outside a request (the worker's jobs):
    PUBLIC_URL when configured, else the request's host, else http://localhost:5000 (the
    embedded default; production sets PUBLIC_URL, docs/operations.md)."""
    base = (current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    if not base and has_request_context():
        base = request.host_url.rstrip("/")
        if current_app.config.get("HTTPS") and base.startswith("http://"):
            base = "https://" + base[len("http://") :]
    return (base or "http://localhost:5000") + path


def qr_data_uri(text: str, scale: int = 4) -> str:
    """A QR code as an SVG data URI (the CSP allows data: images, not inline markup)."""
    return segno.make(text, error="m").svg_data_uri(scale=scale, border=2)


def local_path(target: str | None) -> str | None:
    """`target` when it is a path on this site (what `next` may hold), else None.

    Browsers drop tabs and line breaks inside a URL and read a backslash as a slash, so a
    slash, a tab and another slash would lead to another host: control and format characters
    and backslashes are refused, like anything with a scheme or a host (a line break would
    also break the Location header).
    """
    if not target or len(target) > 2000 or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
