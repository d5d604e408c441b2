"""Permission cases of logging in, devices and preferences."""

import secrets

from jichikai.auth.models import Passkey
from jichikai.auth.services import issue_card, start_device
from jichikai.extensions import db

from ..matrix import LOGIN, Case, admins_only, everyone, expect, logged_in, officers_only


def _card_url(world) -> str:
    _card, token, _code = issue_card(world.member)
    db.session.commit()
    return f"/c/{token}"


def _member_device_url(world) -> str:
    device = start_device(world.member, "test")
    db.session.commit()
    return f"/me/devices/{device.id}/revoke"


def _officer_passkey_url(world) -> str:
    passkey = Passkey(
        association_id=world.officer.association_id,
        member_id=world.officer.id,
        credential_id=secrets.token_bytes(16),
        public_key=b"not used here",
        name="鍵",
    )
    db.session.add(passkey)
    db.session.commit()
    return f"/me/passkeys/{passkey.id}/remove"


# The officer's own passkey: another officer or admin of the association gets 404.
OWN_PASSKEY = expect(anonymous=LOGIN, officer=200, admin=404, default=403)
NO_CREDENTIAL = {"name": "鍵", "credential": {}}

PASSKEY_CASES = [
    Case("GET", lambda w: "/me/passkeys", officers_only(), id="passkeys"),
    Case("POST", lambda w: "/me/passkeys/options", officers_only(), id="passkey-options"),
    Case(
        "POST",
        lambda w: "/me/passkeys",
        officers_only(400),
        json=lambda w: NO_CREDENTIAL,
        id="passkey-register-bad",
    ),
    Case("GET", _officer_passkey_url, OWN_PASSKEY, id="passkey-remove-page"),
    Case(
        "POST",
        _officer_passkey_url,
        {**OWN_PASSKEY, "officer": 302},
        id="passkey-remove",
    ),
    Case(
        "GET",
        lambda w: f"/admin/members/{w.officer.id}/passkeys",
        admins_only(outsider=404),
        id="admin-passkeys",
    ),
    Case(
        "POST",
        lambda w: f"/admin/members/{w.officer.id}/passkeys/remove",
        admins_only(302, outsider=404),
        id="admin-passkeys-remove",
    ),
    Case("GET", lambda w: "/admin/passkey-policy", admins_only(), id="passkey-policy"),
    Case(
        "POST",
        lambda w: "/admin/passkey-policy",
        admins_only(302),
        form=lambda w: {"policy": "any"},
        id="passkey-policy-save",
    ),
    Case("POST", lambda w: "/login/passkey/options", everyone(200), id="passkey-login-options"),
    Case(
        "POST",
        lambda w: "/login/passkey",
        everyone(400),
        json=lambda w: NO_CREDENTIAL,
        id="passkey-login-bad",
    ),
    Case("GET", lambda w: "/login/passkey/second", everyone(302), id="passkey-second-page"),
    Case(
        "POST",
        lambda w: "/login/passkey/second/options",
        everyone(403),
        id="passkey-second-options",
    ),
    Case(
        "POST",
        lambda w: "/login/passkey/second",
        everyone(403),
        json=lambda w: NO_CREDENTIAL,
        id="passkey-second-bad",
    ),
]

CASES = PASSKEY_CASES + [
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
