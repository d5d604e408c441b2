"""Polling a local JMA: fetch once, If-Modified-Since, failures skipped, events started once."""

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import func, select

from jichikai.audit.models import AuditEvent
from jichikai.extensions import db
from jichikai.jma.models import JmaAlert, JmaEntry, JmaFeed
from jichikai.jma.poll import PollOptions, poll
from jichikai.jma.settings import MODE_ASK, save_settings
from jichikai.push.models import PushDelivery

from .conftest import NOW, SAKURA, subscribe

OPTIONS = PollOptions(timeout=2.0)


def _poll(*feeds, now=NOW, options=OPTIONS):
    report = poll(list(feeds), now=now, options=options)
    db.session.commit()
    return report


def _alerts(association_id):
    return list(
        db.session.scalars(select(JmaAlert).where(JmaAlert.association_id == association_id))
    )


def test_nothing_is_fetched_while_no_association_watches(world, jma, started):
    feed = jma.serve_feed("eqvol.xml", ["VXSE53_sakura_5plus.xml"])
    report = _poll(feed)
    assert jma.requests == []
    assert "nothing fetched" in report.lines[0]


def test_strong_shaking_in_the_city_starts_one_event(watching, jma, started):
    jma.serve_message("VXSE53_sakura_5plus.xml")
    feed = jma.serve_feed("eqvol.xml", ["VXSE53_sakura_5plus.xml"])

    report = _poll(feed)

    assert len(started.calls) == 1
    call = started.calls[0]
    assert call["association_id"] == watching.association.id
    assert call["kind"] == "earthquake"
    assert call["drill"] is False
    assert call["message"].startswith("２７日０９時５４分ころ、地震がありました。")
    assert call["source"]["type"] == "VXSE53"
    assert call["source"]["event_id"] == "20261127095412"
    assert call["source"]["link"] == jma.url("data/VXSE53_sakura_5plus.xml")
    assert call["source"]["headline"] == call["message"]
    [alert] = _alerts(watching.association.id)
    assert (alert.action, alert.disaster_event_id) == ("started", 101)
    assert _alerts(watching.outsider_association.id) == []
    assert any("started" in line for line in report.lines)


def test_an_entry_is_fetched_once_across_polls(watching, jma, started):
    jma.serve_message("VXSE53_sakura_5plus.xml")
    feed = jma.serve_feed("eqvol.xml", ["VXSE53_sakura_5plus.xml"], last_modified="a")
    _poll(feed)
    jma.serve_feed("eqvol.xml", ["VXSE53_sakura_5plus.xml"], last_modified="b")  # feed changed
    _poll(feed)
    assert jma.fetches_of("data/VXSE53_sakura_5plus.xml") == 1
    assert jma.fetches_of("eqvol.xml") == 2
    assert len(started.calls) == 1


def test_if_modified_since_is_sent_and_304_handled(watching, jma, started):
    jma.serve_message("VXSE53_sakura_5plus.xml")
    stamp = "Fri, 27 Nov 2026 01:00:00 GMT"
    feed = jma.serve_feed("eqvol.xml", ["VXSE53_sakura_5plus.xml"], last_modified=stamp)
    _poll(feed)
    report = _poll(feed)

    feed_requests = [h for p, h in jma.requests if p == "/eqvol.xml"]
    assert "If-Modified-Since" not in feed_requests[0]
    assert feed_requests[1]["If-Modified-Since"] == stamp
    assert any("not modified" in line for line in report.lines)
    state = db.session.scalar(select(JmaFeed).where(JmaFeed.url == feed))
    assert (state.last_modified, state.last_result) == (stamp, "not modified")


def test_messages_of_one_earthquake_start_one_event(watching, jma, started):
    names = ["VXSE51_area331_5plus.xml", "VXSE53_sakura_5plus.xml"]
    for name in names:
        jma.serve_message(name)
    _poll(jma.serve_feed("eqvol.xml", names))
    assert len(started.calls) == 1
    assert started.calls[0]["source"]["type"] == "VXSE51"  # the first message started it
    assert len(_alerts(watching.association.id)) == 1


