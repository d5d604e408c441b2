"""Absolute links for what leaves the screen: printed QR codes on cards and circulars."""

import segno
from flask import current_app, url_for


def public_url(endpoint: str, **values) -> str:
    """The absolute URL of a page: PUBLIC_URL when configured, else the request's host."""
    base = (current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def qr_data_uri(text: str, scale: int = 4) -> str:
    """A QR code as an SVG data URI (the CSP allows data: images, not inline markup)."""
    return segno.make(text, error="m").svg_data_uri(scale=scale, border=2)
