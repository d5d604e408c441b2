"""The phones' bottom bar and the home page's menu."""

import re

from jichikai.disaster.services import start_event
from jichikai.extensions import db
from jichikai.ui import MAX_TABS, Tab, add_tab

TAB_BAR = re.compile(r'<nav class="tab-bar".*?</nav>', re.S)


def _tabs(html: str) -> list[str]:
    bar = TAB_BAR.search(html)
    assert bar, "no bottom bar"
    return re.findall(r"<span>([^<]+)</span>", bar.group(0))


def _current(html: str) -> list[str]:
    bar = TAB_BAR.search(html).group(0)
    return re.findall(r'aria-current="page">.*?<span>([^<]+)</span>', bar, re.S)


def test_a_member_has_home_circulars_and_settings(client, world, as_member):
    as_member(world.member)
    html = client.get("/").get_data(as_text=True)
    assert _tabs(html) == ["ホーム", "回覧", "設定"]
    assert _current(html) == ["ホーム"]


def test_the_current_tab_follows_the_page(client, world, as_member):
    as_member(world.member)
    assert _current(client.get("/notices/").get_data(as_text=True)) == ["回覧"]
    assert _current(client.get("/me/notifications").get_data(as_text=True)) == ["設定"]


def test_safety_joins_the_bar_while_an_event_runs(client, world, as_member):
    start_event(world.association, kind="earthquake", title="地震", message="", drill=True)
    db.session.commit()
    as_member(world.member)
    html = client.get("/disaster/checkin").get_data(as_text=True)
    assert _tabs(html) == ["ホーム", "安否", "回覧", "設定"]
    assert _current(html) == ["安否"]


def test_the_bar_never_holds_more_than_four(app, client, world, as_member):
    extra = app.extensions["jichikai.tabs"]
    saved = list(extra)
    for n in range(3):
        add_tab(app, lambda member, n=n: Tab(f"追加{n}", f"/extra/{n}", "home", order=20 + n))
    try:
        as_member(world.member)
        tabs = _tabs(client.get("/").get_data(as_text=True))
    finally:
        extra[:] = saved
    assert len(tabs) == MAX_TABS
    assert tabs[0] == "ホーム" and tabs[-1] == "設定"


def test_officers_reach_their_pages_from_the_home_page(client, world, as_member):
    as_member(world.officer)
    html = client.get("/").get_data(as_text=True)
    menu = html.split('<ul class="menu">', 1)[1].split("</ul>", 1)[0]
    assert 'href="/admin/"' in menu and 'href="/notices/manage"' in menu


def test_leaders_reach_their_pages_from_the_home_page(client, world, as_member):
    as_member(world.leader)
    html = client.get("/").get_data(as_text=True)
    menu = html.split('<ul class="menu">', 1)[1].split("</ul>", 1)[0]
    assert 'href="/notices/blocks"' in menu


def test_nobody_logged_in_gets_no_bar(client):
    assert TAB_BAR.search(client.get("/login").get_data(as_text=True)) is None