def test_a_later_poll_with_the_same_event_id_starts_nothing(watching, jma, started):
    jma.serve_message("VXSE51_area331_5plus.xml")
    jma.serve_message("VXSE53_sakura_5plus.xml")
    _poll(jma.serve_feed("eqvol.xml", ["VXSE51_area331_5plus.xml"]))
    report = _poll(
        jma.serve_feed("eqvol.xml", ["VXSE51_area331_5plus.xml", "VXSE53_sakura_5plus.xml"], "x")
    )
    assert len(started.calls) == 1
    assert any("already handled" in line for line in report.lines)


def test_failures_are_logged_and_skipped(watching, jma, started, caplog):
    for name in ("VXSE53_truncated.xml", "unknown_message.xml", "VXSE53_sakura_5plus.xml"):
        jma.serve_message(name)
    names = [
        "VXSE53_truncated.xml",
        "missing_VXSE53.xml",  # 404
        "unknown_message.xml",
        "20260830_0_VPWS50_010000.xml",
        "VXSE53_sakura_5plus.xml",
    ]
    report = _poll(jma.serve_feed("eqvol.xml", names))

    entries = {e.link.rsplit("/", 1)[-1]: e for e in db.session.scalars(select(JmaEntry))}
    assert entries["VXSE53_truncated.xml"].status == "failed"
    assert entries["missing_VXSE53.xml"].status == "failed"
    assert "404" in entries["missing_VXSE53.xml"].error
    assert entries["unknown_message.xml"].status == "skipped"
    assert entries["20260830_0_VPWS50_010000.xml"].status == "unsupported"
    assert entries["VXSE53_sakura_5plus.xml"].status == "processed"
    assert jma.fetches_of("data/20260830_0_VPWS50_010000.xml") == 0
    assert len(started.calls) == 1  # the good message still acted
    assert report.failed == 2
    assert "VXSE53_truncated.xml" in caplog.text

    _poll(jma.serve_feed("eqvol.xml", names, "later"))
    assert jma.fetches_of("data/missing_VXSE53.xml") == 1  # a 404 is not fetched again
    assert jma.fetches_of("data/VXSE53_truncated.xml") == 1


def test_a_feed_that_times_out_is_skipped(watching, jma, started):
    slow = jma.serve("slow.xml", hang=True)
    jma.serve_message("VXSE53_sakura_5plus.xml")
    feed = jma.serve_feed("eqvol.xml", ["VXSE53_sakura_5plus.xml"])
    report = _poll(slow, feed, options=PollOptions(timeout=1.0))
    assert any("timed out" in line for line in report.lines)
    assert len(started.calls) == 1  # the other feed was still read


def test_a_message_that_times_out_is_tried_again_later(watching, jma, started):
    jma.serve("data/VXSE53_sakura_5plus.xml", hang=True)
    feed = jma.serve_feed("eqvol.xml", ["VXSE53_sakura_5plus.xml"])
    _poll(feed, options=PollOptions(timeout=1.0))
    entry = db.session.scalar(select(JmaEntry))
    assert (entry.status, entry.attempts) == ("failed", 1)

    jma.serve_message("VXSE53_sakura_5plus.xml")
    _poll(jma.serve_feed("eqvol.xml", ["VXSE53_sakura_5plus.xml"], "later"))
    db.session.refresh(entry)
    assert (entry.status, entry.attempts) == ("processed", 2)
    assert len(started.calls) == 1


def test_links_to_other_hosts_are_never_fetched(watching, jma, started):
    """The real 2021 feed lists www.data.jma.go.jp links: served from 127.0.0.1, all refused."""
    from .conftest import message

    feed = jma.serve("eqvol.xml", message("feed_eqvol_20211112.xml"))
    report = _poll(feed)
    statuses = set(db.session.scalars(select(JmaEntry.status)))
    assert statuses == {"refused"}
    assert [p for p, _h in jma.requests] == ["/eqvol.xml"]
    assert report.fetched == 0


