"""Sending to a real protocol peer: the push-service emulator on 127.0.0.1."""

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from jichikai.database import utcnow
from jichikai.extensions import db
from jichikai.push.delivery import claim_due, make_sender, send_batch
from jichikai.push.models import PushDelivery, PushSubscription
from jichikai.push.sender import Sender
from jichikai.push.services import (
    DISASTER_TTL,
    KIND_DISASTER,
    KIND_URGENT,
    MAX_PAYLOAD_BYTES,
    PushMessage,
    notify,
    payload,
)
from jichikai.push.vapid import VapidSigner, app_subject, app_vapid

from .helpers import send_all, subscribe_browser


def _block_members(world):
    return [m for h in world.block.households for m in h.members]


def _deliveries(**filters):
    query = select(PushDelivery).filter_by(**filters).order_by(PushDelivery.id)
    return db.session.scalars(query).all()


def test_a_block_notice_reaches_exactly_its_members_devices(world, emulator):
    phone, _ = subscribe_browser(emulator, world.member)
    tablet, _ = subscribe_browser(emulator, world.member)
    housemate, _ = subscribe_browser(emulator, world.housemate)
    leader, _ = subscribe_browser(emulator, world.leader)
    other_block, _ = subscribe_browser(emulator, world.other_leader)
    outsider, _ = subscribe_browser(emulator, world.outsider)

    queued = notify(
        _block_members(world), PushMessage("回覧: 清掃のお知らせ", "日曜日です", "/n/1")
    )
    db.session.commit()
    summary = send_all()

    assert queued == 4
    assert summary.sent == 4
    assert emulator.errors == []
    for browser in (phone, tablet, housemate, leader):
        [received] = emulator.payloads_for(browser)
        assert received == {
            "title": "回覧: 清掃のお知らせ",
            "body": "日曜日です",
            "url": "/n/1",
            "tag": "",
        }
    assert emulator.payloads_for(other_block) == []
    assert emulator.payloads_for(outsider) == []
    assert {d.status for d in _deliveries()} == {"sent"}


def test_disaster_alerts_are_urgent_with_a_day_to_live(world, emulator):
    subscribe_browser(emulator, world.member)
    world.member.push_preference = "none"
    notify(
        [world.member],
        PushMessage("安否を教えてください", kind=KIND_DISASTER, urgency="high", ttl=DISASTER_TTL),
    )
    db.session.commit()
    send_all()

    [received] = emulator.received
    assert received.urgency == "high"
    assert DISASTER_TTL - 60 < received.ttl <= DISASTER_TTL
    assert received.claims["sub"] == "mailto:ops@example.jp"


@pytest.mark.parametrize(
    ("preference", "kind", "queued"),
    [
        ("all", "notice", 1),
        ("urgent", "notice", 0),
        ("urgent", KIND_URGENT, 1),
        ("none", KIND_URGENT, 0),
    ],
)
def test_preferences_decide_what_is_queued(world, emulator, preference, kind, queued):
    subscribe_browser(emulator, world.member)
    world.member.push_preference = preference
    assert notify([world.member], PushMessage("お知らせ", kind=kind)) == queued


def test_gone_subscription_is_deleted(world, emulator):
    browser, subscription = subscribe_browser(emulator, world.member)
    kept, _ = subscribe_browser(emulator, world.housemate)
    emulator.answer(browser, 410)
    notify([world.member, world.housemate], PushMessage("お知らせ"))
    db.session.commit()

    summary = send_all()

    assert summary.gone == 1 and summary.sent == 1
    assert db.session.scalar(select(PushSubscription).filter_by(endpoint=browser.endpoint)) is None
    assert len(emulator.payloads_for(kept)) == 1


def test_not_found_subscription_is_deleted(world, emulator):
    browser, subscription = subscribe_browser(emulator, world.member)
    emulator.answer(browser, 404)
    notify([world.member], PushMessage("お知らせ"))
    db.session.commit()
    send_all()
    assert db.session.scalar(select(PushSubscription).filter_by(endpoint=browser.endpoint)) is None


def test_too_many_requests_waits_for_retry_after_then_delivers(world, emulator):
    browser, _ = subscribe_browser(emulator, world.member)
    emulator.answer(browser, (429, "600"))
    notify([world.member], PushMessage("お知らせ"))
    db.session.commit()

    first = send_all()
    [delivery] = _deliveries()
    assert first.retry == 1
    assert delivery.status == "pending"
    assert delivery.next_attempt_at >= utcnow() + timedelta(seconds=590)
    assert send_all().batches == 0  # not due yet

    with make_sender() as sender:
        send_batch(sender, now=utcnow() + timedelta(seconds=601))
    db.session.refresh(delivery)
    assert delivery.status == "sent"
    assert delivery.attempts == 2
    assert len(emulator.payloads_for(browser)) == 1


