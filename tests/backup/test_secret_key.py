"""`flask secret-key rotate`: what a new secret key voids and what keeps working."""

from dataclasses import dataclass
from pathlib import Path

import flask_migrate
import pytest
from flask import Flask

from jichikai.auth.services import issue_card, member_for_code
from jichikai.extensions import db

from ..factories import make_association
from .helpers import flask_command, instance_app, mode


@dataclass
class Site:
    folder: Path
    old_key: str
    card_token: str
    card_code: str
    cookies: dict[str, str]


def restarted(site: Site, **config) -> Flask:
    """The processes after a restart: a new app on the same instance folder."""
    return instance_app(site.folder, **config)


@pytest.fixture
def site(tmp_path) -> Site:
    """An association whose admin holds a card and is logged in on a phone."""
    folder = tmp_path / "instance"
    app = instance_app(folder)
    with app.app_context():
        flask_migrate.upgrade()
        _association, admin = make_association()
        _card, token, code = issue_card(admin)
        db.session.commit()
        db.session.remove()
    phone = app.test_client()
    assert phone.post(f"/c/{token}").status_code == 302
    cookies = {name: phone.get_cookie(name).value for name in ("session", "remember_token")}
    with app.app_context():
        db.engine.dispose()
    return Site(folder, (folder / "secret_key").read_text(), token, code, cookies)


def logged_in(app: Flask, cookies: dict[str, str]) -> bool:
    phone = app.test_client()
    for name, value in cookies.items():
        phone.set_cookie(name, value)
    return phone.get("/me/settings").status_code == 200


def code_member(app: Flask, code: str):
    with app.app_context():
        found = member_for_code(code)
        db.engine.dispose()
    return found


def test_a_new_key_logs_everyone_out_and_the_cards_log_them_in_again(site):
    app = restarted(site)
    assert logged_in(app, site.cookies)
    result = flask_command(app, "secret-key", "rotate", "--yes")
    assert result.exit_code == 0, result.output
    key = site.folder / "secret_key"
    assert key.read_text() != site.old_key and len(key.read_text()) == 64
    assert mode(key) == 0o600

    app = restarted(site)
    assert not logged_in(app, site.cookies)  # session and remember cookie are void
    assert app.test_client().post(f"/c/{site.card_token}").status_code == 302  # QR links work
    # The codes' pepper was the instance's key; it is kept in the database since the first
    # card, so typed codes outlive the rotation.
    assert code_member(app, site.card_code) is not None


def test_with_the_secret_key_as_pepper_rotation_waits_for_the_card_pepper(site):
    app = restarted(site, SECRET_KEY="from-the-environment")
    with app.app_context():
        flask_migrate.upgrade()
    result = flask_command(app, "secret-key", "rotate", "--yes")
    assert result.exit_code == 1
    assert "JICHIKAI_CARD_PEPPER" in result.output
    assert (site.folder / "secret_key").read_text() == site.old_key


def test_with_the_old_key_as_card_pepper_typed_codes_keep_working(site):
    before = restarted(site, CARD_PEPPER=site.old_key)
    assert code_member(before, site.card_code) is not None
    result = flask_command(before, "secret-key", "rotate", "--yes")
    assert result.exit_code == 0, result.output

    app = restarted(site, CARD_PEPPER=site.old_key)
    assert not logged_in(app, site.cookies)
    assert code_member(app, site.card_code) is not None


def test_a_key_from_the_environment_is_changed_where_it_is_set(site):
    app = restarted(site, SECRET_KEY="from-the-environment", CARD_PEPPER="pepper")
    result = flask_command(app, "secret-key", "rotate", "--yes")
    assert result.exit_code == 1
    assert "set by JICHIKAI_SECRET_KEY" in result.output
    assert (site.folder / "secret_key").read_text() == site.old_key


def test_voiding_the_login_codes_replaces_the_pepper_kept_in_the_database(site):
    result = flask_command(restarted(site), "secret-key", "rotate", "--yes", "--void-login-codes")
    assert result.exit_code == 0, result.output
    assert "card pepper\treplaced" in result.output
    app = restarted(site)
    assert code_member(app, site.card_code) is None  # hashed with the replaced pepper
    assert app.test_client().post(f"/c/{site.card_token}").status_code == 302  # QR links work
