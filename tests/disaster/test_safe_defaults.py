"""Safe defaults: no implicit 本番, a confirmation page before starting and before ending."""

import re
from html import unescape as html_unescape

import pytest
from sqlalchemy import func, select

from jichikai.disaster.models import DisasterEvent
from jichikai.disaster.services import active_event
from jichikai.extensions import db
from jichikai.push.models import PushDelivery

from .helpers import start

FIELDS = {"kind": "flood", "title": "大雨の訓練", "message": "川に近づかないでください。"}


def _events() -> int:
    return db.session.scalar(select(func.count(DisasterEvent.id)))


def _deliveries() -> int:
    return db.session.scalar(select(func.count(PushDelivery.id)))


def _hidden(html: str) -> dict:
    tags = [tag for tag in re.findall(r"<input[^>]*>", html) if 'type="hidden"' in tag]
    return {
        re.search(r'name="(\w+)"', tag).group(1): re.search(r'value="([^"]*)"', tag).group(1)
        for tag in tags
    }


def _checked(html: str, name: str) -> list[str]:
    tags = re.findall(rf'<input[^>]*name="{name}"[^>]*>', html)
    return [re.search(r'value="([^"]*)"', tag).group(1) for tag in tags if "checked" in tag]


def test_without_a_drill_choice_nothing_starts_and_nothing_typed_is_lost(
    app, world, client, as_member
):
    as_member(world.officer)
    for step in (None, "confirm"):
        data = {**FIELDS, **({"step": step} if step else {})}
        response = client.post("/disaster/events", data=data)
        assert response.status_code == 400
        html = response.get_data(as_text=True)
        assert "訓練か本番かを選んでください。" in html
        assert 'value="大雨の訓練"' in html and "川に近づかないでください。" in html
        assert _checked(html, "kind") == ["flood"] and _checked(html, "drill") == []
    assert _events() == 0 and _deliveries() == 0


def test_the_form_has_no_drill_default(app, world, client, as_member):
    as_member(world.officer)
    html = client.get("/disaster/").get_data(as_text=True)
    assert len(re.findall(r'<input[^>]*name="drill"[^>]*>', html)) == 2
    assert _checked(html, "drill") == []
    assert all("radio" in tag for tag in re.findall(r"<input[^>]*name=\"drill\"[^>]*>", html))


@pytest.mark.parametrize(("choice", "says"), [("drill", "これは「訓練」です。"), ("real", "本番")])
def test_the_confirmation_page_starts_nothing_and_says_what_and_who(
    app, world, client, as_member, choice, says
):
    as_member(world.officer)
    response = client.post("/disaster/events", data={**FIELDS, "drill": choice})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert says in html
    if choice == "real":
        assert "訓練ではありません" in html
    assert "大雨の訓練" in html and "洪水" in html and "川に近づかないでください。" in html
    assert "だれに、どうやって知らせるか" in html
    assert "はじめる" in html and "戻って直す" in html
    assert _hidden(html) == {**FIELDS, "drill": choice}
    assert _events() == 0 and _deliveries() == 0 and active_event(world.association.id) is None


def test_the_confirmation_page_tells_the_plan_summary(app, world, client, as_member):
    as_member(world.officer)
    index = client.get("/disaster/").get_data(as_text=True)
    plan = re.search(r'<p class="card-box">(.*?)</p>', index, re.S).group(1)
    confirm = client.post("/disaster/events", data={**FIELDS, "drill": "drill"})
    assert plan.strip() and plan in confirm.get_data(as_text=True)


def test_the_confirmation_page_keeps_quotes_and_line_breaks(app, world, client, as_member):
    as_member(world.officer)
    message = '「"高台"へ」\n<b>急いで</b> & 落ち着いて'
    html = client.post(
        "/disaster/events", data={**FIELDS, "message": message, "drill": "real"}
    ).get_data(as_text=True)
    assert "<b>急いで" not in html
    fields = {**_hidden(html), "step": "confirm"}
    fields = {k: html_unescape(v) for k, v in fields.items()}
    assert client.post("/disaster/events", data=fields).status_code == 302
    assert active_event(world.association.id).message == message


