"""Sending the LINE outbox against the emulator: multicasts, LINE's limits and errors."""

from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update

from jichikai.database import utcnow
from jichikai.extensions import db
from jichikai.line.delivery import open_sender
from jichikai.line.models import ACCOUNT_OFF, ACCOUNT_WORKING, LineAccount
from jichikai.line.settings import Credentials, save_account
from jichikai.notices.services import NoticeInput, create_notice
from jichikai.push.channels import ChannelOff
from jichikai.push.models import Outbox
from jichikai.reach.models import STATE_STOPPED, Contact
from jichikai.reach.services import Message, notify, simple

from ..disaster.helpers import start
from ..reach.helpers import with_line_account
from .conftest import SECRET, linked
from .emulator import new_user_id


def _line_rows():
    return db.session.scalars(
        select(Outbox).where(Outbox.channel == "line").order_by(Outbox.id)
    ).all()


def _make_due():
    db.session.execute(update(Outbox).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.execute(update(LineAccount).values(paused_until=None))
    db.session.commit()


def test_a_disaster_message_is_one_multicast_with_answer_buttons(world, account, line, sender):
    users = [linked(m) for m in (world.member, world.housemate, world.leader)]
    event = start(world)
    summary = sender.send_pending()

    assert (summary.sent, summary.requests) == (3, 1)
    (request,) = line.sends()
    assert (request.kind, sorted(request.to)) == ("multicast", sorted(users))
    text, template = request.messages
    assert text["text"].startswith("地震がありました\n\n落ち着いて安否を知らせてください。")
    actions = template["template"]["actions"]
    assert [a["data"] for a in actions] == [
        f"a:{event.id}:safe_home",
        f"a:{event.id}:need_help",
        f"a:{event.id}:elsewhere",
    ]
    assert actions[0]["label"] == "無事です・自宅にいます"
    assert [i["action"] for i in template["quickReply"]["items"]] == actions
    # No member-bound link goes into a message many members get.
    assert "/a/" not in str(request.messages)
    assert {r.status for r in _line_rows()} == {"sent"}
    contact = db.session.scalar(select(Contact).where(Contact.address == users[0]))
    assert contact.last_success_at is not None


def test_a_circular_carries_a_read_button_and_its_page(world, account, line, sender):
    user = linked(world.member)
    world.member.preferred_channel = "line"
    db.session.commit()
    notice = create_notice(world.association, world.officer, NoticeInput(title="清掃のお知らせ"))
    db.session.commit()
    sender.send_pending()

    (messages,) = line.messages_for(user)
    read, page = messages[1]["template"]["actions"]
    assert (read["type"], read["data"], read["label"]) == (
        "postback",
        f"r:{notice.id}",
        "読みました",
    )
    assert page["type"] == "uri" and page["uri"].endswith(f"/notices/{notice.id}")


def test_more_than_500_members_take_two_requests(world, account, line, sender):
    users = [new_user_id() for _ in range(501)]
    for user in users:
        db.session.add(
            Contact(
                association_id=world.association.id,
                member_id=world.member.id,
                channel="line",
                address=user,
                source="channel",
            )
        )
    db.session.commit()
    notify(
        [world.member],
        Message(kind="disaster", compose=simple("避難所を開けました"), every_channel=True),
    )
    db.session.commit()
    summary = sender.send_pending()

    assert summary.sent == 501
    sizes = sorted((r.kind, len(r.to)) for r in line.sends())
    assert sizes == [("multicast", 500), ("push", 1)]
    assert sorted(u for r in line.sends() for u in r.to) == sorted(users)


def test_different_messages_go_separately(world, account, line, sender):
    a, b = linked(world.member), linked(world.housemate)
    for member, title in ((world.member, "A"), (world.housemate, "B")):
        notify([member], Message(kind="disaster", compose=simple(title), every_channel=True))
    db.session.commit()
    sender.send_pending()
    assert sorted((r.kind, r.to[0], r.messages[0]["text"]) for r in line.sends()) == sorted(
        [("push", a, "A"), ("push", b, "B")]
    )


def test_429_waits_as_told_and_loses_nothing(world, account, line, sender):
    linked(world.member)
    linked(world.housemate)
    line.answer((429, "120"))
    start(world)
    before = utcnow()
    summary = sender.send_pending()

    assert (summary.sent, summary.retry) == (0, 2)
    rows = _line_rows()
    assert {r.status for r in rows} == {"pending"}
    assert all(r.next_attempt_at >= before + timedelta(seconds=119) for r in rows)
    assert db.session.scalar(select(LineAccount.paused_until)) >= before + timedelta(seconds=119)
    assert sender.send_pending().sent == 0  # not due yet: nothing asked of LINE
    assert line.requests == 2  # bot info at saving, then the one refused multicast

    _make_due()
    assert sender.send_pending().sent == 2
    assert {r.status for r in _line_rows()} == {"sent"}


def test_5xx_is_retried_with_the_same_retry_key(world, account, line, sender):
    linked(world.member)
    linked(world.housemate)
    line.answer(500)
    start(world)
    summary = sender.send_pending()
    assert summary.retry == 2
    (row, *_rest) = _line_rows()
    assert row.status == "pending" and row.next_attempt_at > utcnow() + timedelta(seconds=20)

    _make_due()
    assert sender.send_pending().sent == 2
    assert len(line.sends()) == 1


def test_a_request_repeated_after_a_lost_answer_is_not_delivered_twice(
    world, account, line, sender
):
    linked(world.member)
    linked(world.housemate)
    start(world)
    sender.send_pending()
    # As if the answer had been lost: the rows are due again with the same ids.
    db.session.execute(update(Outbox).values(status="pending", attempts=1))
    _make_due()
    assert sender.send_pending().sent == 2
    assert len(line.sends()) == 1  # LINE answered 409: already accepted


def test_401_turns_the_account_off_and_rows_wait(world, account, line, sender, client):
    linked(world.member)
    line.tokens = {"another-token-0000-line-channel"}
    start(world)
    summary = sender.send_pending()

    assert summary.waiting == 1
    (row,) = _line_rows()
    assert (row.status, row.attempts) == ("pending", 0)
    account = db.session.scalar(select(LineAccount))
    assert account.state == ACCOUNT_OFF
    client_as_officer = client
    from tests.factories import login

    login(client_as_officer, world.officer)
    assert "LINEで知らせを送れなくなっています" in client_as_officer.get("/").get_data(as_text=True)

    # Officers save the new token: sending resumes.
    save_account(
        world.association,
        Credentials("", "another-token-0000-line-channel", ""),
        by=world.officer,
    )
    db.session.commit()
    assert db.session.scalar(select(LineAccount.state)) == ACCOUNT_WORKING
    _make_due()
    assert sender.send_pending().sent == 1


def test_a_refused_user_fails_alone(world, account, line, sender):
    bad = linked(world.member)
    good = linked(world.housemate)
    line.refuse(bad)
    start(world)
    summary = sender.send_pending()

    assert (summary.sent, summary.failed) == (1, 1)
    by_contact = {r.contact_id: r.status for r in _line_rows()}
    contacts = {c.address: c.id for c in db.session.scalars(select(Contact))}
    assert by_contact == {contacts[bad]: "failed", contacts[good]: "sent"}
    assert [r.to for r in line.sends()] == [[good]]


def test_the_monthly_limit_holds_rows_and_tells_officers(world, account, line, sender):
    line.quota = 1
    linked(world.member)
    linked(world.housemate)
    start(world)
    summary = sender.send_pending()

    assert summary.waiting == 2
    account = db.session.scalar(select(LineAccount))
    assert "monthly limit" in account.problem
    assert account.paused_until > utcnow() + timedelta(minutes=50)
    assert {r.status for r in _line_rows()} == {"pending"}


def _account_removed_after_queueing(association_id: int) -> None:
    """Routing queues LINE rows only where an account exists: rows waiting when it goes."""
    db.session.execute(delete(LineAccount).where(LineAccount.association_id == association_id))
    db.session.commit()


def test_rows_without_an_account_wait(world, line, sender):
    other = linked(world.outsider)
    with_line_account(world.outsider.association_id)
    notify([world.outsider], Message(kind="disaster", compose=simple("x"), every_channel=True))
    db.session.commit()
    _account_removed_after_queueing(world.outsider.association_id)
    summary = sender.send_pending()
    assert (summary.waiting, summary.waiting_associations) == (1, {world.outsider.association_id})
    assert line.sends() == [] and other


def test_a_stopped_contact_gets_nothing(world, account, line, sender):
    user = linked(world.member)
    start(world)
    db.session.execute(update(Contact).values(state=STATE_STOPPED))
    db.session.commit()
    assert sender.send_pending().failed == 1
    assert line.messages_for(user) == []


def test_the_channel_is_off_until_an_association_sets_up_line(app, world, line):
    with pytest.raises(ChannelOff):
        open_sender(app)
    save_account(world.association, Credentials("", line_token(), SECRET), by=world.officer)
    db.session.commit()
    open_sender(app).close()


def line_token() -> str:
    from .emulator import TOKEN

    return TOKEN


def test_outbox_send_pending_sends_line(world, account, line, runner):
    user = linked(world.member)
    start(world)
    result = runner.invoke(args=["outbox", "send-pending", "--channel", "line"])
    assert result.exit_code == 0, result.output
    assert "sent 1" in result.output
    assert len(line.messages_for(user)) == 1


def test_one_batch_may_wait_retry_and_send_at_once(world, account, line, sender):
    linked(world.member)
    linked(world.outsider)  # ひがし has an account, にし has none (any more)
    with_line_account(world.outsider.association_id)
    line.answer(500)
    everyone = [world.member, world.outsider]
    notify(everyone, Message(kind="disaster", compose=simple("x"), every_channel=True))
    db.session.commit()
    _account_removed_after_queueing(world.outsider.association_id)
    summary = sender.send_pending()
    assert (summary.waiting, summary.retry) == (1, 1)
    assert {r.status for r in _line_rows()} == {"pending"}


def test_a_retry_past_the_rows_ttl_expires_it(world, account, line, sender):
    linked(world.member)
    line.answer(500)
    notify(
        [world.member],
        Message(kind="disaster", compose=simple("x"), every_channel=True, ttl=10),
    )
    db.session.commit()
    assert sender.send_pending().expired == 1
    assert _line_rows()[0].status == "expired"


def test_a_message_line_refuses_fails_without_trying_each_member(world, account, line, sender):
    linked(world.member)
    linked(world.housemate)
    long_label = "とても長いボタンの名前" * 3
    compose = simple("x")

    def with_bad_link(member, channel):
        envelope = compose(member, channel)
        return envelope.__class__(
            title=envelope.title, body="", url="/", actions=((long_label, "ftp://x"),)
        )

    notify(
        [world.member, world.housemate],
        Message(kind="disaster", compose=with_bad_link, every_channel=True),
    )
    db.session.commit()
    summary = sender.send_pending()
    assert (summary.failed, summary.requests) == (2, 1)


def test_sent_line_messages_count_in_the_delivery_totals(world, account, line, sender):
    from jichikai.push.models import OutboxTally

    linked(world.member)
    linked(world.housemate)
    start(world)
    sender.send_pending()
    assert db.session.get(OutboxTally, ("line", "sent")).count == 2
