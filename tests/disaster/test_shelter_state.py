"""Shelters members can find: nearest first (phone, else home), 開設/満員/閉鎖/まだ分からない
with the headcount against capacity, full ones last, closed ones left out, directions,
capacities."""

from sqlalchemy import select

from jichikai.audit.models import AuditEvent
from jichikai.disaster.models import AssociationShelter, EventShelter
from jichikai.disaster.services import submit_checkin
from jichikai.disaster.shelters import (
    has_explicit_choice,
    mark_shelter,
    nearest_shelters,
    set_chosen_shelters,
    set_shelter_capacity,
    shelter_states,
)
from jichikai.extensions import db

from .helpers import client_id, official_shelters, start

# The fixture's 桜区 sites: 栄和小学校, 埼玉大学, 大久保小学校, 大久保中学校, ...
NEAR_OKUBO_ES = ("35.8718", "139.5984")  # beside 大久保小学校
NEAR_SAITAMA_UNI = ("35.8627", "139.6076")


def _step2(client, event, **extra):
    form = {
        "event_id": event.id,
        "status": "at_shelter",
        "client_id": client_id(),
        "member_ids": [],
        **extra,
    }
    response = client.post("/disaster/checkin", data=form)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _names_in_order(text: str, names: list[str]) -> list[str]:
    return sorted(names, key=text.index)


def _at(world, event, shelter, member=None, headcount=None):
    submit_checkin(
        member or world.member,
        event_id=event.id,
        status="at_shelter",
        shelter_id=shelter.id,
        client_id=client_id(),
        headcount=headcount,
    )


def test_without_the_phones_place_the_list_starts_nearest_to_home(app, world, client, as_member):
    official_shelters()
    world.household.lat, world.household.lon = map(float, NEAR_OKUBO_ES)
    event = start(world)
    as_member(world.member)
    text = _step2(client, event)
    assert "ご自宅から近い順です。" in text
    order = _names_in_order(text, ["大久保小学校", "栄和小学校", "埼玉大学"])
    assert order[0] == "大久保小学校"


def test_the_phones_place_comes_before_home(app, world, client, as_member):
    official_shelters()
    world.household.lat, world.household.lon = map(float, NEAR_OKUBO_ES)
    event = start(world)
    as_member(world.member)
    lat, lon = NEAR_SAITAMA_UNI
    text = _step2(client, event, lat=lat, lon=lon)
    assert "いまいる場所から近い順です。" in text
    assert _names_in_order(text, ["大久保小学校", "栄和小学校", "埼玉大学"])[0] == "埼玉大学"
    assert 'id="locate"' not in text  # already sorted by the phone's place


def test_without_any_place_the_fallback_button_is_offered(app, world, client, as_member):
    official_shelters()
    event = start(world)
    as_member(world.member)
    text = _step2(client, event)
    assert "近い順です" not in text
    assert 'id="locate"' in text and "いまいる場所から近い順に並べる" in text


def test_the_first_step_explains_why_it_asks_for_the_place(app, world, client, as_member):
    start(world)
    as_member(world.member)
    text = client.get("/disaster/checkin").get_data(as_text=True)
    assert "いまいる場所をたずねます。場所は保存しません。" in text
    assert 'name="lat"' in text and "js/checkin.js" in text


def test_states_headcount_and_order(app, world):
    shelters = official_shelters()
    sakaewa, university, okubo = shelters[0], shelters[1], shelters[2]
    event = start(world)
    mark_shelter(event, sakaewa, is_open=True, full=True, capacity=None, by=world.officer)
    mark_shelter(event, university, is_open=True, capacity=40, by=world.officer)
    mark_shelter(event, okubo, is_open=False, capacity=None, by=world.officer)
    _at(world, event, university, headcount=3)
    db.session.commit()

    states = {s.shelter.id: s for s in shelter_states(world.association, event.id)}
    assert states[sakaewa.id].state == "full"
    assert states[university.id].state == "open"
    assert (states[university.id].people, states[university.id].capacity) == (3, 40)
    assert states[okubo.id].state == "closed"
    assert states[shelters[3].id].state == "unknown"

    offered = nearest_shelters(world.association, event.id, "earthquake", None)
    ids = [s.shelter.id for s in offered]
    assert okubo.id not in ids  # closed: not offered
    assert ids[0] == university.id  # open first
    assert ids[-1] == sakaewa.id  # full: last


def test_headcount_counts_each_members_latest_report(app, world):
    shelters = official_shelters()
    event = start(world)
    _at(world, event, shelters[0])
    _at(world, event, shelters[0], member=world.leader)
    _at(world, event, shelters[1])  # the member moved on
    submit_checkin(  # the leader went home
        world.leader, event_id=event.id, status="safe_home", client_id=client_id()
    )
    db.session.commit()
    people = {s.shelter.id: s.people for s in shelter_states(world.association, event.id)}
    assert people[shelters[0].id] == 0
    assert people[shelters[1].id] == 1


def test_headcount_is_the_same_before_and_after_the_choice(app, world):
    """The default list (near the centre) and an explicit choice count alike."""
    shelters = official_shelters()
    event = start(world)
    _at(world, event, shelters[1], headcount=2)
    db.session.commit()
    assert not has_explicit_choice(world.association.id)
    before = {s.shelter.id: s.people for s in shelter_states(world.association, event.id)}
    set_chosen_shelters(world.association, [s.id for s in shelters])
    after = {s.shelter.id: s.people for s in shelter_states(world.association, event.id)}
    assert before[shelters[1].id] == after[shelters[1].id] == 2


