"""Map pages: the tile server's settings and the Content-Security-Policy that lets its tiles in.

Leaflet (static/vendor/leaflet/, see scripts/update-leaflet) is loaded only by the pages that
draw a map; every other page keeps the strict policy of jichikai.http.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, current_app

from .http import CONTENT_SECURITY_POLICY


def tile_origin(url: str) -> str:
    """The scheme and host of a tile URL template, as a CSP source."""
    parts = urlsplit(url.replace("{", "").replace("}", ""))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"MAP_TILE_URL must be an http(s) URL template: {url!r}")
    host = url.split("://", 1)[1].split("/", 1)[0]
    return f"{parts.scheme}://{host}"


def map_settings() -> dict:
    """What a page's map script needs: the tile URL, its attribution and the zoom limit."""
    config = current_app.config
    return {
        "tiles": config["MAP_TILE_URL"],
        "attribution": config["MAP_TILE_ATTRIBUTION"],
        "max_zoom": int(config["MAP_MAX_ZOOM"]),
    }


def allow_tiles(response: Response) -> Response:
    """The strict policy, with the tile server added to the image sources."""
    origin = tile_origin(current_app.config["MAP_TILE_URL"])
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
        "img-src 'self' data:", f"img-src 'self' data: {origin}"
    )
    return response
