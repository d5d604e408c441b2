"""Text with NUL characters is refused with 400 wherever it comes from (PostgreSQL refuses it)."""

import pytest
from sqlalchemy import select
from werkzeug.exceptions import BadRequest

from jichikai.auth.models import Device
from jichikai.auth.services import issue_card
from jichikai.extensions import db
from jichikai.http import refuse_nul_characters
from jichikai.notices.models import Notice

from ..factories import login


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"path": "/api/v1/notices", "json": {"title": "回覧\x00", "body": ""}},
        {"path": "/notices/new", "data": {"title": "回覧\x00", "body": "本文"}},
        {"path": "/notices/new?from=\x00", "data": {"title": "回覧", "body": "本文"}},
    ],
    ids=["json", "form", "query"],
)
def test_text_with_nul_is_refused_and_nothing_is_stored(client, world, request_kwargs):
    login(client, world.officer)

    response = client.post(**request_kwargs)

    assert response.status_code == 400
    assert db.session.scalars(select(Notice)).all() == []


def test_a_header_with_nul_is_refused_before_a_login_stores_it(client, world):
    _card, token, _code = issue_card(world.member)
    db.session.commit()

    response = client.post(f"/c/{token}", headers={"User-Agent": "Mozilla\x00"})

    assert response.status_code == 400
    assert db.session.scalars(select(Device)).all() == []


def test_text_without_nul_still_passes(client, world):
    login(client, world.officer)
    response = client.post("/api/v1/notices", json={"title": "回覧", "body": "a\tb"})
    assert response.status_code == 201


def test_nul_deep_inside_json_is_found(app):
    body = {"members": [{"note": ["ok", "\x00"]}]}
    with app.test_request_context("/api/v1/disaster/checkins", method="POST", json=body):
        with pytest.raises(BadRequest):
            refuse_nul_characters()
