"""Permission cases of logging in, devices and preferences."""

from jichikai.auth.services import issue_card, start_device
from jichikai.extensions import db

from ..matrix import LOGIN, Case, everyone, expect, logged_in


def _card_url(world) -> str:
    _card, token, _code = issue_card(world.member)
    db.session.commit()
    return f"/c/{token}"


def _member_device_url(world) -> str:
    device = start_device(world.member, "test")
    db.session.commit()
    return f"/me/devices/{device.id}/revoke"


CASES = [
    Case("GET", lambda w: "/login", expect(anonymous=200, default=302), id="login-page"),
    Case(
        "POST",
        lambda w: "/login/code",
        everyone(400),
        form=lambda w: {"code": "XXXX"},
        id="login-code-bad",
    ),
    Case(
        "POST",
        lambda w: "/login/password",
        everyone(400),
        form=lambda w: {"email": "nobody@example.jp", "password": "x"},
        id="login-password-bad",
    ),
    Case("GET", _card_url, everyone(200), id="card-page"),
    Case("POST", _card_url, everyone(302), id="card-login"),
    Case("POST", lambda w: "/logout", expect(anonymous=LOGIN, default=302), id="logout"),
    Case("GET", lambda w: "/me/devices", logged_in(200), id="devices"),
    Case(
        "POST",
        _member_device_url,
        expect(anonymous=LOGIN, member=302, default=404),
        id="device-revoke",
    ),
    Case("GET", lambda w: "/me/settings", logged_in(200), id="settings"),
    Case(
        "POST",
        lambda w: "/me/settings",
        logged_in(302),
        form=lambda w: {"language": "ja", "text_size": "large"},
        id="settings-save",
    ),
    Case("GET", lambda w: "/api/v1/me", logged_in(200), id="api-me"),
]
