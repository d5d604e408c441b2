"""Bulletins during an event: sending on every channel, per language, to chosen blocks, shown
at the top of the home and check-in pages and kept in the event's record."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from jichikai.disaster.bulletins import bulletin_text, post_bulletin
from jichikai.disaster.models import Bulletin
from jichikai.disaster.services import DisasterError, EventEnded, end_event
from jichikai.extensions import db
from jichikai.push.models import Outbox

from ..factories import make_block
from ..reach.helpers import add_contact, add_push
from .helpers import start


def _rows(bulletin):
    return db.session.scalars(
        select(Outbox).where(Outbox.kind == "bulletin", Outbox.event_id == bulletin.event_id)
    ).all()


def test_a_fixed_phrase_goes_on_every_channel_in_each_readers_language(app, world):
    add_push(world.member)
    add_contact(world.member, "email", "hanako@example.jp")
    world.housemate.language = "en"
    add_push(world.housemate)
    add_push(world.outsider)
    event = start(world)
    bulletin = post_bulletin(
        event,
        template="water",
        params={"place": "第一公園", "time": "15時"},
        by=world.officer,
    )
    db.session.commit()

    rows = _rows(bulletin)
    mine = {r.channel for r in rows if r.member_id == world.member.id}
    assert mine == {"push", "email"}
    assert all(r.urgency == "high" for r in rows)
    assert world.outsider.id not in {r.member_id for r in rows}
    japanese = next(r for r in rows if r.member_id == world.member.id and r.channel == "push")
    english = next(r for r in rows if r.member_id == world.housemate.id)
    assert japanese.body == "第一公園 に給水車が来ます（15時）。"
    assert english.language == "en"
    assert english.body == "A water truck is coming to 第一公園 (15時)."
    assert bulletin.reach["reached"] == 2 and bulletin.reach["members"] >= 2


def test_free_text_is_sent_and_shown_as_written(app, world):
    world.housemate.language = "en"
    add_push(world.housemate)
    event = start(world)
    bulletin = post_bulletin(event, text="集会所の前に\n毛布があります", by=world.officer)
    db.session.commit()
    (row,) = _rows(bulletin)
    assert row.body == "集会所の前に\n毛布があります"
    assert bulletin_text(bulletin) == "集会所の前に\n毛布があります"


def test_a_bulletin_to_chosen_blocks_reaches_only_their_members(app, world):
    for member in (world.member, world.leader, world.other_leader, world.officer):
        add_push(member)
    event = start(world)
    bulletin = post_bulletin(
        event, template="full", params={"place": "桜小学校"}, block_ids=[world.block.id]
    )
    db.session.commit()
    assert {r.member_id for r in _rows(bulletin)} == {world.member.id, world.leader.id}
    assert bulletin.block_ids == [world.block.id]


@pytest.mark.parametrize(
    "fields",
    [
        {"template": "water", "params": {"place": "  "}},
        {"template": "nothing", "params": {"place": "公園"}},
        {"text": "   "},
        {"text": "あ" * 501},
        {"template": "move", "params": {"place": "あ" * 101}},
    ],
)
def test_bad_bulletins_are_refused_and_nothing_is_stored(app, world, fields):
    event = start(world)
    with pytest.raises(DisasterError):
        post_bulletin(event, **fields)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Bulletin.id))) == 0


def test_a_block_of_another_association_is_refused(app, world):
    event = start(world)
    with pytest.raises(DisasterError):
        post_bulletin(event, text="水があります", block_ids=[world.outsider_block.id])


def test_no_bulletin_after_the_event_ended(app, world):
    event = start(world)
    end_event(event, world.officer)
    with pytest.raises(EventEnded):
        post_bulletin(event, text="水があります")


def test_members_see_bulletins_at_the_top_of_home_and_checkin(app, world, client, as_member):
    event = start(world)
    post_bulletin(event, template="move", params={"place": "桜中学校", "time": "18時"})
    post_bulletin(event, text="1班だけのお知らせ", block_ids=[world.block.id])
    post_bulletin(event, text="2班だけのお知らせ", block_ids=[world.other_block.id])
    db.session.commit()

    as_member(world.member)
    for url in ("/", "/disaster/checkin"):
        page = client.get(url).get_data(as_text=True)
        top = page[page.index('class="bulletins"') : page.index("<main")]
        assert "18時 までに 桜中学校 へ移動してください。" in top
        assert "1班だけのお知らせ" in top
        assert "2班だけのお知らせ" not in page
    # Not on every page: only the home page and the check-in.
    assert "桜中学校" not in client.get("/me/settings").get_data(as_text=True)


def test_an_english_reader_sees_the_phrase_in_english(app, world, client, as_member):
    world.member.language = "en"
    event = start(world)
    post_bulletin(event, template="full", params={"place": "桜小学校"})
    db.session.commit()
    as_member(world.member)
    page = client.get("/disaster/checkin").get_data(as_text=True)
    assert "桜小学校 is full. Please go to another shelter." in page


def test_officers_post_from_the_event_page_and_keep_the_record(app, world, client, as_member):
    event = start(world)
    as_member(world.officer)
    page = client.get(f"/disaster/events/{event.id}/bulletins")
    assert page.status_code == 200
    answer = client.post(
        f"/disaster/events/{event.id}/bulletins",
        data={"template": "food", "place": "集会所", "time": "", "blocks": [world.block.id]},
    )
    assert answer.status_code == 303
    stored = db.session.scalars(select(Bulletin)).one()
    assert (stored.template, stored.params, stored.block_ids, stored.posted_by_id) == (
        "food",
        {"place": "集会所"},
        [world.block.id],
        world.officer.id,
    )
    dashboard = client.get(f"/disaster/events/{event.id}").get_data(as_text=True)
    assert "集会所 で食料と水を配ります。" in dashboard
    assert "1班" in dashboard

    end_event(event, world.officer)
    db.session.commit()
    after = client.get(f"/disaster/events/{event.id}").get_data(as_text=True)
    assert "集会所 で食料と水を配ります。" in after
    csv = client.get(f"/disaster/events/{event.id}/bulletins.csv")
    assert csv.status_code == 200
    text = csv.data.decode("utf-8-sig")
    assert "集会所 で食料と水を配ります。" in text and world.officer.name in text


def test_a_bad_post_shows_the_reason_and_keeps_the_input(app, world, client, as_member):
    event = start(world)
    as_member(world.officer)
    answer = client.post(
        f"/disaster/events/{event.id}/bulletins",
        data={"template": "water", "place": "", "time": "10時"},
    )
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert "場所を入れてください。" in page
    assert 'value="10時"' in page
    assert db.session.scalar(select(func.count(Bulletin.id))) == 0


def test_a_block_id_not_offered_is_refused(app, world, client, as_member):
    event = start(world)
    other = make_block(world.outsider_association, "9班")
    db.session.commit()
    as_member(world.officer)
    answer = client.post(
        f"/disaster/events/{event.id}/bulletins",
        data={"template": "free", "text": "水", "blocks": [other.id]},
    )
    assert answer.status_code == 400
    assert db.session.scalar(select(func.count(Bulletin.id))) == 0


def test_the_event_record_keeps_bulletins_after_details_are_deleted(app, world):
    from jichikai.disaster.services import delete_expired_details

    event = start(world)
    post_bulletin(event, text="記録に残す")
    end_event(event, world.officer)
    db.session.commit()
    delete_expired_details(event.ended_at + timedelta(days=400))
    db.session.commit()
    assert db.session.scalars(select(Bulletin.text)).all() == ["記録に残す"]
