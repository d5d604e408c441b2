"""Manifest, service worker and offline page."""

from flask import current_app, jsonify, render_template, send_from_directory, url_for
from flask_babel import gettext as _

from . import bp


@bp.get("/manifest.webmanifest")
def manifest():
    """The web app manifest (Japanese name; maskable icons)."""
    icons = [
        {
            "src": url_for("static", filename=f"icons/{name}-{size}.png"),
            "sizes": f"{size}x{size}",
            "type": "image/png",
            "purpose": purpose,
        }
        for name, purpose in (("icon", "any"), ("maskable", "maskable"))
        for size in (192, 512)
    ]
    response = jsonify(
        {
            "name": _("自治会の回覧と安否確認"),
            "short_name": _("自治会"),
            "description": _("回覧を読み、災害のときは無事を知らせます。"),
            "lang": "ja",
            "start_url": "/?source=app",
            "scope": "/",
            "id": "/",
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#08457f",
            "icons": icons,
        }
    )
    response.mimetype = "application/manifest+json"
    response.cache_control.max_age = 3600
    return response


@bp.get("/sw.js")
def service_worker():
    """The service worker, served from the root so that it controls every page."""
    response = send_from_directory(current_app.static_folder, "js/sw.js", max_age=0)
    response.headers["Service-Worker-Allowed"] = "/"
    response.cache_control.no_cache = True
    response.mimetype = "text/javascript"
    return response


@bp.get("/offline")
def offline():
    """Shown by the service worker when a page is not available without a network."""
    return render_template("pwa/offline.html")
