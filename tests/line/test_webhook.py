"""The account's webhook: signatures, follow/unfollow, linking by code, redeliveries."""

from sqlalchemy import func, select

from jichikai.auth.codes import format_code
from jichikai.auth.services import issue_card
from jichikai.extensions import db
from jichikai.line.linking import new_link_code
from jichikai.line.models import LineWebhookEvent
from jichikai.push.models import Outbox
from jichikai.reach.models import STATE_STOPPED, STATE_WORKING, Contact

from .conftest import event, link_code


def _contacts(user_id):
    return db.session.scalars(select(Contact).where(Contact.address == user_id)).all()


def _reply_texts(line) -> list[str]:
    return [m.get("text", "") for r in line.replies() for m in r.messages]


def test_a_bad_signature_is_refused_and_nothing_recorded(app, world, account, post_events, user_id):
    response = post_events(event("follow", user_id), secret="f" * 32)
    assert response.status_code == 400
    response = post_events(event("follow", user_id), signature="")
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(LineWebhookEvent)) == 0


def test_an_association_without_an_account_has_no_webhook(app, world, line, post_events, user_id):
    assert post_events(event("follow", user_id)).status_code == 404
    assert post_events(event("follow", user_id), association_id=999999).status_code == 404


def test_the_webhook_needs_no_csrf_token(app, world, account, post_events, user_id, csrf_enabled):
    assert post_events(event("follow", user_id)).status_code == 200


def test_follow_asks_for_the_code(app, world, account, line, post_events, user_id):
    response = post_events(event("follow", user_id))
    assert response.status_code == 200
    assert "ログインカードの番号" in _reply_texts(line)[0]
    assert line.replies()[0].token == "test-token-0000-line-channel"
    assert _contacts(user_id) == []


def test_a_link_code_links_the_sender(app, world, account, line, post_events, user_id):
    code = new_link_code(world.member)
    db.session.commit()
    post_events(event("message", user_id, text=code.lower().replace("-", " ")))

    (contact,) = _contacts(user_id)
    assert (contact.member_id, contact.channel, contact.state, contact.source) == (
        world.member.id,
        "line",
        STATE_WORKING,
        "channel",
    )
    assert "佐藤 花子さんのLINEとつながりました" in _reply_texts(line)[0]
    # The code was used up.
    post_events(event("message", "U" + "1" * 32, text=code))
    assert "その番号は使えません" in _reply_texts(line)[1]


def test_a_card_code_links_but_never_logs_in(app, world, account, line, post_events, user_id):
    _card, _token, code = issue_card(world.member)
    db.session.commit()
    # Full-width, with O for 0 and a long dash: read as the login form reads it.
    typed = format_code(code).replace("0", "O").replace("-", "ー")
    typed = typed.translate({ord(c): ord(c) + 0xFEE0 for c in "ABCDEFGHJKMNPQRSTVWXYZ123456789"})
    response = post_events(event("message", user_id, text=typed))

    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert [c.member_id for c in _contacts(user_id)] == [world.member.id]
    reply = _reply_texts(line)[0]
    assert "送信取消" in reply  # asks to delete the code from the chat
    assert code not in reply and format_code(code) not in reply
    # The card still logs in: linking did not use it up.
    assert app.test_client().post("/login/code", data={"code": code}).status_code == 302


def test_another_associations_card_links_nothing(app, world, account, line, post_events, user_id):
    _card, _token, code = issue_card(world.outsider)
    db.session.commit()
    post_events(event("message", user_id, text=code))
    assert _contacts(user_id) == []
    assert "その番号は使えません" in _reply_texts(line)[0]


def test_wrong_codes_are_limited_per_line_user(app, world, account, line, post_events, user_id):
    app.config["LINE_LINK_RATE_LIMIT"] = "3 per hour"
    try:
        for n in range(3):
            post_events(event("message", user_id, text=f"ZZZZ-ZZZZ-ZZZ{n}"))
        code = new_link_code(world.member)
        db.session.commit()
        post_events(event("message", user_id, text=code))
    finally:
        app.config["LINE_LINK_RATE_LIMIT"] = "5 per minute;20 per hour"
    assert _contacts(user_id) == []
    assert "しばらく待って" in _reply_texts(line)[-1]
    # Someone else's LINE is not held back.
    post_events(event("message", "U" + "2" * 32, text=code))
    assert [c.member_id for c in _contacts("U" + "2" * 32)] == [world.member.id]


def test_a_line_user_belongs_to_one_member(app, world, account, line, post_events, user_id):
    post_events(event("message", user_id, text=link_code(world.member)))
    db.session.commit()
    post_events(event("message", user_id, text=link_code(world.housemate)))
    states = {c.member_id: c.state for c in _contacts(user_id)}
    assert states == {world.member.id: STATE_STOPPED, world.housemate.id: STATE_WORKING}


def test_unfollow_stops_sending_and_follow_restarts(world, account, line, post_events, user_id):
    post_events(event("message", user_id, text=link_code(world.member)))
    (contact,) = _contacts(user_id)
    db.session.add(
        Outbox(
            association_id=world.association.id,
            channel="line",
            member_id=world.member.id,
            contact_id=contact.id,
            title="回覧",
            expires_at=contact.created_at.replace(year=2100),
        )
    )
    db.session.commit()

    post_events(event("unfollow", user_id))
    assert _contacts(user_id)[0].state == STATE_STOPPED
    assert db.session.scalar(select(Outbox.status)) == "failed"

    post_events(event("follow", user_id, unblocked=True))
    assert _contacts(user_id)[0].state == STATE_WORKING
    assert "またつながりました" in _reply_texts(line)[-1]


def test_a_redelivered_event_is_handled_once(app, world, account, line, post_events, user_id):
    code = new_link_code(world.member)
    db.session.commit()
    first = event("message", user_id, text=code, event_id="01HREDELIVERED0000000000AA")
    assert post_events(first).json == {"events": 1, "duplicates": 0}
    again = {**first, "deliveryContext": {"isRedelivery": True}}
    assert post_events(again).json == {"events": 0, "duplicates": 1}
    assert len(line.replies()) == 1
    assert db.session.scalar(select(func.count()).select_from(LineWebhookEvent)) == 1


def test_chat_from_a_linked_member_gets_a_short_answer(world, account, line, post_events, user_id):
    post_events(event("message", user_id, text=link_code(world.member)))
    post_events(event("message", user_id, text="こんにちは"))
    assert "知らせ専用" in _reply_texts(line)[-1]