@pytest.mark.parametrize(("choice", "drill"), [("drill", True), ("real", False)])
def test_confirmed_start_works_for_drill_and_real(app, world, client, as_member, choice, drill):
    as_member(world.officer)
    html = client.post("/disaster/events", data={**FIELDS, "drill": choice}).get_data(as_text=True)
    response = client.post("/disaster/events", data={**_hidden(html), "step": "confirm"})
    assert response.status_code == 302
    event = active_event(world.association.id)
    assert event.drill is drill and event.kind == "flood" and event.title == "大雨の訓練"
    assert event.message == "川に近づかないでください。"
    assert _events() == 1
    assert "災害モードを始めました。" in client.get("/disaster/").get_data(as_text=True)


def test_back_returns_to_the_filled_form_and_starts_nothing(app, world, client, as_member):
    as_member(world.officer)
    response = client.post("/disaster/events", data={**FIELDS, "drill": "real", "step": "back"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'value="大雨の訓練"' in html and "川に近づかないでください。" in html
    assert _checked(html, "drill") == ["real"]
    assert _events() == 0


@pytest.mark.parametrize(
    "tampered",
    [
        {"drill": "maybe"},
        {"drill": ""},
        {"kind": "meteor"},
        {"title": ""},
        {"title": "x" * 201},
        {"message": "x" * 2001},
    ],
)
def test_tampered_hidden_fields_are_validated_again(app, world, client, as_member, tampered):
    as_member(world.officer)
    data = {**FIELDS, "drill": "drill", "step": "confirm", **tampered}
    assert client.post("/disaster/events", data=data).status_code == 400
    assert _events() == 0 and _deliveries() == 0


def test_confirmed_start_needs_the_csrf_token(app, world, client, as_member, csrf_enabled):
    as_member(world.officer)
    data = {**FIELDS, "drill": "real", "step": "confirm"}
    assert client.post("/disaster/events", data=data).status_code == 400
    assert _events() == 0
    html = client.post("/disaster/events", data={**data, "step": "", "csrf_token": _token(client)})
    fields = _hidden(html.get_data(as_text=True))
    assert fields["csrf_token"]
    assert client.post("/disaster/events", data={**fields, "step": "confirm"}).status_code == 302
    assert active_event(world.association.id).drill is False


def _token(client) -> str:
    html = client.get("/disaster/").get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_ending_asks_first_and_only_the_confirmed_post_ends(app, world, client, as_member):
    event = start(world, drill=True)
    as_member(world.officer)
    index = client.get("/disaster/").get_data(as_text=True)
    assert f"/disaster/events/{event.id}/end" in index
    assert f'action="/disaster/events/{event.id}/end"' not in index

    page = client.get(f"/disaster/events/{event.id}/end")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "【訓練】" in html and event.title in html
    assert "報告 0 / 7 人" in html and "まだ安否を知らせていない方：7 人" in html
    assert active_event(world.association.id) is not None

    # A POST that did not come from the confirmation page leads to it and ends nothing.
    unconfirmed = client.post(f"/disaster/events/{event.id}/end")
    assert unconfirmed.status_code == 303
    assert unconfirmed.headers["Location"].endswith(f"/disaster/events/{event.id}/end")
    wrong = client.post(f"/disaster/events/{event.id}/end", data={"confirmed": "no"})
    assert wrong.status_code == 303
    assert active_event(world.association.id) is not None

    ended = client.post(f"/disaster/events/{event.id}/end", data=_hidden(html))
    assert ended.status_code == 302
    assert active_event(world.association.id) is None
    db.session.refresh(event)
    assert event.summary["total"] == 7
    # Once ended, the confirmation page leads to the record.
    after = client.get(f"/disaster/events/{event.id}/end")
    assert after.status_code == 302 and after.headers["Location"].endswith(f"/events/{event.id}")
