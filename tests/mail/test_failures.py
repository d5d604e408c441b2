"""What the SMTP server's refusals do: retry what is temporary, stop what is permanent."""

import time
from datetime import timedelta

from sqlalchemy import select, update

from jichikai.audit.models import AuditEvent
from jichikai.database import utcnow
from jichikai.extensions import db
from jichikai.push.models import Outbox
from jichikai.reach.models import (
    STATE_FAILED,
    STATE_STOPPED,
    STATE_UNCONFIRMED,
    STATE_WORKING,
    Contact,
)
from jichikai.reach.services import plan

from ..reach.helpers import add_push
from .helpers import email_rows, give_email, post_circular, queue_simple, send_email


def _make_due() -> None:
    """Time passes: every pending row is due now."""
    db.session.execute(
        update(Outbox).where(Outbox.status == "pending").values(next_attempt_at=utcnow())
    )
    db.session.commit()


def test_server_down_then_up_delivers_everything_exactly_once(app, world, smtp):
    members = [world.member, world.housemate, world.leader]
    for n, member in enumerate(members):
        give_email(member, f"m{n}@example.jp")
    db.session.commit()
    queue_simple(members, "回覧板")
    smtp.stop()  # connection refused

    summary = send_email()

    assert summary.retry == 3 and summary.sent == 0
    rows = email_rows()
    assert all(r.status == "pending" and r.next_attempt_at > utcnow() for r in rows)
    assert all("not sent" in r.last_error for r in rows)
    assert send_email().batches == 0  # backing off: nothing is due yet

    _make_due()
    summary = send_email()  # still down
    assert summary.retry == 3
    assert [r.attempts for r in email_rows()] == [2, 2, 2]

    smtp.start()
    _make_due()
    summary = send_email()

    assert summary.sent == 3
    assert sorted(r.rcpt_tos[0] for r in smtp.received) == [
        "m0@example.jp",
        "m1@example.jp",
        "m2@example.jp",
    ]
    assert all(r.status == "sent" for r in email_rows())
    _make_due()
    assert send_email().sent == 0  # sent once, never again
    assert len(smtp.received) == 3


def test_a_temporary_refusal_retries_only_that_message(app, world, smtp):
    give_email(world.member, "busy@example.jp")
    give_email(world.housemate, "ok@example.jp")
    db.session.commit()
    smtp.answer("busy@example.jp", "452 4.2.2 Mailbox full", times=1)
    queue_simple([world.member, world.housemate], "回覧板")

    summary = send_email()

    assert summary.sent == 1 and summary.retry == 1 and summary.connections == 1
    busy = email_rows(member_id=world.member.id)[0]
    assert busy.status == "pending" and busy.last_status == 452
    assert "Mailbox full" in busy.last_error
    _make_due()
    assert send_email().sent == 1
    assert len(smtp.to("busy@example.jp")) == 1
    contact = db.session.scalar(select(Contact).where(Contact.address == "busy@example.jp"))
    assert contact.state == STATE_WORKING


def test_temporary_failures_give_up_at_the_ttl(app, world, smtp):
    give_email(world.member, "busy@example.jp")
    db.session.commit()
    smtp.answer("busy@example.jp", "451 4.3.0 Try again later")
    queue_simple([world.member], "回覧板")
    db.session.execute(update(Outbox).values(expires_at=utcnow() + timedelta(seconds=20)))
    db.session.commit()

    summary = send_email()

    assert summary.expired == 1
    [row] = email_rows()
    assert row.status == "expired" and row.last_status == 451


def test_a_lost_connection_reconnects_once_for_the_rest(app, world, smtp):
    app.config["MAIL_TIMEOUT_SECONDS"] = 1
    give_email(world.member, "slow@example.jp")
    give_email(world.housemate, "ok@example.jp")
    db.session.commit()
    queue_simple([world.member, world.housemate], "回覧板")
    smtp.latency = 1.5  # every answer comes after the client gave up

    started = time.monotonic()
    summary = send_email()

    assert summary.retry == 2 and summary.sent == 0
    assert time.monotonic() - started < 10
    assert all(r.status == "pending" for r in email_rows())