def test_a_shelter_at_capacity_counts_as_full(app, world):
    shelters = official_shelters()
    set_chosen_shelters(world.association, [s.id for s in shelters])
    set_shelter_capacity(world.association, shelters[0], 2, by=world.officer)
    event = start(world)
    _at(world, event, shelters[0], headcount=2)
    db.session.commit()
    offered = nearest_shelters(world.association, event.id, "earthquake", None)
    assert offered[-1].shelter.id == shelters[0].id and offered[-1].is_full


def test_members_see_state_headcount_and_a_warning_for_full_ones(app, world, client, as_member):
    shelters = official_shelters()
    event = start(world)
    mark_shelter(event, shelters[0], is_open=True, full=True, capacity=None, by=world.officer)
    mark_shelter(event, shelters[1], is_open=True, capacity=40, by=world.officer)
    mark_shelter(event, shelters[2], is_open=False, capacity=None, by=world.officer)
    _at(world, event, shelters[1], member=world.leader, headcount=2)
    db.session.commit()
    as_member(world.member)
    text = _step2(client, event)
    assert "2人／40人" in text
    assert "満員です。できれば、ほかの避難所へ行ってください。" in text
    assert "大久保小学校" not in text  # closed
    assert text.index("埼玉大学") < text.index("栄和小学校")  # full last
    assert "shelter-unknown" in text and ">まだ分からない<" in text


def test_each_shelter_links_to_the_map_app(app, world, client, as_member):
    shelters = official_shelters()
    event = start(world)
    as_member(world.member)
    text = _step2(client, event)
    school = shelters[0]
    assert (
        "https://www.google.com/maps/dir/?api=1&amp;travelmode=walking"
        f"&amp;destination={school.lat:.6f},{school.lon:.6f}"
    ) in text
    assert "「栄和小学校」への道順（地図アプリ）" in text


def test_officer_marks_a_shelter_full_then_closed(app, world, client, as_member):
    shelters = official_shelters()
    event = start(world)
    as_member(world.officer)
    url = f"/disaster/events/{event.id}/shelters/{shelters[0].id}"
    assert client.post(url, data={"state": "full"}).status_code == 302
    mark = db.session.scalar(select(EventShelter).where(EventShelter.event_id == event.id))
    assert (mark.is_open, mark.full) == (True, True)
    page = client.get(f"/disaster/events/{event.id}").get_data(as_text=True)
    assert '<option value="full" selected>満員</option>' in page
    assert client.post(url, data={"state": "closed"}).status_code == 302
    db.session.refresh(mark)
    assert (mark.is_open, mark.full) == (False, False)


def test_marking_without_a_state_changes_nothing(app, world, client, as_member):
    shelters = official_shelters()
    event = start(world)
    as_member(world.officer)
    url = f"/disaster/events/{event.id}/shelters/{shelters[0].id}"
    response = client.post(url, data={"capacity": "10"}, follow_redirects=True)
    assert "開設・満員・閉鎖から選んでください。" in response.get_data(as_text=True)
    assert db.session.scalar(select(EventShelter.id)) is None


def test_officer_keeps_a_capacity_that_members_see(app, world, client, as_member):
    shelters = official_shelters()
    as_member(world.officer)
    url = f"/disaster/shelters/{shelters[1].id}/capacity"
    assert client.post(url, data={"capacity": "150"}).status_code == 302
    # The default list (near the centre) became the association's choice, with the capacity.
    assert has_explicit_choice(world.association.id)
    row = db.session.scalar(
        select(AssociationShelter).where(AssociationShelter.shelter_id == shelters[1].id)
    )
    assert row.capacity == 150
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "shelters.capacity"))
    event = start(world)
    states = {s.shelter.id: s for s in shelter_states(world.association, event.id)}
    assert states[shelters[1].id].capacity == 150
    # An event's own figure (the dashboard) comes before it.
    mark_shelter(event, shelters[1], is_open=True, capacity=90, by=world.officer)
    states = {s.shelter.id: s for s in shelter_states(world.association, event.id)}
    assert states[shelters[1].id].capacity == 90


def test_a_wrong_capacity_is_refused_with_a_message(app, world, client, as_member):
    shelters = official_shelters()
    set_chosen_shelters(world.association, [shelters[0].id])
    db.session.commit()
    as_member(world.officer)
    url = f"/disaster/shelters/{shelters[0].id}/capacity"
    response = client.post(url, data={"capacity": "-3"}, follow_redirects=True)
    assert "人数は 0 から 100000 までにしてください。" in response.get_data(as_text=True)
    row = db.session.scalar(select(AssociationShelter))
    assert row.capacity is None


def test_capacity_of_a_shelter_not_chosen_is_not_found(app, world, client, as_member):
    shelters = official_shelters()
    set_chosen_shelters(world.association, [shelters[0].id])
    db.session.commit()
    as_member(world.officer)
    response = client.post(f"/disaster/shelters/{shelters[1].id}/capacity", data={"capacity": "5"})
    assert response.status_code == 404


def test_the_shelters_page_lists_capacities(app, world, client, as_member):
    shelters = official_shelters()
    set_chosen_shelters(world.association, [shelters[0].id])
    set_shelter_capacity(world.association, shelters[0], 321, by=world.officer)
    db.session.commit()
    as_member(world.officer)
    text = client.get("/disaster/shelters").get_data(as_text=True)
    assert "受け入れられる人数" in text and 'value="321"' in text


def test_saving_the_choice_again_keeps_the_capacities(app, world):
    shelters = official_shelters()
    set_chosen_shelters(world.association, [shelters[0].id, shelters[1].id])
    set_shelter_capacity(world.association, shelters[0], 250, by=world.officer)
    set_chosen_shelters(world.association, [shelters[0].id, shelters[2].id])
    states = {s.shelter.id: s.capacity for s in shelter_states(world.association, None)}
    assert states[shelters[0].id] == 250
    assert shelters[1].id not in states
