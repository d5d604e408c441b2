"""Email sent to a real SMTP server: circulars and disaster messages, one connection a batch."""

from jichikai.extensions import db
from jichikai.reach import tokens

from .helpers import email_rows, give_email, post_circular, queue_simple, send_email, start_drill


def _text(received) -> str:
    return received.parsed().get_content()


def test_a_circular_goes_whole_with_its_read_link(app, world, smtp):
    contact = give_email(world.member, "hanako@example.jp")
    db.session.commit()
    body = "日曜日の朝9時に公民館の前に集まります。\n軍手を持ってきてください。"
    notice = post_circular(world, body=body)

    summary = send_email()

    assert summary.sent == 1 and summary.connections == 1
    [received] = smtp.received
    assert received.rcpt_tos == ["hanako@example.jp"]
    assert received.mail_from == "jichikai@kairan.example.jp"
    message = received.parsed()
    assert message["Subject"] == "清掃のお知らせ"
    assert "ひがし自治会" in str(message["From"])
    assert message["Auto-Submitted"] == "auto-generated"
    text = _text(received)
    assert "日曜日の朝9時に公民館の前に集まります。" in text
    assert "軍手を持ってきてください。" in text
    read_link = tokens.read_url(world.member.id, notice.id, "email")
    assert read_link + "\n" in text.replace("\r\n", "\n")
    [row] = email_rows()
    assert row.status == "sent" and row.sent_at is not None and row.last_status == 250
    db.session.refresh(contact)
    assert contact.last_success_at is not None


def test_a_disaster_message_carries_three_answer_links(app, world, smtp):
    give_email(world.member, "hanako@example.jp")
    db.session.commit()
    event = start_drill(world)

    send_email()

    [received] = smtp.received
    subject = received.parsed()["Subject"]
    assert subject == "【訓練】震度6弱の地震"
    text = _text(received).replace("\r\n", "\n")
    assert "大きな地震がありました。" in text
    for answer in tokens.ANSWERS:
        assert tokens.answer_url(world.member.id, event.id, answer, "email") + "\n" in text
    assert "▼無事です・自宅にいます\n" in text


def test_one_connection_carries_a_whole_batch(app, world, smtp):
    app.config["MAIL_BATCH_SIZE"] = 10
    members = [world.member, world.housemate, world.leader, world.other_leader, world.officer]
    for n, member in enumerate(members):
        give_email(member, f"m{n}@example.jp")
    db.session.commit()
    for n in range(4):
        queue_simple(members, f"お知らせ {n}")  # 20 messages: two batches of 10

    summary = send_email()

    assert summary.sent == 20
    assert len(smtp.received) == 20
    assert smtp.connections == 2 == summary.connections
    assert {r.connection for r in smtp.received} == {1, 2}
    assert all(r.status == "sent" for r in email_rows())


def test_parallel_connections_each_reuse_their_own(app, world, smtp):
    app.config.update(MAIL_BATCH_SIZE=5, MAIL_CONNECTIONS=3)
    smtp.latency = 0.01
    members = [world.member, world.housemate, world.leader, world.other_leader, world.officer]
    for n, member in enumerate(members):
        give_email(member, f"m{n}@example.jp")
    db.session.commit()
    for n in range(6):
        queue_simple(members, f"お知らせ {n}")  # 30 messages: six batches of 5

    summary = send_email()

    assert summary.sent == 30 and summary.batches == 6
    assert smtp.connections == 6
    per_connection = {}
    for received in smtp.received:
        per_connection[received.connection] = per_connection.get(received.connection, 0) + 1
    assert sorted(per_connection.values()) == [5] * 6
    pairs = {(r.parsed()["Subject"], r.rcpt_tos[0]) for r in smtp.received}
    assert len(pairs) == 30  # each message exactly once


def test_a_small_send_is_spread_over_every_connection(app, world, smtp):
    app.config.update(MAIL_BATCH_SIZE=50, MAIL_CONNECTIONS=4)
    members = [world.member, world.housemate, world.leader, world.other_leader]
    for n, member in enumerate(members):
        give_email(member, f"m{n}@example.jp")
    db.session.commit()
    for n in range(4):
        queue_simple(members, f"お知らせ {n}")  # 16 messages, 4 connections: 4 batches of 4

    summary = send_email()

    assert summary.sent == 16 and summary.batches == 4 == smtp.connections


def test_sent_mail_counts_in_the_delivery_totals(app, world, smtp):
    from jichikai.push.models import OutboxTally

    give_email(world.member, "hanako@example.jp")
    db.session.commit()
    queue_simple([world.member], "お知らせ")
    send_email()
    tally = db.session.get(OutboxTally, ("email", "sent"))
    assert tally is not None and tally.count == 1
