"""The members' shelter map: the association's shelters with their state, Leaflet and the
tiles allowed on this page only, the tile server a setting, directions for each shelter."""

from jichikai.disaster.shelters import mark_shelter
from jichikai.extensions import db

from ..disaster.helpers import official_shelters, start
from .helpers import map_data


def test_the_map_lists_shelters_with_state_and_directions(app, world, client, as_member):
    shelters = official_shelters()
    event = start(world)
    mark_shelter(event, shelters[0], is_open=True, full=True, capacity=None, by=world.officer)
    mark_shelter(event, shelters[2], is_open=False, capacity=None, by=world.officer)
    as_member(world.member)
    response = client.get("/disaster/map")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    data = map_data(text)
    states = {s["name"]: s["state"] for s in data["shelters"]}
    assert states["栄和小学校"] == "full" and states["大久保小学校"] == "closed"
    assert states["埼玉大学"] == "unknown"
    school = next(s for s in data["shelters"] if s["name"] == "栄和小学校")
    assert school["directions"].endswith(f"destination={shelters[0].lat:.6f},{shelters[0].lon:.6f}")
    assert "閉鎖しています。行かないでください。" in text
    assert f"geo:{shelters[1].lat:.6f},{shelters[1].lon:.6f}" in text
    # Closed ones at the end of the list.
    assert text.index("大久保小学校") > text.index("埼玉大学")


def test_leaflet_and_the_tiles_are_allowed_on_the_map_only(app, world, client, as_member):
    start(world)
    as_member(world.member)
    page = client.get("/disaster/map")
    assert "vendor/leaflet/leaflet.js" in page.get_data(as_text=True)
    assert (
        "img-src 'self' data: https://cyberjapandata.gsi.go.jp;"
        in (page.headers["Content-Security-Policy"])
    )
    data = map_data(page.get_data(as_text=True))
    assert data["tiles"] == "https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png"
    assert "地理院タイル" in data["attribution"]

    checkin = client.get("/disaster/checkin")
    assert "leaflet" not in checkin.get_data(as_text=True)
    assert "cyberjapandata" not in checkin.headers["Content-Security-Policy"]


def test_the_tile_server_is_a_setting(app, world, client, as_member):
    saved = app.config["MAP_TILE_URL"]
    app.config["MAP_TILE_URL"] = "http://127.0.0.1:8123/tiles/{z}/{x}/{y}.png"
    try:
        as_member(world.member)
        page = client.get("/disaster/map")
    finally:
        app.config["MAP_TILE_URL"] = saved
    assert "http://127.0.0.1:8123" in page.headers["Content-Security-Policy"]
    assert map_data(page.get_data(as_text=True))["tiles"].startswith("http://127.0.0.1:8123/")


def test_the_map_starts_from_home_and_orders_by_distance(app, world, client, as_member):
    official_shelters()
    world.household.lat, world.household.lon = 35.8718, 139.5984  # beside 大久保小学校
    db.session.commit()
    as_member(world.member)
    text = client.get("/disaster/map").get_data(as_text=True)
    assert map_data(text)["home"] == [35.8718, 139.5984]
    assert "ご自宅から近い順です。" in text
    assert text.index("大久保小学校") < text.index("栄和小学校")


def test_the_map_works_without_an_event(app, world, client, as_member):
    official_shelters()
    as_member(world.member)
    response = client.get("/disaster/map")
    assert response.status_code == 200
    assert {s["state"] for s in map_data(response.get_data(as_text=True))["shelters"]} == {
        "unknown"
    }


def test_check_in_links_to_the_map(app, world, client, as_member):
    official_shelters()
    event = start(world)
    as_member(world.member)
    form = {"event_id": event.id, "status": "at_shelter", "client_id": "map-link-1"}
    text = client.post("/disaster/checkin", data=form).get_data(as_text=True)
    assert 'href="/disaster/map"' in text
