"""The installable app: manifest, service worker scope, strict CSP, logout clears the caches."""

import gzip
from pathlib import Path

import pytest
from sqlalchemy import select

from jichikai.auth.models import Device
from jichikai.auth.services import issue_card, revoke_device
from jichikai.extensions import db

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


def _lost_phone(client, world, as_member):
    """A phone logged in as the member, then revoked by an officer."""
    as_member(world.member)
    device = db.session.scalars(select(Device)).one()
    revoke_device(device, by=world.officer)
    db.session.commit()
    return client


@pytest.mark.parametrize("url", ["/", "/notices/", "/api/v1/me", "/api/v1/notices"])
def test_a_revoked_phone_is_told_once_and_forgets_what_it_kept(client, world, as_member, url):
    phone = _lost_phone(client, world, as_member)

    response = phone.get(url)

    assert response.status_code == 401
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'
    if url.startswith("/api/"):
        assert response.get_json()["code"] == 401
    else:
        assert "この端末はログアウトされました。" in response.get_data(as_text=True)


def test_after_that_the_revoked_phone_is_an_ordinary_visitor(client, world, as_member):
    phone = _lost_phone(client, world, as_member)
    phone.get("/api/v1/me")

    response = phone.get("/")

    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert "Clear-Site-Data" not in response.headers


def test_a_revoked_member_remember_cookie_alone_is_also_ended(client, world, as_member):
    phone = _lost_phone(client, world, as_member)
    with phone.session_transaction() as session:
        session.clear()  # the browser was closed: only the long-lived cookie is left
    phone.set_cookie("remember_token", "stale")

    response = phone.get("/api/v1/notices")

    assert response.status_code == 401
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'


def test_a_revoked_phone_scanning_its_card_is_led_back_to_the_card(client, world, as_member):
    phone = _lost_phone(client, world, as_member)
    _card, token, _code = issue_card(world.member)
    db.session.commit()

    page = phone.get(f"/c/{token}")
    card = phone.get(f"/c/{token}")

    assert page.status_code == 401 and f'href="/c/{token}"' in page.get_data(as_text=True)
    assert card.status_code == 200


def test_a_visitor_who_never_logged_in_keeps_its_data(client, world):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert "Clear-Site-Data" not in response.headers


def test_a_revoked_phone_still_gets_the_static_files(client, world, as_member):
    phone = _lost_phone(client, world, as_member)
    with phone.get("/static/js/app.js") as response:
        assert response.status_code == 200


def test_all_javascript_fits_the_budget():
    """All of the app's own JavaScript together at most 30 KB compressed.

    Vendored libraries (static/vendor/) are loaded only by the pages that need them (the map);
    the check-in page's own budget is measured in tests/browser/test_disaster.py.
    """
    own = [p for p in STATIC.glob("**/*.js") if "vendor" not in p.relative_to(STATIC).parts]
    assert any(p.name == "map.js" for p in own)
    total = sum(len(gzip.compress(p.read_bytes(), 9)) for p in own)
    assert total <= 30 * 1024, total


def test_vendored_libraries_stay_out_of_the_shell_and_ordinary_pages():
    """Leaflet is fetched only by pages that draw a map, never cached with the app shell."""
    shell = (STATIC / "js" / "sw.js").read_text()
    base = (STATIC.parent / "templates" / "base.html").read_text()
    assert "vendor/leaflet" not in shell and "vendor/leaflet" not in base
    assert (STATIC / "vendor" / "leaflet" / "LICENSE").is_file()
    assert (STATIC / "vendor" / "leaflet" / "VERSION").read_text().strip() == "1.9.4"


def test_service_worker_version_follows_the_shell_files(app, client, tmp_path):
    import shutil

    from jichikai.pwa.views import SHELL_SOURCES, shell_version

    with client.get("/sw.js") as response:
        body = response.get_data(as_text=True)
    templates = str(Path(app.root_path, app.template_folder))
    version = shell_version(app.static_folder, templates)
    assert f'const VERSION = "{version}";' in body
    assert 'const VERSION = "v1";' not in body
    again = client.get("/sw.js", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304

    # A copy of the shell with one byte of app.js changed has another version.
    static = tmp_path / "static"
    for name in SHELL_SOURCES:
        (static / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(Path(app.static_folder, name), static / name)
    assert shell_version(str(static), templates) == version
    with (static / "js" / "app.js").open("a") as handle:
        handle.write("\n")
    assert shell_version(str(static), templates) != version


@pytest.mark.parametrize("url", ["/", "/api/v1/me", "/notices/"])
def test_pages_with_personal_data_are_kept_by_no_shared_cache(client, world, as_member, url):
    as_member(world.member)
    response = client.get(url)
    assert "private" in response.headers["Cache-Control"] or (
        "no-store" in response.headers["Cache-Control"]
    )


def test_static_files_stay_cacheable_by_anyone(client):
    response = client.get("/static/css/app.css")
    response.close()
    assert "private" not in response.headers.get("Cache-Control", "")


def test_the_revoked_phones_page_leads_only_to_this_site(client, world, as_member):
    """A link to https://this.site/%5Cevil.example/ must not lead off the site: browsers read
    the backslash in /\\evil.example as a slash."""
    phone = _lost_phone(client, world, as_member)

    page = phone.get("/", environ_overrides={"PATH_INFO": "/\\evil.example/x"})

    assert page.status_code == 401
    assert 'href="/login"' in page.get_data(as_text=True)
    assert "evil.example" not in page.get_data(as_text=True)
