"""Which database errors mean "unavailable" (503), and the language an error page can use."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from jichikai.extensions import db
from jichikai.http import database_unavailable


def test_a_wrong_query_is_not_an_outage(app):
    # SQLite reports a missing table as an OperationalError, as it does a locked database.
    with pytest.raises(DBAPIError) as raised:
        db.session.execute(text("SELECT * FROM no_such_table"))
    db.session.rollback()

    assert not database_unavailable(raised.value)


def test_the_members_language_is_kept_in_the_session(world, as_member):
    world.member.language = "en"
    db.session.commit()
    client = as_member(world.member)

    client.get("/")

    with client.session_transaction() as session:
        assert session["lang"] == "en"


def test_after_logout_the_language_cookie_decides(world, as_member):
    world.member.language = "en"
    db.session.commit()
    client = as_member(world.member)
    client.get("/")
    client.post("/logout")
    client.set_cookie("lang", "ja")

    page = client.get("/login").get_data(as_text=True)

    assert '<html lang="ja"' in page
