"""/metrics: who may scrape, and what the figures say after some actions."""

import math
from datetime import timedelta

import pytest
from sqlalchemy import update

from jichikai.database import utcnow
from jichikai.disaster.services import submit_checkin
from jichikai.extensions import db
from jichikai.health.services import beat
from jichikai.jma.models import JmaFeed
from jichikai.metrics.permissions import has_token, is_local
from jichikai.push.models import Outbox, OutboxTally
from jichikai.push.services import PushMessage, notify
from jichikai.push.tally import count_outcomes

from ..disaster.helpers import start
from ..push.helpers import send_all, subscribe_browser
from ..reach.helpers import add_push
from .helpers import requests_of, samples, unreachable_database, value

REMOTE = "203.0.113.5"
TOKEN = "s3cret-scrape-token"


def scrape(client, **kwargs) -> dict:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/plain"
    assert response.headers["Cache-Control"] == "no-store"
    return samples(response.get_data(as_text=True))


# Who may scrape ------------------------------------------------------------------------------


def test_this_machine_may_scrape_without_a_token(client):
    found = scrape(client)
    assert value(found, "jichikai_database_up") == 1


@pytest.mark.parametrize("address", [REMOTE, "10.0.0.8", "::ffff:192.0.2.1"])
def test_another_machine_may_not_scrape_without_a_token(client, address):
    response = client.get("/metrics", environ_base={"REMOTE_ADDR": address})
    assert response.status_code == 403
    assert b"jichikai_" not in response.data


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "status"),
    [
        (REMOTE, "127.0.0.1", 403),  # a remote client claiming to be local
        ("127.0.0.1", REMOTE, 403),  # a remote client through the proxy on this machine
        ("127.0.0.1", "127.0.0.1", 200),  # a scraper on this machine through the proxy
        ("127.0.0.1", None, 200),  # a scraper on this machine straight to gunicorn
    ],
)
def test_behind_a_trusted_proxy_both_the_proxy_and_the_client_must_be_local(
    configured_app, peer, forwarded_for, status
):
    proxied = configured_app(TRUSTED_PROXIES=1)
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    response = proxied.test_client().get(
        "/metrics", headers=headers, environ_base={"REMOTE_ADDR": peer}
    )
    assert response.status_code == status


@pytest.mark.parametrize(
    ("peer", "headers", "status"),
    [
        (REMOTE, {"X-Forwarded-For": "127.0.0.1"}, 403),  # never believed without proxies
        # A proxy on this machine while TRUSTED_PROXIES was left at 0:
        ("127.0.0.1", {"X-Forwarded-For": REMOTE}, 403),
        ("127.0.0.1", {"X-Real-IP": REMOTE}, 403),
        ("127.0.0.1", {"X-Forwarded-For": "127.0.0.1"}, 200),
    ],
)
def test_without_trusted_proxies_a_forwarded_remote_client_is_still_refused(
    client, peer, headers, status
):
    response = client.get("/metrics", headers=headers, environ_base={"REMOTE_ADDR": peer})
    assert response.status_code == status


def test_two_proxies_with_one_trusted_do_not_let_the_first_ones_client_in(configured_app):
    proxied = configured_app(TRUSTED_PROXIES=1)
    response = proxied.test_client().get(
        "/metrics",
        headers={"X-Forwarded-For": f"{REMOTE}, 127.0.0.1"},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer "]
)
def test_with_a_token_a_scrape_without_it_is_refused_even_locally(configured_app, authorization):
    app = configured_app(METRICS_TOKEN=TOKEN)
    headers = {"Authorization": authorization} if authorization else {}
    response = app.test_client().get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert b"jichikai_" not in response.data


def test_with_a_token_any_machine_may_scrape(configured_app):
    app = configured_app(METRICS_TOKEN=TOKEN)
    found = scrape(
        app.test_client(),
        headers={"Authorization": f"Bearer {TOKEN}"},
        environ_base={"REMOTE_ADDR": REMOTE},
    )
    assert value(found, "jichikai_database_up") == 1


def test_token_and_address_predicates():
    assert has_token(f"bearer {TOKEN}", TOKEN)
    assert not has_token(f"Bearer {TOKEN}", "")
    assert not has_token("Bearer ü", TOKEN)  # not ASCII: refused, not an error
    assert is_local("127.0.0.1", "::1", "127.1.2.3", "::ffff:127.0.0.1")
    assert not is_local()
    assert not is_local("127.0.0.1", None)
    assert not is_local("localhost")


