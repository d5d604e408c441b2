"""Registering a passkey and logging in with it, in Chromium with a virtual authenticator."""

from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from jichikai.auth.models import Device, Passkey
from jichikai.extensions import db

from .conftest import axe_problems, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def localhost_page(browser_or_skip, live_server):
    """A page on http://localhost:PORT: WebAuthn needs a host name (not an IP) as RP ID."""
    context = browser_or_skip.new_context(
        base_url=live_server.replace("127.0.0.1", "localhost"),
        locale="ja-JP",
        timezone_id="Asia/Tokyo",
        viewport={"width": 390, "height": 844},
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def add_virtual_authenticator(page):
    """A platform authenticator with discoverable credentials and fingerprint (always yes)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, authenticator["authenticatorId"]


def test_officer_registers_a_passkey_and_logs_in_with_it(localhost_page, world):
    page = localhost_page
    cdp, authenticator_id = add_virtual_authenticator(page)

    page.goto("/login")
    page.get_by_text("役員の方（メールアドレスでログイン）").click()
    page.get_by_label("メールアドレス").fill("officer@example.jp")
    page.get_by_label("パスワード").fill("officer-password")
    page.locator("form[action^='/login/password'] button[type=submit]").click()
    page.wait_for_url("**/")

    page.goto("/me/passkeys")
    page.get_by_label("パスキーの名前").fill("このパソコン")
    page.get_by_role("button", name="このスマートフォン（パソコン）に登録する").click()
    page.get_by_text("パスキーを登録しました。").wait_for()
    assert page.get_by_text("このパソコン").is_visible()
    assert axe_problems(page) == []
    screenshot(page, "passkeys")
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
    assert len(credentials["credentials"]) == 1
    assert credentials["credentials"][0]["isResidentCredential"] is True

    page.goto("/me/settings")
    page.get_by_role("button", name="ログアウト").click()
    page.wait_for_url("**/login")

    page.goto("/login?next=/me/passkeys")
    page.get_by_text("役員の方（メールアドレスでログイン）").click()
    assert axe_problems(page) == []
    screenshot(page, "login-passkey")
    page.get_by_role("button", name="パスキーでログイン").click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/me/passkeys")
    assert "最後の利用" in page.content()

    passkey = db.session.scalars(select(Passkey)).one()
    assert passkey.last_used_at is not None
    methods = db.session.scalars(
        select(Device.method).where(Device.member_id == world.officer.id)
    ).all()
    assert sorted(methods) == ["passkey", "password"]
