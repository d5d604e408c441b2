"""Passkeys: registering, logging in, removing, recovery by another admin, the policy.

Every WebAuthn answer is made by a software authenticator with real keys (authenticator.py),
and checked by the server's real verification.
"""

from datetime import timedelta

import pytest
from sqlalchemy import select
from webauthn.helpers import bytes_to_base64url

from jichikai.audit.models import AuditEvent
from jichikai.auth.models import Device, Passkey, PasskeyChallenge
from jichikai.auth.passkeys import PasskeyError, set_passkey_policy
from jichikai.auth.services import start_device
from jichikai.database import utcnow
from jichikai.extensions import db, limiter

from ..factories import login, make_member
from .authenticator import SoftAuthenticator

ORIGIN = "http://localhost"  # the test client's host


def register(client, authenticator, name="わたしのスマートフォン"):
    options = client.post("/me/passkeys/options").get_json()
    return client.post(
        "/me/passkeys", json={"name": name, "credential": authenticator.create(options)}
    )


def passkey_login(client, authenticator, url="/login/passkey", **answer):
    options = client.post(f"{url}/options").get_json()
    return client.post(url, json={"credential": authenticator.get(options, **answer)})


def password_login(client, email="officer@example.jp", password="officer-password", next=""):
    suffix = f"?next={next}" if next else ""
    return client.post(f"/login/password{suffix}", data={"email": email, "password": password})


def actions(name: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == name)))


def devices_of(member, method: str) -> list[Device]:
    return list(
        db.session.scalars(
            select(Device).where(Device.member_id == member.id, Device.method == method)
        )
    )


@pytest.fixture
def officer_key(app, world):
    """The officer has registered a passkey (in another browser than the test's client)."""
    authenticator = SoftAuthenticator(ORIGIN)
    client = app.test_client()
    login(client, world.officer)
    assert register(client, authenticator).status_code == 201
    return authenticator


@pytest.fixture
def admin_key(app, world):
    authenticator = SoftAuthenticator(ORIGIN)
    client = app.test_client()
    login(client, world.admin)
    assert register(client, authenticator, name="管理者の鍵").status_code == 201
    return authenticator


def login_with_passkey_device(client, member) -> None:
    """Log the client in as `member` through a device that a passkey login made."""
    device = start_device(member, "passkey")
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = device.session_id


def set_policy(world, policy: str) -> None:
    world.association.passkey_policy = policy
    db.session.commit()


# Registering


def test_officer_registers_a_named_passkey(world, as_member):
    client = as_member(world.officer)
    response = register(client, SoftAuthenticator(ORIGIN), name="台所のパソコン")
    assert response.status_code == 201
    assert response.get_json()["redirect"] == "/me/passkeys"
    passkey = db.session.scalars(select(Passkey)).one()
    assert (passkey.member_id, passkey.name) == (world.officer.id, "台所のパソコン")
    assert passkey.association_id == world.association.id
    assert passkey.transports == ["internal"]
    assert [e.target_id for e in actions("passkey.register")] == [passkey.id]
    page = client.get("/me/passkeys").get_data(as_text=True)
    assert "台所のパソコン" in page and "まだ使っていません" in page


def test_registration_needs_a_name(world, as_member):
    response = register(as_member(world.officer), SoftAuthenticator(ORIGIN), name=" ")
    assert response.status_code == 400
    assert db.session.scalars(select(Passkey)).all() == []


def test_registration_from_another_origin_is_refused(world, as_member):
    client = as_member(world.officer)
    options = client.post("/me/passkeys/options").get_json()
    credential = SoftAuthenticator(ORIGIN).create(options, origin="http://evil.example")
    response = client.post("/me/passkeys", json={"name": "x", "credential": credential})
    assert response.status_code == 400
    assert db.session.scalars(select(Passkey)).all() == []


def test_registration_options_use_public_url_as_relying_party(app, world, as_member):
    app.config["PUBLIC_URL"] = "https://jichikai.example.jp"
    try:
        options = as_member(world.officer).post("/me/passkeys/options").get_json()
    finally:
        app.config["PUBLIC_URL"] = ""
    assert options["rp"]["id"] == "jichikai.example.jp"
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"


def test_a_registered_passkey_is_excluded_from_new_registrations(world, as_member, officer_key):
    client = as_member(world.officer)
    options = client.post("/me/passkeys/options").get_json()
    excluded = [c["id"] for c in options["excludeCredentials"]]
    assert excluded == [bytes_to_base64url(officer_key.credential_id)]


def test_members_cannot_register_passkeys(world, as_member):
    client = as_member(world.member)
    assert client.post("/me/passkeys/options").status_code == 403