def test_server_errors_are_retried_with_backoff(world, emulator):
    browser, _ = subscribe_browser(emulator, world.member)
    emulator.answer(browser, 500, 503)
    notify([world.member], PushMessage("お知らせ"))
    db.session.commit()

    send_all()
    [delivery] = _deliveries()
    first_wait = delivery.next_attempt_at - utcnow()
    with make_sender() as sender:
        send_batch(sender, now=utcnow() + timedelta(hours=1))
        db.session.refresh(delivery)
        second_wait = delivery.next_attempt_at - utcnow()
        send_batch(sender, now=utcnow() + timedelta(hours=2))

    assert timedelta(seconds=20) < first_wait < timedelta(seconds=40)
    assert timedelta(seconds=45) < second_wait < timedelta(seconds=75)
    db.session.refresh(delivery)
    assert delivery.status == "sent"
    assert len(emulator.payloads_for(browser)) == 1


def test_timeouts_are_retried(world, emulator):
    subscribe_browser(emulator, world.member)
    emulator.latency = 0.5
    notify([world.member], PushMessage("お知らせ"))
    db.session.commit()
    signer = VapidSigner(app_vapid(), app_subject())
    with Sender(signer, timeout=0.1) as sender:
        summary = send_batch(sender)
    [delivery] = _deliveries()
    assert summary.retry == 1
    assert delivery.status == "pending"
    assert delivery.last_error == "timeout"


@pytest.mark.parametrize("status", [400, 401, 403, 413])
def test_our_mistakes_are_recorded_and_the_subscription_kept(world, emulator, status, caplog):
    browser, subscription = subscribe_browser(emulator, world.member)
    emulator.answer(browser, status)
    notify([world.member], PushMessage("お知らせ"))
    db.session.commit()

    summary = send_all()

    [delivery] = _deliveries()
    assert summary.failed == 1
    assert delivery.status == "failed" and delivery.last_status == status
    db.session.refresh(subscription)
    assert subscription.last_error.startswith(f"HTTP {status}")
    assert f"push refused with {status}" in caplog.text


def test_a_bad_vapid_subject_is_refused_by_the_service(world, emulator):
    """The emulator really checks the JWT: a wrong audience is a 403 and counted as ours."""
    browser, _ = subscribe_browser(emulator, world.member)
    notify([world.member], PushMessage("お知らせ"))
    db.session.commit()
    sender = make_sender()
    sender.signer.authorization = lambda endpoint: sender.signer.vapid.sign(
        {"aud": "https://elsewhere.example", "sub": "mailto:ops@example.jp"}
    )["Authorization"]
    with sender:
        summary = send_batch(sender)
    assert summary.failed == 1
    assert emulator.errors and "aud" in emulator.errors[0]


def test_messages_are_given_up_when_their_ttl_has_passed(world, emulator):
    subscribe_browser(emulator, world.member)
    notify([world.member], PushMessage("お知らせ", ttl=60))
    db.session.commit()
    with make_sender() as sender:
        summary = send_batch(sender, now=utcnow() + timedelta(seconds=61))
    assert summary.expired == 1
    assert emulator.received == []
    assert _deliveries()[0].status == "expired"


def test_retry_beyond_the_ttl_gives_up_and_counts_a_failure(world, emulator):
    browser, subscription = subscribe_browser(emulator, world.member)
    emulator.answer(browser, (429, "120"))
    notify([world.member], PushMessage("お知らせ", ttl=60))
    db.session.commit()
    summary = send_all()
    assert summary.expired == 1
    db.session.refresh(subscription)
    assert subscription.failures == 1


def test_topic_replaces_a_queued_message(world, emulator):
    browser, _ = subscribe_browser(emulator, world.member)
    notify([world.member], PushMessage("まだ読んでいません (1)", topic="notice-7-reminder"))
    notify([world.member], PushMessage("まだ読んでいません (2)", topic="notice-7-reminder"))
    db.session.commit()
    send_all()
    [received] = [r for r in emulator.received if r.endpoint == browser.endpoint]
    assert received.payload["title"] == "まだ読んでいません (2)"
    assert received.topic == "notice-7-reminder"
    assert [d.status for d in _deliveries()] == ["replaced", "sent"]


