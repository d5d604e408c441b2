"""The shelter map in a real browser: tiles from a local tile server, the attribution, the
shelters' states, the member's position; and what it says when the tiles cannot load."""

import pytest

from jichikai.disaster import demo as disaster_demo
from jichikai.disaster.models import Shelter
from jichikai.disaster.shelters import mark_shelter
from jichikai.extensions import db

from ..disaster.helpers import start
from ..maps.tiles import TileServer
from .conftest import axe_problems, screenshot, wait_for
from .test_disaster import NEAR_SAKAEWA_ES, phone
from .test_login_and_app import log_in_by_card

pytestmark = pytest.mark.browser


@pytest.fixture
def tiles(app):
    server = TileServer().start()
    saved = app.config["MAP_TILE_URL"]
    app.config["MAP_TILE_URL"] = server.url
    yield server
    app.config["MAP_TILE_URL"] = saved
    server.stop()


def test_the_map_shows_shelters_on_local_tiles(browser_or_skip, live_server, world, tiles):
    disaster_demo.seed(world.association)
    event = start(world)
    school = db.session.query(Shelter).filter_by(name="栄和小学校").one()
    mark_shelter(event, school, is_open=True, full=True, capacity=None, by=world.officer)
    world.household.lat, world.household.lon = 35.853, 139.61
    db.session.commit()

    context = phone(
        browser_or_skip, live_server, geolocation=NEAR_SAKAEWA_ES, permissions=["geolocation"]
    )
    page = context.new_page()
    log_in_by_card(page, world.member)
    page.goto("/disaster/map")
    page.locator(".leaflet-tile-loaded").first.wait_for()
    assert tiles.requested, "no tile was asked of the local tile server"
    attribution = page.locator(".leaflet-control-attribution a", has_text="地理院タイル")
    assert attribution.get_attribute("href") == ("https://maps.gsi.go.jp/development/ichiran.html")
    shelters = len(page.locator(".shelter-list > li").all())
    # One dot per shelter, one for home and one for where the phone is.
    dots = "document.querySelectorAll('path.leaflet-interactive').length"
    wait_for(page, f"{dots} === {shelters + 2}")
    assert page.locator("#map-offline").is_hidden()
    # A tap on a shelter's dot (the first one: nearest to home) opens its popup.
    page.locator("path.leaflet-interactive").first.dispatch_event("click")
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert popup.get_by_role("link", name="道順（地図アプリ）").count() == 1
    item = page.locator(".shelter-list > li", has_text="栄和小学校")
    assert "満員" in item.inner_text()
    assert axe_problems(page) == []
    screenshot(page, "shelter-map")
    context.close()


def test_the_map_says_when_it_needs_the_network(browser_or_skip, live_server, world, tiles):
    disaster_demo.seed(world.association)
    db.session.commit()
    tiles.broken = True
    context = phone(browser_or_skip, live_server)
    page = context.new_page()
    log_in_by_card(page, world.member)
    page.goto("/disaster/map")
    page.locator("#map-offline").wait_for()
    assert "インターネットにつながっているときだけ" in page.locator("#map-offline").inner_text()
    # The list is there all the same.
    assert "栄和小学校" in page.locator(".shelter-list").inner_text()
    context.close()


def test_without_permission_the_shelters_start_nearest_to_home(browser_or_skip, live_server, world):
    """The phone does not say where it is: one tap on 避難所 still lists them nearest to
    home, and the member may ask again from there."""
    disaster_demo.seed(world.association)
    world.household.lat, world.household.lon = 35.8718, 139.5984  # beside 大久保小学校
    start(world)
    context = phone(browser_or_skip, live_server)  # no geolocation permission
    page = context.new_page()
    log_in_by_card(page, world.member)
    page.get_by_role("button", name="避難所").click()
    page.get_by_text("ご自宅から近い順です。").wait_for()
    first = page.locator(".shelter-buttons button").first
    assert "大久保小学校" in first.inner_text()
    assert page.get_by_role("button", name="いまいる場所から近い順に並べる").is_visible()
    assert axe_problems(page) == []
    screenshot(page, "checkin-shelters-from-home")
    context.close()