def test_a_permanent_refusal_fails_the_address_and_tells_the_officers(app, world, smtp):
    give_email(world.officer, "officer@example.jp")
    add_push(world.admin)
    contact = give_email(world.member, "nobody@example.jp")
    give_email(world.housemate, "ok@example.jp")
    db.session.commit()
    smtp.answer("nobody@example.jp", "550 5.1.1 User unknown")
    queue_simple([world.member, world.housemate], "回覧板")

    summary = send_email()

    assert summary.bounced == 1
    assert len(smtp.to("ok@example.jp")) == 1
    [row] = email_rows(member_id=world.member.id)
    assert row.status == "failed" and row.last_status == 550
    db.session.refresh(contact)
    assert contact.state == STATE_FAILED and "User unknown" in contact.last_error
    [audit] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "mail.address_failed")
    ).all()
    assert audit.target_id == contact.id and audit.details["address"] == "nobody@example.jp"
    # The officers are told on every channel they have: the officer by email, the admin by
    # push.
    told = db.session.scalars(select(Outbox).where(Outbox.kind == "bounce")).all()
    assert {(r.member_id, r.channel) for r in told} == {
        (world.officer.id, "email"),
        (world.admin.id, "push"),
    }
    assert all(r.url.endswith("/admin/mail") for r in told if r.channel == "push")
    send_email()  # the officer's message, if this pass did not send it already
    [to_officer] = smtp.to("officer@example.jp")
    assert to_officer.parsed()["Subject"] == "メールが届かない宛先があります"
    # No further sends: reach no longer counts the address, and queued rows are not sent.
    assert world.member.id in plan([world.member], every_channel=True).unreached
    queue_simple([world.housemate], "次の回覧")
    db.session.execute(
        Outbox.__table__.insert(),
        [
            {
                **{c: getattr(row, c) for c in ("association_id", "channel", "member_id")},
                "contact_id": contact.id,
                "title": "前から待っていた回覧",
                "expires_at": utcnow() + timedelta(days=1),
                "next_attempt_at": utcnow(),
                "status": "pending",
            }
        ],
    )
    db.session.commit()
    before = len(smtp.to("nobody@example.jp"))
    summary = send_email()
    assert summary.skipped == 1 and summary.sent == 1
    assert len(smtp.to("nobody@example.jp")) == before == 0
    skipped = email_rows(title="前から待っていた回覧")[0]
    assert skipped.status == "failed" and "failed" in skipped.last_error


def test_a_refusal_after_data_about_the_message_keeps_the_address(app, world, smtp):
    contact = give_email(world.member, "picky@example.jp")
    db.session.commit()
    smtp.answer_data("picky@example.jp", "554 5.7.1 Message refused as spam")
    queue_simple([world.member], "回覧板")

    summary = send_email()

    assert summary.refused == 1
    assert email_rows()[0].status == "failed"
    db.session.refresh(contact)
    assert contact.state == STATE_WORKING


def test_stopped_addresses_are_not_sent_and_confirmations_go_to_unconfirmed(app, world, smtp):
    stopped = give_email(world.member, "stopped@example.jp")
    new = give_email(world.housemate, "new@example.jp")
    db.session.commit()
    queue_simple([world.member, world.housemate], "回覧板")
    queue_simple([world.housemate], "アドレスの確認", label="confirm")
    stopped.state = STATE_STOPPED
    new.state = STATE_UNCONFIRMED
    db.session.commit()

    summary = send_email()

    assert summary.sent == 1 and summary.skipped == 2
    [received] = smtp.received
    assert received.rcpt_tos == ["new@example.jp"]
    assert received.parsed()["Subject"] == "アドレスの確認"
    statuses = {(r.member_id, r.title): r.status for r in email_rows()}
    assert statuses == {
        (world.member.id, "回覧板"): "failed",
        (world.housemate.id, "回覧板"): "failed",
        (world.housemate.id, "アドレスの確認"): "sent",
    }


def test_a_circular_after_a_bounce_goes_by_another_channel(app, world, smtp):
    give_email(world.member, "nobody@example.jp")
    add_push(world.member)
    db.session.commit()
    smtp.answer("nobody@example.jp", "550 5.1.1 User unknown")
    post_circular(world, title="一回目")
    send_email()

    notice = post_circular(world, title="二回目")

    assert notice.reach.by_channel.get("email", 0) == 0
    assert {
        r.channel for r in db.session.scalars(select(Outbox).where(Outbox.notice_id == notice.id))
    } == {"push"}
