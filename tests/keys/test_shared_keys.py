"""Keys every process shares: two machines (two instance folders, one database) agree."""

import threading

import pytest
from py_vapid import Vapid02
from sqlalchemy import select

from jichikai import create_app
from jichikai.auth.services import issue_card, member_for_code
from jichikai.extensions import db
from jichikai.keys.models import ServerKey
from jichikai.keys.services import card_pepper, key_source, line_credentials_key
from jichikai.line import crypto
from jichikai.push.vapid import app_vapid, private_key_b64, public_key_b64

from ..conftest import TEST_CONFIG

# The machines' own settings: no SECRET_KEY, so each makes its own in its instance folder.
MACHINE = {key: value for key, value in TEST_CONFIG.items() if key != "SECRET_KEY"}


@pytest.fixture
def machines(app, tmp_path):
    """machines(**settings): two applications on the test database, each on its own folder."""
    built = []

    def build(**settings):
        pair = [
            create_app(
                {**MACHINE, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]}
                | settings,
                instance_path=str(tmp_path / f"machine{len(built) + n}"),
            )
            for n in (1, 2)
        ]
        built.extend(pair)
        return pair

    yield build
    for machine in built:
        with machine.app_context():
            db.session.remove()
            db.engine.dispose()


def _in(machine, function):
    with machine.app_context():
        try:
            return function()
        finally:
            db.session.commit()
            db.session.remove()


def test_the_machines_secret_keys_differ_but_their_shared_keys_agree(machines):
    one, two = machines()
    assert one.config["SECRET_KEY"] != two.config["SECRET_KEY"]  # each from its own folder
    for get in (card_pepper, line_credentials_key):
        assert _in(one, lambda get=get: get(one)) == _in(two, lambda get=get: get(two))
        assert key_source(one, "CARD_PEPPER") == "database"
    first = _in(one, lambda: public_key_b64(app_vapid(one)))
    assert first == _in(two, lambda: public_key_b64(app_vapid(two)))


def test_a_card_issued_on_one_machine_logs_in_on_the_other(machines, world):
    one, two = machines()

    def issue():
        _card, _token, code = issue_card(db.session.merge(world.member))
        return code

    code = _in(one, issue)
    assert _in(two, lambda: member_for_code(code).id) == world.member.id


def test_line_credentials_sealed_on_one_machine_open_on_the_other(machines):
    one, two = machines()
    sealed = _in(one, lambda: crypto.seal("channel-access-token"))
    assert _in(two, lambda: crypto.unseal(sealed)) == "channel-access-token"


def test_the_first_value_is_the_instance_key_used_before(machines):
    """Login codes hashed, and LINE secrets sealed, with an instance's SECRET_KEY by an older
    version keep working: that key seeds the database's copy."""
    one, two = machines()
    pepper = _in(one, lambda: card_pepper(one))
    assert pepper == one.config["SECRET_KEY"]
    assert _in(two, lambda: card_pepper(two)) == pepper


def test_a_vapid_key_in_an_instance_folder_moves_into_the_database(machines, tmp_path):
    old = Vapid02()
    old.generate_keys()
    folder = tmp_path / "machine1"
    folder.mkdir(mode=0o700)
    (folder / "vapid_private.pem").write_bytes(old.private_pem())
    one, two = machines()
    expected = public_key_b64(old)
    assert _in(one, lambda: public_key_b64(app_vapid(one))) == expected
    assert _in(two, lambda: public_key_b64(app_vapid(two))) == expected
    assert not (tmp_path / "machine2" / "vapid_private.pem").exists()


def test_settings_win_over_the_database(machines):
    key = Vapid02()
    key.generate_keys()
    settings = {
        "PUSH_VAPID_PRIVATE_KEY": private_key_b64(key),
        "CARD_PEPPER": "pepper-from-settings",
        "LINE_CREDENTIALS_KEY": "line-key-from-settings",
    }
    one, two = machines(**settings)
    for machine in (one, two):
        assert _in(machine, lambda m=machine: public_key_b64(app_vapid(m))) == public_key_b64(key)
        assert _in(machine, lambda m=machine: card_pepper(m)) == "pepper-from-settings"
        assert _in(machine, lambda m=machine: line_credentials_key(m)) == "line-key-from-settings"
    assert db.session.scalars(select(ServerKey)).all() == []


def test_a_pem_setting_is_read_and_a_damaged_one_refused(machines):
    from jichikai.push.vapid import VapidError

    key = Vapid02()
    key.generate_keys()
    (one,) = machines(PUSH_VAPID_PRIVATE_KEY=key.private_pem().decode())[:1]
    assert _in(one, lambda: public_key_b64(app_vapid(one))) == public_key_b64(key)
    (bad,) = machines(PUSH_VAPID_PRIVATE_KEY="not-a-key")[:1]
    with pytest.raises(VapidError, match="JICHIKAI_PUSH_VAPID_PRIVATE_KEY"):
        _in(bad, lambda: app_vapid(bad))


def test_a_secret_key_from_the_settings_keys_the_pepper_as_before(machines):
    one, two = machines(SECRET_KEY="shared-secret")
    assert key_source(one, "CARD_PEPPER") == "secret key"
    assert _in(one, lambda: card_pepper(one)) == "shared-secret"
    assert db.session.scalars(select(ServerKey)).all() == []


def test_processes_that_start_together_make_one_key(machines):
    apps = machines() + machines()
    found, barrier = [], threading.Barrier(len(apps))

    def load(machine):
        with machine.app_context():
            barrier.wait()
            found.append(public_key_b64(app_vapid(machine)))
            db.session.remove()

    threads = [threading.Thread(target=load, args=(machine,)) for machine in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(found) == len(apps) and len(set(found)) == 1


def test_the_command_prints_the_setting_that_moves_the_key(machines):
    one, two = machines()
    with one.app_context():
        shown = one.test_cli_runner().invoke(args=["push", "vapid-keys", "--show-private"])
        db.session.remove()
    assert shown.exit_code == 0, shown.output
    assert "source\tdatabase" in shown.output
    line = next(x for x in shown.output.splitlines() if x.startswith("JICHIKAI_PUSH_VAPID_"))
    public = shown.output.split("public key\t")[1].split()[0]

    (configured,) = machines(PUSH_VAPID_PRIVATE_KEY=line.split("=", 1)[1])[:1]
    assert _in(configured, lambda: public_key_b64(app_vapid(configured))) == public
    with configured.app_context():
        rotate = ["push", "vapid-keys", "--rotate", "--yes"]
        again = configured.test_cli_runner().invoke(args=rotate)
        db.session.remove()
    assert again.exit_code == 1 and "change it where it is set" in again.output


def test_an_instance_secret_key_on_a_shared_database_is_named(machines, app):
    from jichikai.keys.services import shared_secret_key_problem

    one, _two = machines()
    problem = shared_secret_key_problem(one)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        assert problem is None  # one machine: its own key is the only one
    else:
        assert "JICHIKAI_SECRET_KEY" in problem
    (configured,) = machines(SECRET_KEY="shared")[:1]
    assert shared_secret_key_problem(configured) is None
