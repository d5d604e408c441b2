"""A household's place: set by an officer on the household page (map or figures), from the
roster's 緯度/経度, or from the address through the geocoder (an emulator here)."""

from sqlalchemy import select

from jichikai.audit.models import AuditEvent
from jichikai.extensions import db
from jichikai.org import roster

from .helpers import map_data


def _location_url(world) -> str:
    return f"/admin/households/{world.household.id}/location"


def _address(world, town="田島一丁目", line="5-3"):
    world.household.town, world.household.address_line = town, line
    db.session.commit()


def test_the_household_page_has_a_map_with_the_tiles_allowed(app, world, client, as_member):
    as_member(world.officer)
    response = client.get(f"/admin/households/{world.household.id}/edit")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "vendor/leaflet/leaflet.js" in text and 'id="map-data"' in text
    assert "https://cyberjapandata.gsi.go.jp" in response.headers["Content-Security-Policy"]
    data = map_data(text)
    assert data["pick"] == "household-location"
    assert (
        '<a href="https://maps.gsi.go.jp/development/ichiran.html">地理院タイル</a>'
        == (data["attribution"])
    )
    # Geocoding is off by default: no button for it.
    assert "住所から場所を調べる" not in text


def test_an_officer_sets_the_place_from_the_map(app, world, client, as_member):
    as_member(world.officer)
    response = client.post(
        _location_url(world), data={"lat": "35.8551", "lon": "139.6123", "action": "save"}
    )
    assert response.status_code == 302
    db.session.refresh(world.household)
    assert world.household.location == (35.8551, 139.6123)
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "household.location"))
    assert audit.actor_id == world.officer.id and audit.details["via"] == "map"


def test_a_place_outside_japan_is_refused_and_the_figures_kept(app, world, client, as_member):
    as_member(world.officer)
    response = client.post(_location_url(world), data={"lat": "48.85", "lon": "2.35"})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "日本の中ではありません" in text
    assert 'value="48.85"' in text  # what was typed is still there
    db.session.refresh(world.household)
    assert world.household.location is None


def test_figures_that_are_not_numbers_are_refused(app, world, client, as_member):
    as_member(world.officer)
    response = client.post(_location_url(world), data={"lat": "北", "lon": "139.6"})
    assert response.status_code == 422
    assert "数字で入れてください" in response.get_data(as_text=True)


def test_only_one_figure_is_refused(app, world, client, as_member):
    as_member(world.officer)
    response = client.post(_location_url(world), data={"lat": "35.85", "lon": ""})
    assert response.status_code == 422
    assert "両方入れてください" in response.get_data(as_text=True)


def test_an_officer_clears_the_place(app, world, client, as_member):
    world.household.lat, world.household.lon = 35.85, 139.61
    db.session.commit()
    as_member(world.officer)
    assert client.post(_location_url(world), data={"action": "clear"}).status_code == 302
    db.session.refresh(world.household)
    assert world.household.location is None


def test_geocoding_off_says_so_and_changes_nothing(app, world, client, as_member):
    _address(world)
    as_member(world.officer)
    response = client.post(_location_url(world), data={"action": "geocode"})
    assert response.status_code == 422
    assert "住所から場所を調べる機能は使えません" in response.get_data(as_text=True)


def test_the_address_finds_the_place(app, world, client, as_member, geocoder):
    _address(world)
    as_member(world.officer)
    page = client.get(f"/admin/households/{world.household.id}/edit").get_data(as_text=True)
    assert "住所から場所を調べる" in page
    assert client.post(_location_url(world), data={"action": "geocode"}).status_code == 302
    db.session.refresh(world.household)
    assert world.household.location == (35.8551, 139.6123)
    [asked] = geocoder.requests
    assert asked["query"]["q"] == "さいたま市桜区田島一丁目5-3"  # the municipality in front
    assert asked["user_agent"] == "jichikai"
    if asked["kind"] == "nominatim":
        assert asked["query"]["countrycodes"] == "jp"


