"""Logging in through the QR link, the service worker, the offline page, accessibility."""

import pytest

from jichikai.auth.services import issue_card
from jichikai.extensions import db

from .conftest import axe_problems, screenshot, wait_for, wait_for_service_worker

pytestmark = pytest.mark.browser


def log_in_by_card(page, member) -> None:
    _card, token, _code = issue_card(member)
    db.session.commit()
    page.goto(f"/c/{token}")
    page.get_by_role("button", name="ログインする").click()
    page.wait_for_url("**/")


def test_member_logs_in_through_the_qr_link(page, world):
    log_in_by_card(page, world.member)
    assert page.get_by_role("heading", level=1).inner_text().startswith("佐藤 花子")
    screenshot(page, "home")


def test_login_page_is_accessible_in_japanese_and_large_text(page, world):
    page.goto("/login")
    assert axe_problems(page) == []
    screenshot(page, "login")
    log_in_by_card(page, world.member)
    page.goto("/me/settings")
    page.get_by_label("大きい").check()
    page.get_by_role("button", name="保存する").click()
    assert "text-large" in (page.locator("body").get_attribute("class") or "")
    assert axe_problems(page) == []
    screenshot(page, "settings-large-text")


def test_service_worker_registers_and_serves_the_offline_page(page, context, world):
    log_in_by_card(page, world.member)
    wait_for_service_worker(page)
    # The shell's cache is named after the fingerprint of its files (see pwa/views.py).
    wait_for(
        page,
        "caches.keys().then(keys => keys.find(k => k.startsWith('shell-')))"
        ".then(k => k && caches.open(k)).then(c => c && c.match('/offline')).then(r => !!r)",
    )
    context.set_offline(True)
    page.goto("/notices/does-not-exist-offline")
    assert "インターネットにつながっていません" in page.content()
    screenshot(page, "offline")
    context.set_offline(False)


def test_the_offline_page_follows_the_members_new_language(page, context, world):
    log_in_by_card(page, world.member)
    wait_for_service_worker(page)
    kept_in = (
        "caches.keys().then(keys => keys.find(k => k.startsWith('shell-')))"
        ".then(k => k && caches.open(k)).then(c => c && c.match('/offline'))"
        ".then(r => r ? r.text() : '').then(t => t.includes('lang=\"{}\"'))"
    )
    wait_for(page, kept_in.format("ja"))
    page.goto("/me/settings")
    page.get_by_label("Tiếng Việt").check()
    page.get_by_role("button", name="保存する").click()
    page.goto("/")  # the next page, in Vietnamese, asks for the offline page again
    wait_for(page, kept_in.format("vi"))
    context.set_offline(True)
    page.goto("/notices/does-not-exist-offline")
    assert page.locator("html").get_attribute("lang") == "vi"
    context.set_offline(False)