def test_metrics_are_not_rate_limited(client):
    from jichikai.extensions import limiter

    limiter.enabled = True
    for _ in range(30):
        assert client.get("/metrics").status_code == 200


# Requests ------------------------------------------------------------------------------------


def test_requests_are_counted_by_endpoint_and_status_never_by_path(client):
    before = scrape(client)
    client.get("/healthz")
    client.get("/healthz")
    client.get("/no/such/page/hanako")
    client.get("/c/Nu98lvBDnI2uIddcehK1lg")
    response = client.get("/metrics")
    text = response.get_data(as_text=True)
    after = samples(text)

    assert requests_of(after, "health.healthz") - requests_of(before, "health.healthz") == 2
    assert (
        requests_of(after, "unmatched", status="404")
        - requests_of(before, "unmatched", status="404")
        == 1
    )
    assert requests_of(after, "auth.card", status="404") >= 1
    assert "hanako" not in text and "Nu98lvBDnI2uIddcehK1lg" not in text
    count = value(
        after,
        "jichikai_http_request_duration_seconds_count",
        endpoint="health.healthz",
        method="GET",
    )
    assert count >= 2


def test_an_unknown_method_is_counted_as_other(client):
    client.open("/healthz", method="BREW")
    found = scrape(client)
    assert requests_of(found, "unmatched", method="other", status="405") >= 1


# Figures from the database -------------------------------------------------------------------


def test_a_queued_push_message_is_due(client, world):
    add_push(world.member)
    notify([world.member], PushMessage(title="回覧板"))
    db.session.commit()

    found = scrape(client)

    assert value(found, "jichikai_outbox_messages", channel="push", state="due") == 1
    assert value(found, "jichikai_outbox_messages", channel="email", state="due") == 0
    assert value(found, "jichikai_outbox_oldest_due_seconds", channel="push") >= 0


def test_outbox_states_by_channel(client, world):
    subscription = add_push(world.member)
    notify([world.member], PushMessage(title="一"))
    notify([world.member], PushMessage(title="二"))
    notify([world.member], PushMessage(title="三"))
    notify([world.member], PushMessage(title="四"))
    db.session.commit()
    ids = sorted(r.id for r in db.session.query(Outbox).filter_by(subscription_id=subscription.id))
    now = utcnow()
    changes = [
        {"status": "sending", "next_attempt_at": now + timedelta(seconds=30)},  # in flight
        {"status": "sending", "next_attempt_at": now - timedelta(minutes=2)},  # lease ended
        {"status": "pending", "next_attempt_at": now + timedelta(minutes=5)},  # retry later
        {"status": "failed"},
    ]
    for row_id, values in zip(ids, changes, strict=True):
        db.session.execute(update(Outbox).where(Outbox.id == row_id).values(**values))
    db.session.commit()

    found = scrape(client)

    def state(name):
        return value(found, "jichikai_outbox_messages", channel="push", state=name)

    assert (state("due"), state("sending"), state("retry"), state("failed")) == (1, 1, 1, 1)
    oldest = value(found, "jichikai_outbox_oldest_due_seconds", channel="push")
    assert 110 <= oldest <= 200


