"""Nothing tells which login emails exist: not the password login's work, not another
association's "already in use"."""

import io

import pytest
from flask import current_app
from sqlalchemy import select

from jichikai.auth import services
from jichikai.auth.services import member_for_password, set_password
from jichikai.extensions import db
from jichikai.org.models import Member
from jichikai.org.services import assign_role

A_EMAIL = "officer@example.jp"  # world.officer's, in association A


@pytest.fixture
def hash_checks(monkeypatch) -> list[str]:
    """The method of every password hash checked (the real check runs)."""
    checked: list[str] = []
    real = services.check_password_hash

    def counting(pwhash: str, password: str) -> bool:
        checked.append(pwhash.split("$", 1)[0])
        return real(pwhash, password)

    monkeypatch.setattr(services, "check_password_hash", counting)
    return checked


def _outsider_admin(world) -> Member:
    return db.session.scalars(
        select(Member).where(
            Member.association_id == world.outsider_association.id, Member.email.is_not(None)
        )
    ).one()


def _work(hash_checks: list[str], email: str, password: str) -> list[str]:
    hash_checks.clear()
    member_for_password(email, password)
    return list(hash_checks)


def test_every_password_login_checks_the_same_hashes(app, world, hash_checks):
    world.member.email = "no-password@example.jp"
    world.housemate.email = "gone@example.jp"
    set_password(world.housemate, "housemate-password")
    world.housemate.active = False
    db.session.commit()
    method = current_app.config["PASSWORD_HASH_METHOD"]
    expected = [method] * current_app.config["PASSWORD_LOGIN_CHECKS"]

    assert _work(hash_checks, "nobody@example.jp", "officer-password") == expected
    assert _work(hash_checks, A_EMAIL, "wrong") == expected
    assert _work(hash_checks, A_EMAIL, "officer-password") == expected
    assert _work(hash_checks, "no-password@example.jp", "x") == expected
    assert _work(hash_checks, "gone@example.jp", "housemate-password") == expected


def test_an_admin_of_another_association_may_use_the_same_email(client, world, as_member):
    outsider_admin = _outsider_admin(world)
    as_member(outsider_admin)
    used, unused = (
        client.post(
            f"/admin/members/{world.outsider.id}/edit",
            data={"household_id": world.outsider_household.id, "name": "山田 茂", "email": email},
        )
        for email in (A_EMAIL, "unused@example.jp")
    )
    assert (used.status_code, used.headers["Location"]) == (
        unused.status_code,
        unused.headers["Location"],
    )
    assert used.status_code == 302
    assert world.outsider.email == "unused@example.jp"

    new = client.post(
        "/admin/members/new",
        data={"household_id": world.outsider_household.id, "name": "山田 次郎", "email": A_EMAIL},
    )
    assert new.status_code == 302


def test_a_roster_in_another_association_may_use_the_same_email(client, world, as_member):
    as_member(_outsider_admin(world))
    response = client.post(
        "/admin/roster",
        data={
            "file": (
                io.BytesIO(f"班,世帯,氏名,メール\n1班,山田家,山田 茂,{A_EMAIL}\n".encode()),
                "r.csv",
            )
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302


def test_an_email_in_two_associations_logs_into_the_one_whose_password_matches(
    app, world, hash_checks
):
    world.outsider.email = A_EMAIL
    set_password(world.outsider, "outsider-password")
    assign_role(world.outsider, "officer", by=None)
    db.session.commit()
    method = current_app.config["PASSWORD_HASH_METHOD"]

    assert member_for_password(A_EMAIL, "officer-password") is world.officer
    assert member_for_password(A_EMAIL, "outsider-password") is world.outsider
    assert member_for_password(A_EMAIL, "wrong") is None
    # As much work as for an address held in one association only, or in none.
    expected = [method] * current_app.config["PASSWORD_LOGIN_CHECKS"]
    assert _work(hash_checks, A_EMAIL, "outsider-password") == expected
    assert _work(hash_checks, "nobody@example.jp", "outsider-password") == expected


def test_an_email_stays_unique_within_an_association(client, world, as_member):
    as_member(world.admin)
    response = client.post(
        f"/admin/members/{world.member.id}/edit",
        data={"household_id": world.household.id, "name": "佐藤 花子", "email": A_EMAIL},
    )
    assert response.status_code == 422
    assert "ほかの人が使っています" in response.get_data(as_text=True)
