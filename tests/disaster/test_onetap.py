"""One-tap answers from an email or LINE message: /a/<token>/<answer>, no login."""

import re

import pytest
from sqlalchemy import select

from jichikai.audit.models import AuditEvent
from jichikai.disaster.models import CheckIn
from jichikai.disaster.services import end_event, start_event
from jichikai.disaster.shelters import add_own_place, mark_shelter, set_chosen_shelters
from jichikai.extensions import db, limiter
from jichikai.reach import tokens
from jichikai.serving import redact

from ..factories import login
from ..matrix import ROLES
from ..reach.helpers import press_without_referer, tampered
from .helpers import start


def link(member, event, answer="safe_home", channel="email") -> str:
    return f"/a/{tokens.answer_token(member.id, event.id, channel)}/{answer}"


def checkins(member=None) -> list[CheckIn]:
    query = select(CheckIn).order_by(CheckIn.id)
    if member is not None:
        query = query.where(CheckIn.member_id == member.id)
    return list(db.session.scalars(query))


def page(response) -> str:
    return response.get_data(as_text=True)


def after_of(html: str) -> str:
    return re.search(r'name="after" value="(\d+)"', html)[1]


# --- the confirm page ---------------------------------------------------------------------


def test_opening_the_link_shows_one_confirm_button_and_stores_nothing(app, client, world):
    event = start(world)
    response = client.get(link(world.member, event))
    html = page(response)
    assert response.status_code == 200
    assert "佐藤 花子 さんの安否" in html  # whose answer: a household may share one address
    assert "地震がありました" in html
    assert "「無事です・自宅にいます」と知らせます。" in html
    assert html.count('type="submit"') == 1
    assert "佐藤 一郎" not in html  # nothing of anyone else
    for _ in range(3):  # a mail scanner, a preview, the member
        client.get(link(world.member, event))
        client.get(f"/a/{tokens.answer_token(world.member.id, event.id, 'email')}")
    assert checkins() == []


def test_bearer_pages_are_private_and_not_indexed(app, client, world):
    event = start(world)
    for response in (
        client.get(link(world.member, event)),
        client.get(link(world.member, event)[: -len("/safe_home")]),
        client.get(link(world.member, event) + "x"),  # unknown answer: 404
        client.get("/a/forged/safe_home"),
    ):
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert "noindex" in response.headers["X-Robots-Tag"]


def test_confirming_stores_the_answer_with_the_links_channel_once(app, client, world):
    event = start(world)
    url = link(world.member, event, channel="line")
    first = client.post(url, data={"after": "0"})
    assert first.status_code == 303
    assert first.headers["Location"].endswith(url[: -len("/safe_home")])
    again = client.post(url, data={"after": "0"})  # a second tap, a reload
    assert again.status_code == 303

    [row] = checkins()
    assert (row.member_id, row.reporter_id, row.event_id) == (world.member.id,) * 2 + (event.id,)
    assert (row.status, row.channel, row.proxy) == ("safe_home", "line", False)
    audit = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "disaster.checkin_link")
    ).all()
    assert [(a.actor_id, a.details["channel"]) for a in audit] == [(world.member.id, "line")]

    shown = page(client.get(first.headers["Location"]))
    assert "安否を知らせました" in shown
    assert "届いている知らせ：" in shown and "無事・自宅" in shown


def test_the_member_changes_the_answer_on_the_page_and_back(app, client, world):
    event = start(world)
    client.post(link(world.member, event), data={"after": "0"})
    html = page(client.get(link(world.member, event)[: -len("/safe_home")]))
    first = after_of(html)
    client.post(link(world.member, event, "need_help"), data={"after": first})
    client.post(link(world.member, event, "need_help"), data={"after": first})  # resent
    second = str(checkins()[-1].id)
    client.post(link(world.member, event), data={"after": second})  # back to safe

    assert [c.status for c in checkins()] == ["safe_home", "need_help", "safe_home"]
    html = page(client.get(link(world.member, event)[: -len("/safe_home")]))
    assert after_of(html) == str(checkins()[-1].id)


def test_need_help_takes_one_tap_then_the_kind_by_another(app, client, world):
    event = start(world)
    url = link(world.member, event, "need_help")
    html = page(client.get(url))
    assert "どんな助けが必要ですか" in html and 'value="cannot_move"' in html
    client.post(url, data={"after": "0"})
    assert checkins()[-1].help_kind == "other"
    answered = page(client.get(url[: -len("/need_help")]))
    assert 'name="help_kind" value="injury"' in answered  # choose the kind, if they like
    client.post(url, data={"after": after_of(answered), "help_kind": "injury"})
    assert [(c.status, c.help_kind) for c in checkins()] == [
        ("need_help", "other"),
        ("need_help", "injury"),
    ]


