"""The device list: readable names, and one entry per browser however often it logs in."""

import pytest
from sqlalchemy import func, select

from jichikai.auth.devices import BROWSER_COOKIE, device_name
from jichikai.auth.models import Device
from jichikai.auth.services import issue_card
from jichikai.extensions import db

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15"
    " (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/126.0.0.0 Mobile Safari/537.36"
)
WINDOWS_EDGE = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0"
)


@pytest.mark.parametrize(
    ("agent", "name"),
    [
        (IPHONE, "iPhone（Safari）"),
        (ANDROID, "Android（Chrome）"),
        (WINDOWS_EDGE, "パソコン（Windows・Edge）"),
        ("", "不明な端末"),
        ("curl/8.0", "不明な端末"),
    ],
)
def test_a_device_is_named_from_its_browser(app, agent, name):
    with app.test_request_context():
        assert device_name(agent) == name


def _devices(member) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Device).where(Device.member_id == member.id)
    )


def _log_in_with_code(client, member, agent=IPHONE):
    _card, _token, code = issue_card(member)
    db.session.commit()
    return client.post("/login/code", data={"code": code}, headers={"User-Agent": agent})


def test_logging_in_again_from_the_same_browser_replaces_its_device(app, client, world):
    first = _log_in_with_code(client, world.member)
    assert first.status_code == 302
    cookie = client.get_cookie(BROWSER_COOKIE)
    assert cookie is not None and cookie.http_only
    client.post("/logout")
    _log_in_with_code(client, world.member, agent=ANDROID)  # logged out: revoked, a new one
    _log_in_with_code(client, world.member, agent=ANDROID)  # still logged in: the same one
    active = db.session.scalars(
        select(Device).where(Device.member_id == world.member.id, Device.revoked_at.is_(None))
    ).all()
    assert len(active) == 1 and active[0].user_agent == ANDROID
    assert client.get("/me/devices").status_code == 200  # the new session works

    other = app.test_client()
    _log_in_with_code(other, world.member)
    assert _devices(world.member) == 3  # another browser is another device


def test_a_browser_key_does_not_take_over_another_members_device(app, client, world):
    _log_in_with_code(client, world.member)
    _log_in_with_code(client, world.housemate)  # a shared phone
    assert _devices(world.member) == 1 and _devices(world.housemate) == 1


def test_a_made_up_browser_cookie_is_replaced(client, world):
    client.set_cookie(BROWSER_COOKIE, "x")
    _log_in_with_code(client, world.member)
    assert client.get_cookie(BROWSER_COOKIE).value != "x"


def test_the_device_list_shows_names_and_no_raw_user_agent(client, world):
    _log_in_with_code(client, world.member, agent=WINDOWS_EDGE)
    page = client.get("/me/devices").get_data(as_text=True)
    assert "パソコン（Windows・Edge）" in page
    assert "Mozilla" not in page
    assert "最後の利用" in page
