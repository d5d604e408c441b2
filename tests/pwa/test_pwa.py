"""The installable app: manifest, service worker scope, strict CSP, logout clears the caches."""

import gzip
from pathlib import Path

STATIC = Path(__file__).resolve().parents[2] / "static"


def test_manifest_is_installable(client):
    response = client.get("/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    manifest = response.get_json()
    assert manifest["display"] == "standalone"
    assert manifest["start_url"].startswith("/")
    sizes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "maskable"), ("512x512", "maskable"), ("192x192", "any")} <= sizes
    assert manifest["name"] == "自治会の回覧と安否確認"


def test_manifest_icons_exist(client):
    for icon in client.get("/manifest.webmanifest").get_json()["icons"]:
        with client.get(icon["src"]) as response:
            assert response.status_code == 200
            assert response.mimetype == "image/png"


def test_service_worker_controls_the_root_scope(client):
    with client.get("/sw.js") as response:
        pass
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response.headers["Cache-Control"]
    assert response.mimetype == "text/javascript"


def test_pages_carry_a_strict_content_security_policy(client, world):
    policy = client.get("/login").headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


def test_logout_clears_cached_pages_and_queued_data(client, world, as_member):
    as_member(world.member)
    response = client.post("/logout")
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'


def test_all_javascript_fits_the_budget():
    """All JavaScript together at most 30 KB compressed."""
    total = sum(len(gzip.compress(p.read_bytes(), 9)) for p in STATIC.glob("**/*.js"))
    assert total <= 30 * 1024, total