# Logging in


def test_officer_logs_in_with_a_passkey_alone(client, world, officer_key):
    response = passkey_login(client, officer_key)
    assert response.status_code == 200
    assert response.get_json()["redirect"] == "/"
    [device] = devices_of(world.officer, "passkey")
    assert device.revoked_at is None
    passkey = db.session.scalars(select(Passkey)).one()
    assert passkey.sign_count == officer_key.sign_count == 1
    assert passkey.last_used_at is not None
    assert client.get("/me/passkeys").status_code == 200


def test_passkey_login_follows_next(client, world, officer_key):
    options = client.post("/login/passkey/options").get_json()
    response = client.post(
        "/login/passkey?next=/notices", json={"credential": officer_key.get(options)}
    )
    assert response.get_json()["redirect"] == "/notices"


def test_passkey_login_ignores_a_next_to_another_site(client, world, officer_key):
    options = client.post("/login/passkey/options").get_json()
    response = client.post(
        "/login/passkey?next=//evil.example/", json={"credential": officer_key.get(options)}
    )
    assert response.get_json()["redirect"] == "/"


def test_a_challenge_works_once(client, world, officer_key):
    options = client.post("/login/passkey/options").get_json()
    session_cookie = client.get_cookie("session").value  # holds the challenge
    answer = officer_key.get(options)
    assert client.post("/login/passkey", json={"credential": answer}).status_code == 200
    client.set_cookie("session", session_cookie)
    replay = client.post("/login/passkey", json={"credential": answer})
    assert replay.status_code == 400
    assert db.session.scalars(select(PasskeyChallenge)).all() == []
    assert [e.details["reason"] for e in actions("passkey.login_failed")] == ["challenge"]


def test_a_challenge_from_another_browser_is_refused(app, client, world, officer_key):
    other = app.test_client()
    options = other.post("/login/passkey/options").get_json()
    client.post("/login/passkey/options")
    response = client.post("/login/passkey", json={"credential": officer_key.get(options)})
    assert response.status_code == 400
    assert devices_of(world.officer, "passkey") == []


def test_an_expired_challenge_is_refused(client, world, officer_key):
    options = client.post("/login/passkey/options").get_json()
    for row in db.session.scalars(select(PasskeyChallenge)):
        row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = client.post("/login/passkey", json={"credential": officer_key.get(options)})
    assert response.status_code == 400
    assert devices_of(world.officer, "passkey") == []


def test_a_sign_count_that_goes_back_is_refused(client, world, officer_key):
    officer_key.sign_count = 40
    assert passkey_login(client, officer_key).status_code == 200
    officer_key.sign_count = 10  # a cloned authenticator
    response = passkey_login(client, officer_key)
    assert response.status_code == 400
    assert db.session.scalars(select(Passkey)).one().sign_count == 41
    [failure] = actions("passkey.login_failed")
    assert failure.association_id == world.association.id
    assert failure.target_id == world.officer.id


def test_an_answer_for_another_origin_is_refused_and_audited(client, world, officer_key):
    response = passkey_login(client, officer_key, origin="http://evil.example")
    assert response.status_code == 400
    assert response.get_json()["message"] == "パスキーでログインできませんでした。"
    assert len(actions("passkey.login_failed")) == 1
    assert devices_of(world.officer, "passkey") == []


def test_an_answer_for_another_relying_party_is_refused(client, world, officer_key):
    assert passkey_login(client, officer_key, rp_id="evil.example").status_code == 400


def test_a_bad_signature_is_refused(client, world, officer_key):
    options = client.post("/login/passkey/options").get_json()
    answer = SoftAuthenticator(ORIGIN, credential_id=officer_key.credential_id).get(options)
    assert client.post("/login/passkey", json={"credential": answer}).status_code == 400
    assert len(actions("passkey.login_failed")) == 1


def test_a_passkey_without_user_verification_is_refused(client, world, officer_key):
    officer_key.flags = 0x01  # present, but no fingerprint, face or PIN
    assert passkey_login(client, officer_key).status_code == 400
    assert devices_of(world.officer, "passkey") == []


