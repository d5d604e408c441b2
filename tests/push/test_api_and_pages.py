"""Subscribing browsers, the settings page and the admins' problems page."""

import pytest
from sqlalchemy import select

from jichikai.extensions import db
from jichikai.push.models import PushDelivery, PushSubscription
from jichikai.push.services import (
    MAX_SUBSCRIPTIONS_PER_MEMBER,
    PushMessage,
    SubscriptionError,
    allowed_origins,
    endpoint_allowed,
    notify,
    subscribe,
)
from jichikai.push.vapid import public_key_b64

from ..factories import login
from .helpers import send_all, subscribe_browser, use_test_vapid_key

DEFAULTS = allowed_origins("")


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://fcm.googleapis.com/fcm/send/abc",
        "https://updates.push.services.mozilla.com/wpush/v2/abc",
        "https://web.push.apple.com/QFk",
        "https://wns2-par02p.notify.windows.com/w/?token=abc",
    ],
)
def test_known_push_services_are_allowed(endpoint):
    assert endpoint_allowed(endpoint, DEFAULTS)


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://fcm.googleapis.com/fcm/send/abc",
        "https://fcm.googleapis.com:8443/fcm/send/abc",
        "https://169.254.169.254/latest/meta-data",
        "https://127.0.0.1/push",
        "https://fcm.googleapis.com.evil.example/x",
        "https://user@fcm.googleapis.com/x",
        "https://notify.windows.com/x",
        "javascript:alert(1)",
        "https://[::1/x",
    ],
)
def test_other_endpoints_are_refused(endpoint):
    assert not endpoint_allowed(endpoint, DEFAULTS)


def test_configured_origins_replace_the_defaults():
    origins = allowed_origins("http://127.0.0.1:9999, https://push.example.jp")
    assert endpoint_allowed("http://127.0.0.1:9999/push/x", origins)
    assert not endpoint_allowed("http://127.0.0.1:9998/push/x", origins)
    assert not endpoint_allowed("https://fcm.googleapis.com/fcm/send/abc", origins)


def test_vapid_public_key_api(client, app):
    key = use_test_vapid_key(app)
    response = client.get("/api/v1/push/vapid-public-key")
    assert response.json == {"public_key": public_key_b64(key)}


def test_subscribing_twice_updates_the_same_row(client, world, emulator, as_member):
    as_member(world.member)
    browser = emulator.new_subscription().to_json()
    first = client.post("/api/v1/push/subscriptions", json=browser)
    second = client.post("/api/v1/push/subscriptions", json=browser)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json["id"] == second.json["id"]
    [row] = db.session.scalars(select(PushSubscription)).all()
    assert row.member_id == world.member.id


def test_a_browser_used_by_another_member_moves_without_old_messages(world, emulator):
    browser, subscription = subscribe_browser(emulator, world.member)
    notify([world.member], PushMessage("佐藤さんへ"))
    db.session.commit()
    data = browser.to_json()
    moved, created = subscribe(
        world.housemate,
        data["endpoint"],
        data["keys"]["p256dh"],
        data["keys"]["auth"],
        origins=[emulator.origin],
    )
    db.session.commit()
    assert not created and moved.member_id == world.housemate.id
    assert db.session.scalars(select(PushDelivery)).all() == []


def _subscribe_through_the_api(client, member, browser) -> dict:
    login(client, member)
    response = client.post("/api/v1/push/subscriptions", json=browser.to_json())
    assert response.status_code == 201
    return response.json


def _with_other_keys(emulator, browser) -> dict:
    """The endpoint of `browser` with the keys of another browser (one an attacker holds)."""
    return {**browser.to_json(), "keys": emulator.new_subscription().to_json()["keys"]}


@pytest.mark.parametrize("taker", ["housemate", "other_leader", "outsider"])
def test_another_members_endpoint_with_other_keys_is_refused(client, world, emulator, taker):
    browser = emulator.new_subscription()
    _subscribe_through_the_api(client, world.member, browser)
    login(client, getattr(world, taker))

    response = client.post("/api/v1/push/subscriptions", json=_with_other_keys(emulator, browser))

    assert response.status_code == 409
    assert world.member.name not in response.get_data(as_text=True)
    [row] = db.session.scalars(select(PushSubscription)).all()
    assert row.member_id == world.member.id
    assert row.auth == browser.to_json()["keys"]["auth"]


def test_the_owner_still_gets_messages_after_a_refused_takeover(client, world, emulator):
    browser = emulator.new_subscription()
    _subscribe_through_the_api(client, world.member, browser)
    login(client, world.outsider)
    client.post("/api/v1/push/subscriptions", json=_with_other_keys(emulator, browser))

    notify([world.member], PushMessage("避難所が開きました"))
    db.session.commit()
    send_all()

    assert [m["title"] for m in emulator.payloads_for(browser)] == ["避難所が開きました"]


def test_the_same_login_may_renew_the_keys_of_its_endpoint(client, world, emulator):
    browser = emulator.new_subscription()
    _subscribe_through_the_api(client, world.member, browser)
    renewed = _with_other_keys(emulator, browser)

    response = client.post("/api/v1/push/subscriptions", json=renewed)

    assert response.status_code == 200
    [row] = db.session.scalars(select(PushSubscription)).all()
    assert (row.member_id, row.auth) == (world.member.id, renewed["keys"]["auth"])


