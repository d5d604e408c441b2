"""Manifest, service worker and offline page."""

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import current_app, jsonify, render_template, request, url_for
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


# What the service worker keeps as the app shell (its SHELL_FILES), and the files it is built
# from: a change to any of them must reach phones that installed the app.
SHELL_SOURCES = (
    "js/sw.js",
    "js/app.js",
    "js/queue.js",
    "js/notices.js",
    "js/notices-print.js",
    "js/notices-form.js",
    "js/checkin.js",
    "js/rollcall.js",
    "js/passkeys.js",
    "push/push.js",
    "vendor/dads/tokens.css",
    "css/app.css",
    "css/notices.css",
    "css/notices-print.css",
    "icons/icon-192.png",
    "icons/icon-512.png",
    "icons/maskable-192.png",
    "icons/maskable-512.png",
    "icons/apple-touch-icon.png",
    "icons/badge-96.png",
)
VERSION_LINE = 'const VERSION = "v1";'


def shell_version(static_folder: str, template_folder: str) -> str:
    """A fingerprint of the shell's files (and the offline page's template)."""
    digest = hashlib.sha256()
    for path in [Path(static_folder, name) for name in SHELL_SOURCES] + [
        Path(template_folder, "base.html"),
        Path(template_folder, "pwa", "offline.html"),
    ]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@lru_cache(maxsize=4)
def _service_worker_source(static_folder: str, template_folder: str) -> str:
    source = Path(static_folder, "js", "sw.js").read_text(encoding="utf-8")
    if VERSION_LINE not in source:
        raise RuntimeError("sw.js must declare " + VERSION_LINE)
    version = shell_version(static_folder, template_folder)
    return source.replace(VERSION_LINE, f'const VERSION = "{version}";')


@bp.get("/sw.js")
def service_worker():
    """The service worker, served from the root so that it controls every page.

    Its cache version is the fingerprint of the shell's files: a new app.js or app.css
    changes the worker's bytes, so browsers install it and drop the old shell. Without that,
    the cache-first shell would keep yesterday's script on installed phones for good.
    """
    template_folder = str(Path(current_app.root_path, current_app.template_folder))
    if current_app.debug:
        _service_worker_source.cache_clear()
    body = _service_worker_source(current_app.static_folder, template_folder)
    response = current_app.response_class(body, mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/"
    response.cache_control.no_cache = True
    response.set_etag(hashlib.sha256(body.encode()).hexdigest()[:32])
    return response.make_conditional(request)


@bp.get("/offline")
def offline():
    """Shown by the service worker when a page is not available without a network."""
    return render_template("pwa/offline.html")
