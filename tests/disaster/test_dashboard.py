"""The officers' dashboard: totals, blocks, shelters, lists, curve, CSV export, shelter marks."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from jichikai.audit.models import AuditEvent
from jichikai.disaster.models import CheckIn
from jichikai.disaster.services import dashboard, end_event, submit_checkin
from jichikai.disaster.shelters import mark_shelter, nearest_shelters
from jichikai.extensions import db
from jichikai.numbers import percent

from .helpers import client_id, official_shelters, start


def test_totals_blocks_shelters_and_lists(app, world):
    shelters = official_shelters()
    event = start(world)
    submit_checkin(
        world.member,
        event_id=event.id,
        status="at_shelter",
        shelter_id=shelters[0].id,
        member_ids=[world.member.id, world.housemate.id],
        headcount=3,
        client_id=client_id(),
    )
    submit_checkin(
        world.leader,
        event_id=event.id,
        status="need_help",
        help_kind="supplies",
        client_id=client_id(),
    )
    board = dashboard(event)
    assert board.total == 7
    assert board.reported == 3
    assert board.by_status["at_shelter"] == 2 and board.by_status["need_help"] == 1
    first_block = next(b for b in board.blocks if b.block.id == world.block.id)
    assert (first_block.reported, first_block.total) == (3, 4)
    people = {s.shelter.id: s.people for s in board.shelters}
    assert people[shelters[0].id] == 3
    assert [m.member.id for m in board.need_help] == [world.leader.id]
    assert world.outsider.id not in [m.id for m, _h, _b in board.unreported]


def test_response_curve(app, world):
    event = start(world)
    submit_checkin(world.member, event_id=event.id, status="safe_home", client_id=client_id())
    submit_checkin(world.leader, event_id=event.id, status="safe_home", client_id=client_id())
    db.session.execute(
        update(CheckIn)
        .where(CheckIn.member_id == world.leader.id)
        .values(created_at=event.started_at + timedelta(minutes=45))
    )
    curve = dict(dashboard(event, event.started_at + timedelta(hours=2)).curve)
    assert curve[10] == curve[30] == 1 / 7
    assert curve[60] == curve[90] == 2 / 7


def test_the_curve_fills_only_the_times_that_have_passed(app, world, client, as_member):
    event = start(world)
    submit_checkin(world.member, event_id=event.id, status="safe_home", client_id=client_id())
    curve = dashboard(event, event.started_at + timedelta(minutes=35)).curve
    assert curve == [(10, 1 / 7), (30, 1 / 7), (60, None), (90, None)]
    event.started_at -= timedelta(minutes=35)
    db.session.execute(update(CheckIn).values(created_at=event.started_at + timedelta(minutes=5)))
    db.session.commit()
    as_member(world.officer)
    html = client.get(f"/disaster/events/{event.id}").get_data(as_text=True)
    chart = re.search(r"<svg[^>]*data-curve-chart.*?</svg>", html, re.S).group(0)
    assert 'aria-hidden="true"' in chart
    assert chart.count('data-passed="1"') == 2 and chart.count('data-passed="0"') == 2
    table = re.search(r'<table class="visually-hidden">.*?</table>', html, re.S).group(0)
    assert table.count("14%") == 2 and table.count("まだ") == 2


def test_an_ended_events_summary_keeps_unpassed_times_empty(app, world):
    event = start(world)
    submit_checkin(world.member, event_id=event.id, status="safe_home", client_id=client_id())
    end_event(event, world.officer)
    assert [share for _m, share in event.summary["curve"]] == [None, None, None, None]


@pytest.mark.parametrize(
    ("part", "whole", "shown"), [(1, 8, 13), (1, 7, 14), (1, 200, 1), (1, 201, 0), (5, 8, 63)]
)
def test_one_rounding_for_every_percentage(part, whole, shown):
    assert percent(part, whole) == shown
    assert percent(part / whole, 1) == shown


def test_the_total_and_the_blocks_round_the_same_way(app, world, client, as_member):
    event = start(world)
    for member in (world.member, world.housemate, world.leader):
        submit_checkin(member, event_id=event.id, status="safe_home", client_id=client_id())
    db.session.commit()
    as_member(world.officer)
    html = client.get(f"/disaster/events/{event.id}").get_data(as_text=True)
    assert "（43%）" in html  # 3 of 7 = 42.86%
    assert "75%</progress>" in html  # 3 of 4 in 1班


def test_closed_shelters_are_not_offered_and_capacity_shows(app, world, client, as_member):
    shelters = official_shelters()
    event = start(world)
    mark_shelter(event, shelters[0], is_open=False, capacity=None, by=world.officer)
    db.session.commit()
    offered = [
        s.shelter.id for s in nearest_shelters(world.association, event.id, "earthquake", None)
    ]
    assert shelters[0].id not in offered and shelters[1].id in offered
    as_member(world.officer)
    response = client.post(
        f"/disaster/events/{event.id}/shelters/{shelters[1].id}",
        data={"state": "open", "capacity": "120"},
    )
    assert response.status_code == 302
    board = dashboard(event)
    assert next(s for s in board.shelters if s.shelter.id == shelters[1].id).capacity == 120


def test_hazard_filters_emergency_sites(app, world):
    from jichikai.disaster.shelters import import_shelters, set_chosen_shelters

    from .helpers import fixture_bytes

    import_shelters(fixture_bytes("da_emergency_sites.csv"))
    from jichikai.disaster.models import Shelter

    ids = db.session.scalars(select(Shelter.id)).all()
    set_chosen_shelters(world.association, ids)
    fire = [s.shelter.name for s in nearest_shelters(world.association, None, "fire", None)]
    assert sorted(fire) == ["田島小学校", "秋ヶ瀬公園"]


def test_csv_export_is_audit_logged(app, world, client, as_member):
    event = start(world)
    submit_checkin(world.member, event_id=event.id, status="safe_home", client_id=client_id())
    db.session.commit()
    as_member(world.officer)
    response = client.get(f"/disaster/events/{event.id}/export.csv")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff班,世帯,名前,電話")
    assert "佐藤 花子" in text and ",まだ," in text and "山田 茂" not in text
    logged = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "disaster.export")
    ).one()
    assert logged.actor_id == world.officer.id


def test_csv_export_keeps_members_text_from_running_as_formulas(app, world, client, as_member):
    event = start(world)
    submit_checkin(
        world.member,
        event_id=event.id,
        status="elsewhere",
        place="=HYPERLINK(1)",
        client_id=client_id(),
    )
    db.session.commit()
    as_member(world.officer)
    text = client.get(f"/disaster/events/{event.id}/export.csv").get_data(as_text=True)
    assert "'=HYPERLINK(1)" in text
    assert ",=HYPERLINK" not in text


def test_dashboard_page(app, world, client, as_member):
    official_shelters()
    event = start(world)
    as_member(world.officer)
    page = client.get(f"/disaster/events/{event.id}").get_data(as_text=True)
    assert "報告 0 / 7 人" in page
    assert "栄和小学校" in page