def test_another_login_of_the_same_member_must_show_the_keys(client, world, emulator):
    browser = emulator.new_subscription()
    _subscribe_through_the_api(client, world.member, browser)
    login(client, world.member)  # another phone: a new device

    refused = client.post("/api/v1/push/subscriptions", json=_with_other_keys(emulator, browser))
    same_keys = client.post("/api/v1/push/subscriptions", json=browser.to_json())

    assert (refused.status_code, same_keys.status_code) == (409, 200)


def test_a_shared_phone_follows_the_member_logged_in_on_it(client, world, emulator):
    """The same browser (its keys) with another member logged in: its messages are theirs."""
    browser = emulator.new_subscription()
    _subscribe_through_the_api(client, world.member, browser)
    login(client, world.housemate)

    response = client.post("/api/v1/push/subscriptions", json=browser.to_json())

    assert response.status_code == 200
    [row] = db.session.scalars(select(PushSubscription)).all()
    assert row.member_id == world.housemate.id
    assert row.device_id == world.housemate.current_device.id


def test_a_member_keeps_at_most_ten_devices(world, emulator):
    for _ in range(MAX_SUBSCRIPTIONS_PER_MEMBER + 2):
        subscribe_browser(emulator, world.member)
    count = len(db.session.scalars(select(PushSubscription)).all())
    assert count == MAX_SUBSCRIPTIONS_PER_MEMBER


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"endpoint": "https://10.0.0.1/push"}, 400),
        ({"keys": {"p256dh": "A" * 87, "auth": "tBHItJI5svbpez7KI4CCXg"}}, 400),
        ({"keys": {"auth": "tBHItJI5svbpez7KI4CCXg"}}, 422),
        ({"expirationTime": 1000}, 400),
        ({"expirationTime": 10**20}, 400),
        ({"expirationTime": 2**63}, 400),
    ],
)
def test_bad_subscriptions_are_refused_and_save_nothing(
    client, world, emulator, as_member, change, status
):
    as_member(world.member)
    body = {**emulator.new_subscription().to_json(), **change}
    response = client.post("/api/v1/push/subscriptions", json=body)
    assert response.status_code == status
    assert response.json["message"]
    assert db.session.scalars(select(PushSubscription)).all() == []


def test_short_auth_secret_is_refused(world, emulator):
    data = emulator.new_subscription().to_json()
    with pytest.raises(SubscriptionError):
        subscribe(
            world.member,
            data["endpoint"],
            data["keys"]["p256dh"],
            "AAAA",
            origins=[emulator.origin],
        )


def test_unsubscribe_removes_only_ones_own(client, world, emulator, as_member):
    browser, _ = subscribe_browser(emulator, world.member)
    as_member(world.housemate)
    body = {"endpoint": browser.endpoint}
    assert client.delete("/api/v1/push/subscriptions", json=body).status_code == 404
    as_member(world.member)
    assert client.delete("/api/v1/push/subscriptions", json=body).status_code == 204
    assert db.session.scalars(select(PushSubscription)).all() == []


def test_subscribing_needs_the_csrf_token(client, world, emulator, as_member, csrf_enabled):
    as_member(world.member)
    response = client.post("/api/v1/push/subscriptions", json=emulator.new_subscription().to_json())
    assert response.status_code == 400


def test_settings_page_saves_the_preference(client, world, as_member):
    as_member(world.member)
    assert "災害のときのお知らせ" in client.get("/me/notifications").get_data(as_text=True)
    response = client.post("/me/notifications", data={"push_preference": "urgent"})
    assert response.status_code == 302
    assert world.member.push_preference == "urgent"


def test_an_unknown_preference_is_refused(client, world, as_member):
    as_member(world.member)
    response = client.post("/me/notifications", data={"push_preference": "sometimes"})
    assert response.status_code == 400
    assert world.member.push_preference == "all"


def test_the_test_button_reaches_every_device_even_when_muted(client, world, emulator, as_member):
    subscribe_browser(emulator, world.member)
    subscribe_browser(emulator, world.member)
    world.member.push_preference = "none"
    db.session.commit()
    as_member(world.member)
    client.post("/me/notifications/test")
    assert len(db.session.scalars(select(PushDelivery)).all()) == 2


def test_the_test_button_without_devices_explains(client, world, as_member):
    as_member(world.member)
    page = client.post("/me/notifications/test", follow_redirects=True).get_data(as_text=True)
    assert "まだ登録されていません" in page


def test_deleting_a_device(client, world, emulator, as_member):
    _browser, subscription = subscribe_browser(emulator, world.member)
    as_member(world.member)
    response = client.post(f"/me/notifications/devices/{subscription.id}/delete")
    assert response.status_code == 302
    assert db.session.scalars(select(PushSubscription)).all() == []


def test_admins_see_refused_messages_of_their_association_only(client, world, emulator, as_member):
    from .helpers import send_all

    browser, _ = subscribe_browser(emulator, world.member)
    outsider, _ = subscribe_browser(emulator, world.outsider)
    emulator.answer(browser, 413)
    emulator.answer(outsider, 403)
    notify([world.member], PushMessage("ひがしの回覧"))
    notify([world.outsider], PushMessage("にしの回覧"))
    db.session.commit()
    send_all()

    as_member(world.admin)
    page = client.get("/admin/push").get_data(as_text=True)
    assert "ひがしの回覧" in page and "HTTP 413" in page
    assert "にしの回覧" not in page


def test_menu_has_the_settings_entry(client, world, as_member):
    as_member(world.member)
    page = client.get("/me/notifications").get_data(as_text=True)
    assert "お知らせの受け取り設定" in page
    assert "通知の送信状況" not in page