def test_elsewhere_offers_the_events_shelters_and_places_by_taps(app, client, world):
    hall = add_own_place(world.association, name="集会所", lat=35.853, lon=139.61)
    school = add_own_place(world.association, name="桜小学校", lat=35.854, lon=139.611)
    closed = add_own_place(world.association, name="閉じた公民館", lat=35.852, lon=139.612)
    set_chosen_shelters(world.association, [hall.id, school.id, closed.id])
    db.session.commit()
    event = start(world)
    mark_shelter(event, school, is_open=True, capacity=None, by=world.officer)
    mark_shelter(event, closed, is_open=False, capacity=None, by=world.officer)
    db.session.commit()
    url = link(world.member, event, "elsewhere")

    html = page(client.get(url))
    assert "集会所" in html and "桜小学校" in html and 'shelter-open">開設<' in html
    assert "閉じた公民館" not in html
    assert 'name="place" value="car"' in html
    assert '<input type="text"' not in html  # taps only
    assert checkins() == []

    client.post(url, data={"after": "0", "shelter_id": str(school.id)})
    client.post(url, data={"after": "0", "place": "relative"})
    rows = checkins()
    assert [(c.status, c.shelter_id, c.place) for c in rows] == [
        ("at_shelter", school.id, ""),
        ("elsewhere", None, "親せき・知りあいの家"),
    ]
    assert {c.channel for c in rows} == {"email"}


def test_elsewhere_without_a_choice_or_with_another_shelter_is_refused(app, client, world):
    hall = add_own_place(world.association, name="集会所", lat=35.853, lon=139.61)
    set_chosen_shelters(world.association, [hall.id])
    elsewhere = add_own_place(world.outsider_association, name="よその集会所", lat=35.0, lon=139.0)
    db.session.commit()
    event = start(world)
    url = link(world.member, event, "elsewhere")
    nothing = client.post(url, data={"after": "0"})
    assert nothing.status_code == 400
    assert "どこにいるかを選んでください。" in page(nothing)
    other = client.post(url, data={"after": "0", "shelter_id": str(elsewhere.id)})
    assert other.status_code == 400
    assert checkins() == []


# --- refused links -------------------------------------------------------------------------


def test_after_the_event_ends_the_link_says_so_and_stores_nothing(app, client, world):
    event = start(world)
    end_event(event, world.officer)
    db.session.commit()
    for response in (
        client.get(link(world.member, event)),
        client.post(link(world.member, event), data={"after": "0"}),
        client.get(link(world.member, event)[: -len("/safe_home")]),
    ):
        assert response.status_code == 410
        assert "この安否確認は終わりました" in page(response)
    # A new event does not revive the old links.
    start_event(world.association, kind="flood", title="大雨", message="", drill=False)
    db.session.commit()
    assert client.post(link(world.member, event), data={"after": "0"}).status_code == 410
    assert checkins() == []


@pytest.mark.parametrize(
    "make",
    [
        lambda w, e: "/a/not-a-token/safe_home",
        lambda w, e: f"/a/{tampered(tokens.answer_token(w.member.id, e.id, 'email'))}/safe_home",
        lambda w, e: f"/a/{tokens.read_token(w.member.id, e.id, 'email')}/safe_home",
        lambda w, e: f"/a/{tokens.answer_token(w.member.id, e.id, 'push')}/safe_home",
        lambda w, e: f"/a/{tokens.answer_token(w.member.id, e.id, 'email')}/at_shelter",
        lambda w, e: f"/a/{tokens.answer_token(w.member.id, e.id + 999, 'email')}/safe_home",
        lambda w, e: f"/a/{tokens.answer_token(w.outsider.id, e.id, 'email')}/safe_home",
        lambda w, e: f"/a/{'x' * 300}/safe_home",
    ],
    ids=[
        "garbage",
        "tampered",
        "read-link",
        "push",
        "unknown-answer",
        "no-event",
        "other-association",
        "too-long",
    ],
)
def test_forged_or_foreign_links_are_not_found(app, client, world, make):
    event = start(world)
    url = make(world, event)
    for response in (client.get(url), client.post(url, data={"after": "0"})):
        assert response.status_code == 404
        assert "このリンクは使えません" in page(response)
        assert "佐藤" not in page(response) and "山田" not in page(response)
    assert checkins() == []