def test_old_entries_are_not_fetched(watching, jma, started):
    from datetime import timedelta

    jma.serve_message("VXSE53_sakura_5plus.xml")
    feed = jma.serve_feed("eqvol.xml", ["VXSE53_sakura_5plus.xml"])
    _poll(feed, now=NOW + timedelta(hours=3))
    assert jma.fetches_of("data/VXSE53_sakura_5plus.xml") == 0
    assert db.session.scalar(select(JmaEntry.status)) == "stale"


def test_ask_mode_proposes_and_sends_officers_a_high_urgency_push(watching, jma, started):
    save_settings(watching.association, replace(SAKURA, mode=MODE_ASK), by=None)
    for member in (watching.officer, watching.admin, watching.member, watching.outsider):
        subscribe(member)
    jma.serve_message("VXSE53_sakura_5plus.xml")
    _poll(jma.serve_feed("eqvol.xml", ["VXSE53_sakura_5plus.xml"]))

    assert started.calls == []
    [alert] = _alerts(watching.association.id)
    assert alert.action == "proposed"
    assert alert.source["event_id"] == "20261127095412"
    deliveries = list(db.session.scalars(select(PushDelivery)))
    assert {d.subscription.member_id for d in deliveries} == {
        watching.officer.id,
        watching.admin.id,
    }
    assert {d.urgency for d in deliveries} == {"high"}
    assert {d.url for d in deliveries} == {f"/admin/jma/alerts/{alert.id}"}


def test_refused_start_is_recorded_and_officers_told(watching, jma, started):
    started.refuse = "an event is already active"
    subscribe(watching.officer)
    jma.serve_message("VPWW53_saitama_heavy_rain_issued.xml")
    _poll(jma.serve_feed("extra.xml", ["VPWW53_saitama_heavy_rain_issued.xml"]))
    [alert] = _alerts(watching.association.id)
    assert (alert.action, alert.note) == ("not_started", "an event is already active")
    assert db.session.scalar(select(func.count(PushDelivery.id))) == 1


def test_cancellation_tells_officers_and_ends_nothing(watching, jma, started):
    subscribe(watching.officer)
    names = ["VXSE53_sakura_5plus.xml", "VXSE53_sakura_5plus_cancel.xml"]
    for name in names:
        jma.serve_message(name)
    report = _poll(jma.serve_feed("eqvol.xml", names))

    [alert] = _alerts(watching.association.id)
    assert alert.action == "started"  # still running: only the officers decide to end it
    assert alert.cancelled_at is not None
    assert alert.cancel_headline == "震源・震度情報を取り消します。"
    assert len(report.cancelled) == 1
    [delivery] = db.session.scalars(select(PushDelivery))
    assert delivery.title.startswith("取消")
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "jma.cancelled"))


def test_cancellation_of_an_unrelated_earthquake_tells_nobody(watching, jma, started):
    subscribe(watching.officer)
    jma.serve_message("32-35_10_01_220510_VXSE51.xml")
    _poll(jma.serve_feed("eqvol.xml", ["32-35_10_01_220510_VXSE51.xml"]))
    assert db.session.scalar(select(func.count(PushDelivery.id))) == 0


def test_training_starts_a_drill_only_when_chosen(watching, jma, started):
    jma.serve_message("VXSE53_training.xml")
    jma.serve_message("VXSE53_test.xml")
    _poll(jma.serve_feed("eqvol.xml", ["VXSE53_training.xml", "VXSE53_test.xml"]))
    assert started.calls == []

    save_settings(watching.association, replace(SAKURA, drill_from_training=True), by=None)
    db.session.execute(JmaEntry.__table__.delete())  # as if the messages came again
    _poll(jma.serve_feed("eqvol.xml", ["VXSE53_training.xml", "VXSE53_test.xml"], "again"))
    assert [c["drill"] for c in started.calls] == [True]


