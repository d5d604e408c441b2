"""No status is ever chosen for anyone by default, a missing one is refused with a message,
and after a report the home page and the banner say what was reported and for whom."""

import re

from sqlalchemy import func, select

from jichikai.disaster.models import CheckIn
from jichikai.disaster.services import submit_checkin
from jichikai.disaster.shelters import add_own_place
from jichikai.extensions import db
from jichikai.reach import tokens

from .helpers import client_id, start


def preselected_statuses(html: str) -> list[str]:
    """Every status a form of the page would send without a tap."""
    chosen = []
    for select_tag in re.findall(r'<select[^>]*name="status"[^>]*>.*?</select>', html, re.S):
        for option in re.findall(r"<option[^>]*>", select_tag):
            value = re.search(r'value="([^"]*)"', option)
            if "selected" in option and value and value.group(1) and "disabled" not in option:
                chosen.append(value.group(1))
    for tag in re.findall(r'<input[^>]*name="status"[^>]*>', html):
        value = re.search(r'value="([^"]*)"', tag)
        if value and value.group(1) and ("checked" in tag or 'type="hidden"' in tag):
            chosen.append(value.group(1))
    return chosen


def _checkins() -> int:
    return db.session.scalar(select(func.count(CheckIn.id)))


def test_the_members_check_in_page_chooses_no_status(app, world, client, as_member):
    start(world)
    as_member(world.member)
    html = client.get("/disaster/checkin").get_data(as_text=True)
    assert 'name="status"' in html
    assert preselected_statuses(html) == []


def test_the_leaders_roll_call_chooses_no_status(app, world, client, as_member):
    start(world)
    as_member(world.leader)
    html = client.get("/disaster/rollcall").get_data(as_text=True)
    assert html.count('name="status"') >= 3  # one form per household, paper ones included
    assert preselected_statuses(html) == []


def test_the_one_tap_page_chooses_no_status(app, world, client):
    event = start(world)
    token = tokens.answer_token(world.member.id, event.id, "email")
    html = client.get(f"/a/{token}").get_data(as_text=True)
    assert preselected_statuses(html) == []


def test_a_proxy_report_without_a_status_is_refused_with_a_message(app, world, client, as_member):
    event = start(world)
    as_member(world.leader)
    response = client.post(
        "/disaster/rollcall/report",
        data={"event_id": event.id, "member_ids": [world.member.id], "client_id": client_id()},
        follow_redirects=True,
    )
    assert "状態を選んでください。" in response.get_data(as_text=True)
    assert _checkins() == 0


def test_a_check_in_without_a_status_is_refused_with_a_message(app, world, client, as_member):
    event = start(world)
    as_member(world.member)
    response = client.post(
        "/disaster/checkin", data={"event_id": event.id, "client_id": client_id()}
    )
    assert response.status_code == 400
    assert "状態を選んでください。" in response.get_data(as_text=True)
    api = client.post(
        "/api/v1/disaster/checkins", json={"event_id": event.id, "client_id": client_id()}
    )
    assert api.status_code == 422 and "status" in api.get_json()["errors"]["json"]
    assert _checkins() == 0


def test_home_says_which_shelter_was_reported_and_the_banner_stops_asking(
    app, world, client, as_member
):
    event = start(world)
    hall = add_own_place(world.association, name="ひがし公民館", lat=35.86, lon=139.65)
    db.session.commit()
    as_member(world.member)
    before = client.get("/me/settings").get_data(as_text=True)
    assert "安否を知らせる" in before
    submit_checkin(
        world.member,
        event_id=event.id,
        status="at_shelter",
        shelter_id=hall.id,
        client_id=client_id(),
        member_ids=[world.member.id, world.housemate.id],
    )
    db.session.commit()
    home = client.get("/").get_data(as_text=True)
    reported = re.search(r"<ul[^>]*data-reported>(.*?)</ul>", home, re.S).group(1)
    assert "佐藤 花子：" in reported and "佐藤 一郎：" in reported
    assert reported.count("ひがし公民館") == 2
    assert "様子が変わったときは" in home
    settings = client.get("/me/settings").get_data(as_text=True)
    assert "安否を知らせる" not in settings
    assert re.search(r"知らせてあります：\s*避難所 ひがし公民館", settings)


def test_home_names_the_leader_who_reported_for_the_member(app, world, client, as_member):
    event = start(world)
    submit_checkin(
        world.leader,
        event_id=event.id,
        status="elsewhere",
        place="親せきの家",
        client_id=client_id(),
        member_ids=[world.member.id],
    )
    db.session.commit()
    as_member(world.member)
    home = client.get("/").get_data(as_text=True)
    reported = re.search(r"<ul[^>]*data-reported>(.*?)</ul>", home, re.S).group(1)
    assert "別の場所 親せきの家" in reported
    assert "高橋 健太 さんが代わりに知らせました" in reported
    assert "佐藤 一郎" not in reported  # the housemate has not been reported
