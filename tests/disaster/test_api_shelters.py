"""The nearby-shelters API says what the check-in page shows: states, headcounts, full ones
last, closed ones left out, nearest to the phone or else to the household's home."""

from jichikai.disaster.shelters import mark_shelter
from jichikai.extensions import db

from .helpers import official_shelters, start


def test_without_a_place_the_api_orders_from_home(app, world, client, as_member):
    official_shelters()
    world.household.lat, world.household.lon = 35.8718, 139.5984  # beside 大久保小学校
    db.session.commit()
    as_member(world.member)
    data = client.get("/api/v1/shelters/nearby").get_json()
    assert data["origin"] == "home"
    assert data["shelters"][0]["name"] == "大久保小学校"


def test_without_any_place_there_are_no_distances(app, world, client, as_member):
    official_shelters()
    as_member(world.member)
    data = client.get("/api/v1/shelters/nearby").get_json()
    assert data["origin"] == ""
    assert {s["distance_m"] for s in data["shelters"]} == {None}


def test_the_api_gives_states_and_puts_full_ones_last(app, world, client, as_member):
    shelters = official_shelters()
    event = start(world)
    mark_shelter(event, shelters[1], is_open=True, full=True, capacity=50, by=world.officer)
    mark_shelter(event, shelters[0], is_open=False, capacity=None, by=world.officer)
    db.session.commit()
    as_member(world.member)
    data = client.get("/api/v1/shelters/nearby?lat=35.8627&lon=139.6076").get_json()
    assert data["origin"] == "here"
    names = [s["name"] for s in data["shelters"]]
    assert "栄和小学校" not in names  # closed
    last = data["shelters"][-1]
    assert (last["name"], last["state"], last["is_full"]) == ("埼玉大学", "full", True)
    assert last["capacity"] == 50 and last["people"] == 0
    assert last["directions_url"].startswith("https://www.google.com/maps/dir/?api=1")
    assert data["shelters"][0]["state"] == "unknown"


def test_only_one_coordinate_is_like_none(app, world, client, as_member):
    official_shelters()
    as_member(world.member)
    data = client.get("/api/v1/shelters/nearby?lat=35.86").get_json()
    assert data["origin"] == ""
