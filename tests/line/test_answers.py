"""Taps on a LINE message's buttons: safety answers and 読みました, through the webhook."""

from sqlalchemy import select

from jichikai.disaster.models import CheckIn
from jichikai.disaster.services import end_event
from jichikai.extensions import db
from jichikai.notices.models import ReadReceipt
from jichikai.notices.services import NoticeInput, create_notice
from jichikai.reach import tokens

from ..disaster.helpers import start
from .conftest import event, linked


def _checkins():
    return db.session.scalars(select(CheckIn).order_by(CheckIn.id)).all()


def _last_reply(line) -> list[dict]:
    return line.replies()[-1].messages


def test_safe_at_home_is_stored_once(world, account, line, post_events):
    user = linked(world.member)
    event_ = start(world)
    tap = event("postback", user, data=f"a:{event_.id}:safe_home")
    post_events(tap)
    post_events({**tap, "webhookEventId": "01HSECONDTAP00000000000000"})

    (checkin,) = _checkins()
    assert (checkin.member_id, checkin.status, checkin.channel, checkin.proxy) == (
        world.member.id,
        "safe_home",
        "line",
        False,
    )
    assert "受け取りました" in _last_reply(line)[0]["text"]


def test_a_changed_answer_is_stored_and_counts(world, account, line, post_events):
    user = linked(world.member)
    event_ = start(world)
    for answer in ("safe_home", "need_help", "safe_home"):
        post_events(event("postback", user, data=f"a:{event_.id}:{answer}"))
    assert [(c.status, c.help_kind) for c in _checkins()] == [
        ("safe_home", ""),
        ("need_help", "other"),
        ("safe_home", ""),
    ]


def test_need_help_replies_with_the_members_own_link(world, account, line, post_events):
    user = linked(world.member)
    event_ = start(world)
    post_events(event("postback", user, data=f"a:{event_.id}:need_help"))
    action = _last_reply(line)[0]["template"]["actions"][0]
    bearer = tokens.load(tokens.ANSWER, action["uri"].split("/a/")[1].split("/")[0])
    assert (bearer.member_id, bearer.target_id, bearer.channel) == (
        world.member.id,
        event_.id,
        "line",
    )


def test_elsewhere_opens_the_checkin_page_and_stores_nothing(world, account, line, post_events):
    user = linked(world.member)
    event_ = start(world)
    post_events(event("postback", user, data=f"a:{event_.id}:elsewhere"))
    assert _checkins() == []
    uri = _last_reply(line)[0]["template"]["actions"][0]["uri"]
    wanted = tokens.answer_url(world.member.id, event_.id, "elsewhere", "line")
    assert uri.split("/a/")[1] == wanted.split("/a/")[1]


def test_an_ended_event_says_so(world, account, line, post_events):
    user = linked(world.member)
    event_ = start(world)
    end_event(event_, world.officer)
    db.session.commit()
    post_events(event("postback", user, data=f"a:{event_.id}:safe_home"))
    assert _checkins() == []
    assert "終わっています" in _last_reply(line)[0]["text"]


def test_another_associations_event_is_not_answered(world, account, line, post_events):
    user = linked(world.member)
    start(world)
    from jichikai.disaster.services import start_event

    theirs = start_event(
        world.outsider_association,
        kind="earthquake",
        title="x",
        message="",
        drill=True,
        started_by=world.outsider,
    )
    db.session.commit()
    post_events(event("postback", user, data=f"a:{theirs.id}:safe_home"))
    assert _checkins() == []


def test_an_unlinked_user_is_asked_for_the_code(world, account, line, post_events):
    event_ = start(world)
    post_events(event("postback", "U" + "9" * 32, data=f"a:{event_.id}:safe_home"))
    assert _checkins() == []
    assert "ログインカードの番号" in _last_reply(line)[0]["text"]


def test_read_is_recorded_as_a_line_read(world, account, line, post_events):
    user = linked(world.member)
    notice = create_notice(world.association, world.officer, NoticeInput(title="清掃のお知らせ"))
    db.session.commit()
    post_events(event("postback", user, data=f"r:{notice.id}"))
    post_events(event("postback", user, data=f"r:{notice.id}"))
    (receipt,) = db.session.scalars(select(ReadReceipt)).all()
    assert (receipt.member_id, receipt.via) == (world.member.id, "line")
    assert "記録しました" in _last_reply(line)[0]["text"]


def test_nonsense_postback_data_is_ignored(world, account, line, post_events):
    user = linked(world.member)
    for data in ("a:x:safe_home", "r:", "zzz", "a:1:2:3"):
        assert post_events(event("postback", user, data=data)).status_code == 200
    assert line.replies() == []