def test_long_topics_become_valid_topic_headers(world, emulator):
    subscribe_browser(emulator, world.member)
    notify([world.member], PushMessage("お知らせ", topic="お知らせ 123 の再通知"))
    db.session.commit()
    send_all()
    assert emulator.errors == []
    assert len(emulator.received[0].topic) <= 32


def test_payload_is_at_most_3_kb_of_unescaped_json(world, emulator):
    browser, _ = subscribe_browser(emulator, world.member)
    notify([world.member], PushMessage("長いお知らせ", "あ" * 5000, "/n/1", "notice-1"))
    db.session.commit()
    send_all()
    [received] = emulator.payloads_for(browser)
    size = len(payload(received["title"], received["body"], received["url"], received["tag"]))
    assert MAX_PAYLOAD_BYTES - 6 <= size <= MAX_PAYLOAD_BYTES
    assert received["body"].endswith("…")
    assert b"\\u" not in payload("あ", "い", "/", "")


def test_a_crashed_worker_loses_nothing_and_repeats_nothing_acknowledged(app, world, emulator):
    browsers = [subscribe_browser(emulator, m)[0] for m in (world.member, world.housemate)]
    browsers += [subscribe_browser(emulator, m)[0] for m in (world.leader, world.officer)]
    notify([world.member, world.housemate, world.leader, world.officer], PushMessage("回覧"))
    db.session.commit()
    batch_size, app.config["PUSH_BATCH_SIZE"] = app.config["PUSH_BATCH_SIZE"], 2
    try:
        with make_sender() as sender:
            acknowledged = send_batch(sender)  # a full batch: sent and committed
        now = utcnow()
        crashed = claim_due(now, 2, lease_seconds=120)  # claimed, then the worker dies
        db.session.commit()

        assert send_all().batches == 0  # the lease still holds them
        later = now + timedelta(seconds=121)
        with make_sender() as sender:
            recovered = send_batch(sender, now=later)
    finally:
        app.config["PUSH_BATCH_SIZE"] = batch_size

    assert acknowledged.sent == 2 and len(crashed) == 2 and recovered.sent == 2
    assert {d.status for d in _deliveries()} == {"sent"}
    assert sorted(len(emulator.payloads_for(b)) for b in browsers) == [1, 1, 1, 1]


def test_workers_skip_rows_another_worker_has_locked(app, world, emulator):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's")
    for member in (world.member, world.housemate, world.leader):
        subscribe_browser(emulator, member)
    notify([world.member, world.housemate, world.leader], PushMessage("回覧"))
    db.session.commit()
    first_id = _deliveries()[0].id
    with db.engine.connect() as other_worker:
        other_worker.execute(
            text("SELECT id FROM push_delivery WHERE id = :id FOR UPDATE"), {"id": first_id}
        )
        claimed = claim_due(utcnow(), 10, lease_seconds=120)
        db.session.commit()
        other_worker.rollback()
    assert sorted(item.id for item in claimed) == [d.id for d in _deliveries()][1:]


def test_send_pending_command(world, emulator, runner):
    browser, _ = subscribe_browser(emulator, world.member)
    notify([world.member], PushMessage("お知らせ"))
    db.session.commit()
    result = runner.invoke(args=["push", "send-pending"])
    assert result.exit_code == 0, result.output
    assert "sent 1" in result.output
    assert len(emulator.payloads_for(browser)) == 1


def test_send_pending_refuses_without_a_subject(app, world, emulator, runner):
    subscribe_browser(emulator, world.member)
    notify([world.member], PushMessage("送れない"))
    db.session.commit()
    app.config["PUSH_VAPID_SUBJECT"] = ""
    result = runner.invoke(args=["push", "send-pending"])
    assert result.exit_code != 0
    assert "JICHIKAI_PUSH_VAPID_SUBJECT" in result.output


def test_encryption_in_a_helper_process(app, world, emulator):
    browser, _ = subscribe_browser(emulator, world.member)
    notify([world.member], PushMessage("別のプロセスで暗号化"))
    db.session.commit()
    app.config["PUSH_ENCRYPT_PROCESSES"] = 1
    try:
        summary = send_all()
    finally:
        app.config["PUSH_ENCRYPT_PROCESSES"] = 0
    assert summary.sent == 1
    assert emulator.payloads_for(browser)[0]["title"] == "別のプロセスで暗号化"