def test_passkey_steps_need_the_pages_csrf_token(client, world, officer_key, csrf_enabled):
    assert client.post("/login/passkey/options").status_code == 400
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    options = client.post("/login/passkey/options", headers={"X-CSRFToken": token})
    assert options.status_code == 200
    answer = officer_key.get(options.get_json())
    assert client.post("/login/passkey", json={"credential": answer}).status_code == 400
    response = client.post(
        "/login/passkey", json={"credential": answer}, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 200


def test_an_unknown_passkey_is_refused_and_audited(client, world):
    response = passkey_login(client, SoftAuthenticator(ORIGIN))
    assert response.status_code == 400
    [failure] = actions("passkey.login_failed")
    assert (failure.association_id, failure.details["reason"]) == (None, "unknown credential")


def test_a_deactivated_officer_cannot_log_in_with_a_passkey(client, world, officer_key):
    world.officer.active = False
    db.session.commit()
    assert passkey_login(client, officer_key).status_code == 400


def test_passkey_login_is_rate_limited(client, world):
    limiter.enabled = True
    statuses = [client.post("/login/passkey/options").status_code for _ in range(11)]
    assert statuses[:10] == [200] * 10
    assert statuses[-1] == 429


# Removing one's own passkey


def test_officer_removes_a_passkey_after_confirming(world, as_member, officer_key):
    client = as_member(world.officer)
    passkey = db.session.scalars(select(Passkey)).one()
    page = client.get(f"/me/passkeys/{passkey.id}/remove")
    assert "よろしいですか" in page.get_data(as_text=True)
    assert db.session.get(Passkey, passkey.id) is not None
    response = client.post(f"/me/passkeys/{passkey.id}/remove")
    assert response.status_code == 302
    assert db.session.scalars(select(Passkey)).all() == []
    assert [e.details["name"] for e in actions("passkey.remove")] == ["わたしのスマートフォン"]


def test_the_last_passkey_stays_where_one_is_required(app, world, officer_key, admin_key):
    set_policy(world, "passkey")
    client = app.test_client()
    login_with_passkey_device(client, world.officer)
    passkey = db.session.scalars(select(Passkey).where(Passkey.member_id == world.officer.id)).one()
    client.post(f"/me/passkeys/{passkey.id}/remove")
    assert db.session.get(Passkey, passkey.id) is not None
    assert actions("passkey.remove") == []


def test_the_last_passkey_stays_without_a_password(world, as_member, officer_key):
    world.officer.password_hash = None
    db.session.commit()
    passkey = db.session.scalars(select(Passkey)).one()
    as_member(world.officer).post(f"/me/passkeys/{passkey.id}/remove")
    assert db.session.get(Passkey, passkey.id) is not None


def test_another_members_passkey_cannot_be_removed_as_ones_own(world, as_member, admin_key):
    passkey = db.session.scalars(select(Passkey)).one()
    client = as_member(world.officer)
    assert client.post(f"/me/passkeys/{passkey.id}/remove").status_code == 404
    assert db.session.get(Passkey, passkey.id) is not None


# Recovery through another admin


def test_an_admin_removes_a_lost_passkey_and_the_officer_registers_anew(
    app, world, as_member, officer_key, admin_key
):
    set_policy(world, "passkey")
    admin = app.test_client()
    login_with_passkey_device(admin, world.admin)
    assert "わたしのスマートフォン" in admin.get(
        f"/admin/members/{world.officer.id}/passkeys"
    ).get_data(as_text=True)
    response = admin.post(f"/admin/members/{world.officer.id}/passkeys/remove")
    assert response.status_code == 302
    assert (
        db.session.scalars(select(Passkey).where(Passkey.member_id == world.officer.id)).all() == []
    )
    [event] = actions("passkey.recover")
    assert (event.actor_id, event.target_id) == (world.admin.id, world.officer.id)
    assert event.details["removed"] == ["わたしのスマートフォン"]

    # The officer logs in with the password, may only register, then logs in with the new key.
    officer = app.test_client()
    assert password_login(officer).status_code == 302
    assert officer.get("/notices/").headers["Location"] == "/me/passkeys"
    new_key = SoftAuthenticator(ORIGIN)
    response = register(officer, new_key, name="新しいスマートフォン")
    assert response.get_json()["redirect"] == "/login"
    assert officer.get("/me/passkeys").status_code == 302  # logged out
    assert passkey_login(officer, new_key).status_code == 200
    assert officer.get("/notices/").status_code == 200


def test_an_admin_cannot_recover_their_own_passkeys(world, as_member, admin_key):
    client = as_member(world.admin)
    assert client.post(f"/admin/members/{world.admin.id}/passkeys/remove").status_code == 403
    assert len(db.session.scalars(select(Passkey)).all()) == 1


def test_an_officer_cannot_remove_another_officers_passkeys(world, as_member, admin_key):
    client = as_member(world.officer)
    assert client.post(f"/admin/members/{world.admin.id}/passkeys/remove").status_code == 403
    assert len(db.session.scalars(select(Passkey)).all()) == 1
    assert actions("passkey.recover") == []


# The association's policy


def test_requiring_passkeys_needs_the_admins_own_passkey(world, as_member):
    with pytest.raises(PasskeyError):
        set_passkey_policy(world.association, "passkey", by=world.admin)
    response = as_member(world.admin).post("/admin/passkey-policy", data={"policy": "both"})
    assert response.status_code == 422
    assert "まずご自分のパスキーを登録してください" in response.get_data(as_text=True)
    db.session.refresh(world.association)
    assert world.association.passkey_policy == "any"


def test_an_admin_with_a_passkey_requires_them(world, as_member, admin_key):
    client = as_member(world.admin)
    page = client.get("/admin/passkey-policy").get_data(as_text=True)
    assert world.officer.name in page  # still without a passkey
    response = client.post("/admin/passkey-policy", data={"policy": "passkey"})
    assert response.status_code == 302
    db.session.refresh(world.association)
    assert world.association.passkey_policy == "passkey"
    [event] = actions("association.passkey_policy")
    assert (event.details["old"], event.details["new"]) == ("any", "passkey")


def test_only_admins_set_the_policy(world, as_member, officer_key):
    with pytest.raises(PasskeyError):
        set_passkey_policy(world.association, "passkey", by=world.officer)


def test_by_default_a_password_alone_logs_an_officer_in(client, world, officer_key):
    assert password_login(client).status_code == 302
    assert client.get("/notices/").status_code == 200


def test_required_passkey_refuses_a_password_alone(client, world, officer_key, admin_key):
    set_policy(world, "passkey")
    response = password_login(client)
    assert response.status_code == 400
    assert "「パスキーでログイン」を押してください" in response.get_data(as_text=True)
    assert devices_of(world.officer, "password") == []
    assert passkey_login(client, officer_key).status_code == 200
    assert client.get("/notices/").status_code == 200


def test_required_passkey_leaves_members_alone(client, world, admin_key):
    set_policy(world, "passkey")
    login(client, world.member)
    assert client.get("/notices/").status_code == 200


def test_required_passkey_lets_an_officer_without_one_only_register(client, world, admin_key):
    set_policy(world, "passkey")
    assert password_login(client).status_code == 302
    assert client.get("/notices/").headers["Location"] == "/me/passkeys"
    assert client.get("/api/v1/me").status_code == 403
    assert "先にパスキーを登録してください" in client.get("/me/passkeys").get_data(as_text=True)


def test_required_passkey_logs_out_an_officers_card_login(client, world, officer_key, admin_key):
    set_policy(world, "passkey")
    login(client, world.officer)  # any login that did not use a passkey
    # Not even a second passkey: the card does not stand in for the passkey.
    assert client.post("/me/passkeys/options").headers["Location"] == "/login"
    assert [d.revoked_at is not None for d in devices_of(world.officer, "test")].count(True) == 1
    assert len(db.session.scalars(select(Passkey)).all()) == 2


def test_required_passkey_lets_a_password_login_without_passkey_only_register(
    client, world, admin_key
):
    set_policy(world, "passkey")
    assert password_login(client).status_code == 302
    assert client.get("/admin/").headers["Location"] == "/me/passkeys"
    assert client.post("/me/passkeys/options").status_code == 200


def test_a_card_login_cannot_plant_the_first_passkey_where_one_is_required(
    client, world, admin_key
):
    """Another officer could re-issue this officer's card, log in with it and register a
    passkey of their own: where passkeys are required, the first one needs the password."""
    set_policy(world, "passkey")
    login(client, world.officer)
    assert client.get("/admin/").headers["Location"] == "/me/passkeys"
    page = client.get("/me/passkeys").get_data(as_text=True)
    assert "パスワードでログインしてから" in page
    assert "data-passkey-register" not in page
    assert client.post("/me/passkeys/options").status_code == 403
    assert client.post("/me/passkeys", json={"credential": {}}).status_code == 403
    assert (
        db.session.scalars(select(Passkey).where(Passkey.member_id == world.officer.id)).all() == []
    )


def test_required_passkey_applies_to_sessions_from_before(client, world, officer_key, admin_key):
    assert password_login(client).status_code == 302
    assert client.get("/notices/").status_code == 200
    set_policy(world, "passkey")
    response = client.get("/notices/")
    assert response.headers["Location"] == "/login"
    assert devices_of(world.officer, "password")[0].revoked_at is not None
    assert client.get("/api/v1/me").status_code == 401


def test_the_admin_who_requires_passkeys_logs_in_again_with_theirs(client, world, admin_key):
    login(client, world.admin)
    assert client.post("/admin/passkey-policy", data={"policy": "passkey"}).status_code == 302
    response = client.get("/admin/passkey-policy")
    assert response.headers["Location"] == "/login"
    assert passkey_login(client, admin_key).status_code == 200
    assert client.get("/admin/passkey-policy").status_code == 200


def test_password_plus_passkey(client, world, officer_key, admin_key):
    set_policy(world, "both")
    response = password_login(client, next="/notices")
    assert response.headers["Location"] == "/login/passkey/second?next=/notices"
    assert devices_of(world.officer, "password") == []
    assert client.get(response.headers["Location"]).status_code == 200
    options = client.post("/login/passkey/second/options").get_json()
    allowed = [c["id"] for c in options["allowCredentials"]]
    assert allowed == [bytes_to_base64url(officer_key.credential_id)]
    answer = officer_key.get(options)
    response = client.post("/login/passkey/second?next=/notices", json={"credential": answer})
    assert response.get_json()["redirect"] == "/notices"
    assert len(devices_of(world.officer, "password+passkey")) == 1
    assert client.get("/notices/").status_code == 200


def test_password_plus_passkey_refuses_a_passkey_alone(client, world, officer_key, admin_key):
    set_policy(world, "both")
    response = passkey_login(client, officer_key)
    assert response.status_code == 403
    assert "パスワードとパスキーの両方" in response.get_json()["message"]
    assert devices_of(world.officer, "passkey") == []


def test_password_plus_passkey_refuses_another_members_passkey(
    client, world, officer_key, admin_key
):
    set_policy(world, "both")
    password_login(client)
    response = passkey_login(client, admin_key, url="/login/passkey/second")
    assert response.status_code == 400
    assert devices_of(world.officer, "password+passkey") == []
    assert devices_of(world.admin, "password+passkey") == []


def test_the_second_step_needs_the_password_first(client, world, officer_key, admin_key):
    set_policy(world, "both")
    assert client.post("/login/passkey/second/options").status_code == 403
    assert client.get("/login/passkey/second").status_code == 302


def test_the_operator_recovers_a_sole_admins_passkeys(client, runner, world, admin_key):
    set_policy(world, "passkey")
    assert password_login(client, world.admin.email, "admin-password").status_code == 400
    result = runner.invoke(args=["passkeys", "recover", world.admin.email.upper()])
    assert result.exit_code == 0, result.output
    assert "removed 1 passkey" in result.output
    [event] = actions("passkey.recover")
    assert (event.actor_id, event.target_id) == (None, world.admin.id)
    assert password_login(client, world.admin.email, "admin-password").status_code == 302
    assert client.get("/notices/").headers["Location"] == "/me/passkeys"


def test_failed_passkey_logins_show_in_the_audit_log(client, world, officer_key, as_member):
    passkey_login(client, officer_key, origin="http://evil.example")
    page = as_member(world.admin).get("/admin/audit").get_data(as_text=True)
    assert "パスキーでのログインに失敗" in page


# What the policy's check must not cost or block


def test_the_policy_check_adds_no_statement_to_a_quick_check_in(world, as_member):
    from ..disaster.helpers import client_id, start
    from ..notices.test_query_counts import counted

    event = start(world)
    client = as_member(world.member)
    report = {"status": "safe_home", "client_id": client_id(), "event_id": event.id}
    with counted() as statements:
        response = client.post("/api/v1/disaster/checkins", json=report)
    assert response.status_code == 201
    assert len(statements) == 1, statements  # the one-statement path, no login loaded


def test_an_officer_who_must_register_can_still_report_their_safety(client, world, admin_key):
    from ..disaster.helpers import client_id, start

    event = start(world)
    set_policy(world, "passkey")
    login(client, world.officer)
    assert client.get("/disaster/checkin").headers["Location"] == "/me/passkeys"
    response = client.post(
        "/api/v1/disaster/checkins",
        json={
            "status": "safe_home",
            "client_id": client_id(),
            "member_ids": [world.officer.id],
            "event_id": event.id,
        },
    )
    assert response.status_code == 201


def test_the_operator_names_the_association_when_an_email_is_in_several(runner, world, admin_key):
    twin = make_member(world.outsider_household, name="同じ 名前", email=world.admin.email)
    db.session.commit()

    ambiguous = runner.invoke(args=["passkeys", "recover", world.admin.email])
    assert ambiguous.exit_code != 0
    assert "--association" in ambiguous.output
    assert actions("passkey.recover") == []

    chosen = runner.invoke(
        args=["passkeys", "recover", world.admin.email, "--association", world.association.id]
    )
    assert chosen.exit_code == 0, chosen.output
    [event] = actions("passkey.recover")
    assert event.target_id == world.admin.id != twin.id
