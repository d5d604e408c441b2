"""Choosing channels: circulars by the preferred working one, disaster by all; honest counts."""

from sqlalchemy import select

from jichikai.disaster.services import start_event
from jichikai.extensions import db
from jichikai.notices.services import NoticeInput, create_notice
from jichikai.push.models import Outbox
from jichikai.reach import tokens
from jichikai.reach.models import STATE_FAILED, STATE_UNCONFIRMED
from jichikai.reach.services import plan

from .helpers import add_contact, add_push


def _rows(**where):
    query = select(Outbox).order_by(Outbox.id)
    for key, value in where.items():
        query = query.where(getattr(Outbox, key) == value)
    return db.session.scalars(query).all()


def test_circular_goes_by_the_preferred_working_channel_else_the_first(app, world):
    add_push(world.member)
    add_contact(world.member, "email", "hanako@example.jp")
    world.member.preferred_channel = "email"
    add_contact(world.housemate, "email", "sato-ke@example.jp")
    add_contact(world.housemate, "line", "U1", state=STATE_UNCONFIRMED)  # not working yet
    add_push(world.leader)
    world.leader.preferred_channel = "line"  # has no LINE: falls back to push
    db.session.commit()
    notice = create_notice(world.association, world.officer, NoticeInput(title="清掃のお知らせ"))
    db.session.commit()

    by_member = {(r.member_id, r.channel) for r in _rows(notice_id=notice.id)}
    assert by_member == {
        (world.member.id, "email"),
        (world.housemate.id, "email"),
        (world.leader.id, "push"),
    }
    assert notice.reach.by_channel == {"email": 2, "push": 1}
    # Everyone else in the association has no channel: they are named, not hidden.
    assert world.member.id not in notice.reach.unreached
    assert world.other_leader.id in notice.reach.unreached


def test_disaster_goes_by_every_working_channel_with_answer_links(app, world):
    add_push(world.member)
    add_contact(world.member, "email", "hanako@example.jp")
    add_contact(world.member, "line", "U123")
    add_contact(world.housemate, "email", "gone@example.jp", state=STATE_FAILED)
    db.session.commit()
    event = start_event(
        world.association,
        kind="earthquake",
        title="地震",
        message="",
        drill=True,
        started_by=world.officer,
    )
    db.session.commit()

    rows = _rows(member_id=world.member.id)
    assert {r.channel for r in rows} == {"push", "email", "line"}
    assert all(r.event_id == event.id and r.urgency == "high" for r in rows)
    email = next(r for r in rows if r.channel == "email")
    links = [url for _label, url, _does in email.actions]
    assert len(links) == 3
    # Each answer says what it does, so LINE need not guess it from the URL.
    assert [does for *_link, does in email.actions] == [
        f"answer:{answer}" for answer in tokens.ANSWERS
    ]
    token = links[0].split("/a/")[1].split("/")[0]
    assert tokens.load(tokens.ANSWER, token) == tokens.Bearer(world.member.id, event.id, "email")
    push = next(r for r in rows if r.channel == "push")
    assert push.actions is None and push.url == "/"
    assert world.housemate.id in event.reach.unreached  # a failed address reaches nobody
    assert event.reach.by_channel["email"] == 1


def test_each_recipient_gets_their_own_language_not_the_senders(app, world):
    world.officer.language = "en"
    world.member.language = "ja"
    world.housemate.language = "en"
    for member in (world.member, world.housemate):
        add_contact(member, "email", f"{member.id}@example.jp")
    db.session.commit()
    start_event(
        world.association,
        kind="earthquake",
        title="地震",
        message="",
        drill=True,
        started_by=world.officer,
    )
    db.session.commit()
    japanese = _rows(member_id=world.member.id)[0]
    english = _rows(member_id=world.housemate.id)[0]
    assert japanese.title.startswith("【訓練】") and japanese.language == "ja"
    assert english.title.startswith("[Drill]") and english.language == "en"
    assert japanese.actions[0][0] == "無事です・自宅にいます"
    assert english.actions[0][0] == "I am safe, at home"


def test_push_off_reaches_nobody_by_push_and_says_so(app, world):
    add_push(world.member)
    db.session.commit()
    saved = app.config["PUSH_VAPID_SUBJECT"]
    app.config["PUSH_VAPID_SUBJECT"] = ""
    try:
        reach = plan([world.member, world.housemate], every_channel=True)
        event = start_event(
            world.association,
            kind="flood",
            title="大雨",
            message="",
            drill=True,
            started_by=world.officer,
        )
    finally:
        app.config["PUSH_VAPID_SUBJECT"] = saved
    assert reach.by_channel == {} and sorted(reach.unreached) == sorted(
        [world.member.id, world.housemate.id]
    )
    assert _rows(event_id=event.id) == []


def test_tokens_refuse_tampering_and_other_purposes(app, world):
    token = tokens.answer_token(world.member.id, 7, "line")
    assert tokens.load(tokens.ANSWER, token) == tokens.Bearer(world.member.id, 7, "line")
    assert tokens.load(tokens.READ, token) is None  # an answer link is not a read link
    assert tokens.load(tokens.ANSWER, token[:-2] + "xx") is None
    assert tokens.load(tokens.ANSWER, "") is None
    assert tokens.load(tokens.ANSWER, "a" * 300) is None
    assert tokens.answer_token(world.member.id, 7, "line") == token  # sent twice: same link
    assert tokens.load(tokens.ANSWER, tokens.answer_token(world.member.id, 7, "fax")) is None