def test_weather_warning_and_landslide_alert_each_start_once(watching, jma, started):
    names = [
        "VXWW50_saitama_issued.xml",
        "VPWW53_saitama_heavy_rain_issued.xml",
        "VPWW53_saitama_heavy_rain_lifted.xml",
    ]
    for name in names:
        jma.serve_message(name)
    _poll(jma.serve_feed("extra.xml", names))
    assert [c["kind"] for c in started.calls] == ["landslide", "flood"]


def test_a_message_whose_rules_fail_is_rolled_back_alone(watching, jma, started, monkeypatch):
    from jichikai.jma import alerts

    def broken(association, **kwargs):
        if kwargs["kind"] == "landslide":
            raise RuntimeError("boom")
        return started(association, **kwargs)

    monkeypatch.setattr(alerts, "start_disaster_event", broken)
    names = ["VXWW50_saitama_issued.xml", "VPWW53_saitama_heavy_rain_issued.xml"]
    for name in names:
        jma.serve_message(name)
    report = _poll(jma.serve_feed("extra.xml", names))

    assert [a.kind for a in _alerts(watching.association.id)] == ["flood"]
    statuses = {e.type_code: e.status for e in db.session.scalars(select(JmaEntry))}
    assert statuses == {"VXWW50": "failed", "VPWW53": "processed"}
    assert report.failed == 1


def test_the_real_feeds_links_are_jma_data_files():
    """The 2021 capture, read from its own host: no link is refused."""
    from jichikai.jma.messages import parse_feed
    from jichikai.jma.poll import link_problem

    from .conftest import message

    entries = parse_feed(message("feed_eqvol_20211112.xml"))
    feed = "https://www.data.jma.go.jp/developer/xml/feed/eqvol.xml"
    assert entries
    assert [e.link for e in entries if link_problem(e.link, feed)] == []


def test_a_claim_left_by_a_poll_that_died_is_taken_over_after_the_lease(watching, jma, started):
    from datetime import timedelta

    from jichikai.jma.poll import CLAIM_LEASE, link_key

    link = jma.serve_message("VXSE53_sakura_5plus.xml")
    db.session.add(
        JmaEntry(
            link_key=link_key(link),
            link=link,
            status="fetching",
            attempts=1,
            first_seen_at=NOW,
            claimed_at=NOW - timedelta(minutes=1),
        )
    )
    db.session.commit()
    feed = jma.serve_feed("eqvol.xml", ["VXSE53_sakura_5plus.xml"], "a")
    report = _poll(feed)
    assert jma.fetches_of("data/VXSE53_sakura_5plus.xml") == 0  # another poll may still be at it
    assert "0 new" in report.lines[0]

    jma.serve_feed("eqvol.xml", ["VXSE53_sakura_5plus.xml"], "b")
    _poll(feed, now=NOW + CLAIM_LEASE)
    entry = db.session.scalar(select(JmaEntry))
    assert (entry.status, entry.attempts) == ("processed", 2)
    assert jma.fetches_of("data/VXSE53_sakura_5plus.xml") == 1
    assert len(started.calls) == 1


def test_the_last_successful_read_of_a_feed_is_kept_through_failures(watching, jma, started):
    feed = jma.serve_feed("eqvol.xml", [], last_modified="a")
    _poll(feed, now=NOW)
    later = NOW + timedelta(minutes=1)
    _poll(feed, now=later)  # not modified: read too
    jma.serve("eqvol.xml", b"", status=503)
    _poll(feed, now=later + timedelta(minutes=1))

    state = db.session.scalar(select(JmaFeed).where(JmaFeed.url == feed))
    assert state.last_result.startswith("error:")
    assert state.last_polled_at == later + timedelta(minutes=1)
    assert state.last_success_at == later