def test_an_address_not_found_changes_nothing(app, world, client, as_member, geocoder):
    _address(world, town="どこにもない町")
    as_member(world.officer)
    response = client.post(_location_url(world), data={"action": "geocode"})
    assert response.status_code == 422
    assert "場所が見つかりませんでした" in response.get_data(as_text=True)
    db.session.refresh(world.household)
    assert world.household.location is None


def test_a_geocoder_that_is_down_is_said_plainly(app, world, client, as_member, geocoder):
    _address(world)
    geocoder.down = True
    as_member(world.officer)
    response = client.post(_location_url(world), data={"action": "geocode"})
    assert response.status_code == 422
    assert "つながりませんでした" in response.get_data(as_text=True)
    db.session.refresh(world.household)
    assert world.household.location is None


def test_a_household_without_an_address_is_not_sent(app, world, client, as_member, geocoder):
    as_member(world.officer)
    response = client.post(_location_url(world), data={"action": "geocode"})
    assert response.status_code == 422
    assert "住所が入っていません" in response.get_data(as_text=True)
    assert geocoder.requests == []


def test_another_associations_household_is_not_found(app, world, client, as_member):
    as_member(world.officer)
    url = f"/admin/households/{world.outsider_household.id}/location"
    assert client.post(url, data={"lat": "35.85", "lon": "139.61"}).status_code == 404


def _roster_plan(world, text):
    return roster.plan(world.association, roster.parse(text), by=world.officer)


def test_the_roster_gives_households_their_place(app, world):
    text = (
        "班,世帯,氏名,緯度,経度\n"
        "1班,佐藤家,佐藤 花子,35.8551,139.6123\n"
        "1班,佐藤家,佐藤 一郎,,\n"  # empty: as above
        "3班,森家,森 一,３５.８６,１３９.６１\n"  # full-width figures
    )
    plan = _roster_plan(world, text)
    assert plan.errors == []
    sato = next(h for b in plan.blocks for h in b.households if h.name == "佐藤家")
    assert sorted(sato.changes) == ["lat", "lon"]
    roster.apply(world.association, plan, by=world.officer)
    db.session.commit()
    db.session.refresh(world.household)
    assert world.household.location == (35.8551, 139.6123)
    mori = next(h for b in plan.blocks for h in b.households if h.name == "森家").created
    assert mori.location == (35.86, 139.61)


def test_roster_places_that_cannot_be_used_are_errors_of_their_line(app, world):
    text = (
        "班,世帯,氏名,lat,lon\n"
        "1班,A家,A,35.85,\n"  # only one figure
        "1班,B家,B,北,139.6\n"  # not a number
        "1班,C家,C,-33.9,151.2\n"  # not in Japan
        "1班,D家,D,35.85,139.61\n"
        "1班,D家,D2,35.90,139.61\n"  # differs from the household's first row
    )
    plan = _roster_plan(world, text)
    lines = [e.line for e in plan.errors]
    assert lines == [2, 3, 4, 6]
    messages = {e.line: e.message for e in plan.errors}
    assert "緯度" in messages[2] and "日本の中ではありません" in messages[4]
    assert "5行目" in messages[6]


def test_the_operator_locates_every_household_with_an_address(app, world, runner, geocoder):
    _address(world)
    world.paper_household.town, world.paper_household.address_line = "どこにもない町", "1"
    world.other_household.lat, world.other_household.lon = 35.85, 139.61  # has its place
    db.session.commit()
    result = runner.invoke(
        args=["roster", "locate", "--association", str(world.association.id), "--delay", "0"]
    )
    assert result.exit_code == 0, result.output
    assert "1 of 2 households located" in result.output
    db.session.refresh(world.household)
    assert world.household.location == (35.8551, 139.6123)
    assert len(geocoder.requests) == 2


def test_locating_without_a_geocoder_says_so(app, world, runner):
    result = runner.invoke(args=["roster", "locate", "--association", str(world.association.id)])
    assert result.exit_code != 0 and "GEOCODER is not set" in result.output