def test_a_departed_member_link_is_not_found(app, client, world):
    event = start(world)
    world.member.active = False
    db.session.commit()
    assert client.get(link(world.member, event)).status_code == 404
    assert client.post(link(world.member, event), data={"after": "0"}).status_code == 404
    assert checkins() == []


def test_each_association_answers_only_in_its_own_event(app, client, world):
    mine = start(world)
    theirs = start_event(
        world.outsider_association, kind="fire", title="火事", message="", drill=True
    )
    db.session.commit()
    client.post(link(world.outsider, theirs), data={"after": "0"})
    [row] = checkins()
    assert (row.association_id, row.event_id) == (world.outsider_association.id, theirs.id)
    # A's member with B's event (a link signed for a pair that never was) is refused.
    assert client.get(link(world.member, theirs)).status_code == 404
    assert client.get(link(world.outsider, mine)).status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_whoever_opens_the_link_answers_only_for_its_member(app, client, world, role):
    event = start(world)
    member = world.by_role(role)
    if member is not None:
        login(client, member)
    html = page(client.get(link(world.member, event)))
    assert "佐藤 花子 さんの安否" in html
    client.post(link(world.member, event), data={"after": "0", "member_ids": world.housemate.id})
    [row] = checkins()
    assert (row.member_id, row.reporter_id, row.channel) == (
        world.member.id,
        world.member.id,
        "email",
    )


# --- CSRF, limits, logs ----------------------------------------------------------------------


def test_csrf_is_checked_without_a_referer_over_https(app, client, world, csrf_enabled):
    event = start(world)
    refused, pressed = press_without_referer(client, link(world.member, event), {"after": "0"})
    assert (refused.status_code, pressed.status_code) == (400, 303)
    assert len(checkins()) == 1


def test_refused_links_are_limited_per_address_and_good_ones_are_not(app, world):
    limiter.enabled = True
    event = start(world)
    phone = app.test_client()
    hall = {"environ_base": {"REMOTE_ADDR": "192.0.2.20"}}
    for _ in range(30):  # a household answering and changing its mind: never limited
        assert phone.get(link(world.member, event), **hall).status_code == 200
    statuses = [phone.get(f"/a/guess{n}/safe_home", **hall).status_code for n in range(11)]
    assert statuses == [404] * 10 + [429]
    assert phone.get(link(world.member, event), **hall).status_code == 429
    elsewhere = {"environ_base": {"REMOTE_ADDR": "192.0.2.21"}}
    assert phone.get(link(world.member, event), **elsewhere).status_code == 200


def test_request_logs_do_not_keep_the_links():
    line = '"GET /a/eyJhIjoxfQ.sig/safe_home HTTP/1.1" "POST /r/eyJiIjoyfQ.sig HTTP/1.1"'
    assert redact(line) == '"GET /a/[link]/safe_home HTTP/1.1" "POST /r/[link] HTTP/1.1"'


# --- what leaders and officers see ------------------------------------------------------------


def test_the_roll_call_and_dashboard_show_how_the_answer_came(app, client, world, as_member):
    event = start(world)
    client.post(link(world.member, event), data={"after": "0"})
    client.post(link(world.housemate, event, "need_help", "line"), data={"after": "0"})
    as_member(world.leader)
    rollcall = page(client.get("/disaster/rollcall"))
    assert "メールで回答" in rollcall and "LINEで回答" in rollcall
    as_member(world.officer)
    board = page(client.get(f"/disaster/events/{event.id}"))
    assert "LINEで回答" in board
    api = client.get(f"/api/v1/disaster/events/{event.id}/rollcall").get_json()
    channels = {
        m["id"]: m["latest"]["channel"]
        for h in api["households"]
        for m in h["members"]
        if m["latest"]
    }
    assert channels == {world.member.id: "email", world.housemate.id: "line"}


def test_the_page_speaks_the_members_language(app, client, world):
    world.member.language = "en"
    db.session.commit()
    event = start(world)
    html = page(client.get(link(world.member, event)))
    assert "How is 佐藤 花子?" in html and "You will tell" in html
    assert "と知らせます" not in html
    client.post(link(world.member, event, "elsewhere"), data={"after": "0", "place": "car"})
    # What is stored is in the association's language, like every stored text.
    assert db.session.scalar(select(CheckIn.place)) == "車の中"