def test_deliveries_by_outcome_as_the_sender_records_them(client, world, emulator):
    sent, retried, gone, expired = (subscribe_browser(emulator, world.member) for _ in range(4))
    emulator.answer(retried[0], 503)
    emulator.answer(gone[0], 410)
    notify([world.member], PushMessage(title="回覧板"))
    db.session.commit()
    db.session.execute(
        update(Outbox)
        .where(Outbox.subscription_id == expired[1].id)
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    email = Outbox(
        association_id=world.association.id, channel="email", title="x", expires_at=utcnow()
    )
    db.session.add(email)  # an email whose time passed too: expired by the push sender's pass
    db.session.commit()
    before = scrape(client)

    send_all()
    found = scrape(client)

    def added(channel, outcome):
        name, labels = "jichikai_outbox_deliveries_total", {"channel": channel, "outcome": outcome}
        return value(found, name, **labels) - value(before, name, **labels)

    assert {o: added("push", o) for o in ("sent", "retry", "gone", "expired", "failed")} == {
        "sent": 1,
        "retry": 1,
        "gone": 1,
        "expired": 1,
        "failed": 0,
    }
    assert added("email", "expired") == 1
    assert value(found, "jichikai_outbox_messages", channel="push", state="retry") == 1


def test_totals_add_up_across_transactions(app):
    count_outcomes("line", {"sent": 2, "retry": 0})
    db.session.commit()
    count_outcomes("line", {"sent": 3, "failed": 1})
    db.session.commit()

    totals = {
        (row.outcome, row.count) for row in db.session.query(OutboxTally).filter_by(channel="line")
    }
    assert totals == {("sent", 5), ("failed", 1)}


def test_active_events_and_their_checkins_by_channel(client, world):
    event = start(world, drill=True)
    submit_checkin(world.member, event_id=event.id, status="safe_home", client_id="client-01")
    submit_checkin(
        world.leader, channel="email", event_id=event.id, status="safe_home", client_id="client-02"
    )
    submit_checkin(
        world.leader,
        event_id=event.id,
        status="need_help",
        help_kind="cannot_move",
        member_ids=[world.housemate.id],
        client_id="client-03",
    )
    db.session.commit()

    found = scrape(client)

    assert value(found, "jichikai_disaster_events_active", drill="true") == 1
    assert value(found, "jichikai_disaster_events_active", drill="false") == 0
    by_channel = {
        channel: value(found, "jichikai_disaster_checkins", channel=channel)
        for channel in ("app", "proxy", "email", "line")
    }
    assert by_channel == {"app": 1, "proxy": 1, "email": 1, "line": 0}


def test_jma_feed_ages_of_the_configured_feeds(configured_app, world):
    now = utcnow()
    good, failing, other = (
        "https://feeds.example/eqvol.xml",
        "https://feeds.example/extra.xml",
        "https://feeds.example/old.xml",
    )
    db.session.add_all(
        [
            JmaFeed(
                url=good,
                last_polled_at=now - timedelta(seconds=40),
                last_success_at=now - timedelta(seconds=40),
                last_result="3 entries",
            ),
            JmaFeed(
                url=failing,
                last_polled_at=now - timedelta(seconds=20),
                last_success_at=None,
                last_result="error: timed out",
            ),
            JmaFeed(url=other, last_polled_at=now, last_success_at=now, last_result="1 entries"),
        ]
    )
    db.session.commit()
    app = configured_app(JMA_FEEDS=f"{good},{failing}")

    found = scrape(app.test_client())

    assert 40 <= value(found, "jichikai_jma_feed_success_age_seconds", feed=good) < 100
    assert value(found, "jichikai_jma_feed_failing", feed=good) == 0
    assert math.isinf(value(found, "jichikai_jma_feed_success_age_seconds", feed=failing))
    assert 20 <= value(found, "jichikai_jma_feed_poll_age_seconds", feed=failing) < 80
    assert value(found, "jichikai_jma_feed_failing", feed=failing) == 1
    assert value(found, "jichikai_jma_feed_failing", feed=other) is None  # not configured


def test_worker_heartbeat_age(client):
    beat(utcnow() - timedelta(seconds=30))
    db.session.commit()

    found = scrape(client)

    assert 30 <= value(found, "jichikai_worker_heartbeat_age_seconds", worker="scheduler") < 90


def test_no_personal_data_in_any_metric(client, world):
    add_push(world.member)
    notify([world.member, world.officer], PushMessage(title="秘密の回覧 佐藤"))
    event = start(world, kind="flood")
    submit_checkin(
        world.member,
        event_id=event.id,
        status="need_help",
        help_kind="supplies",
        note="薬",
        client_id="client-04",
    )
    db.session.commit()

    text = client.get("/metrics").get_data(as_text=True)

    for secret in ("佐藤", "ひがし自治会", "officer@example.jp", "地震がありました", "秘密", "薬"):
        assert secret not in text
    labels = {name for family in samples(text) for name, _value in family[1]}
    assert labels <= {
        "endpoint",
        "method",
        "status",
        "channel",
        "state",
        "drill",
        "feed",
        "worker",
        "outcome",
        "le",
    }


# The database away ---------------------------------------------------------------------------


def test_a_scrape_answers_while_the_database_is_away(app, configured_app, tmp_path):
    broken = configured_app(SQLALCHEMY_DATABASE_URI=unreachable_database(app, tmp_path))
    client = broken.test_client()
    client.get("/healthz")

    found = scrape(client)

    assert value(found, "jichikai_database_up") == 0
    assert requests_of(found, "health.healthz") >= 1
    assert not any(name.startswith("jichikai_outbox") for name, _labels in found)
