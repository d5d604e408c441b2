"""VAPID keys, the worker's scheduler and leader lock, the embedded start, pruning."""

import logging
import stat
import threading
import time
from datetime import timedelta

import pytest
from py_vapid import Vapid02
from sqlalchemy import select

from jichikai.database import DatabaseOutage, utcnow
from jichikai.extensions import db
from jichikai.keys.models import ServerKey
from jichikai.push.delivery import prune
from jichikai.push.jobs import JOBS
from jichikai.push.models import PushDelivery, PushSubscription
from jichikai.push.services import PushMessage, notify
from jichikai.push.vapid import (
    TOKEN_LIFETIME,
    VapidError,
    VapidSigner,
    app_subject,
    load_or_create,
    public_key_b64,
    rotate,
)
from jichikai.push.worker import LeaderLock, Worker, build_scheduler, run_job
from jichikai.scheduling import ScheduledJob, all_jobs

from .emulator import unb64url, verify_vapid
from .helpers import subscribe_browser


def test_the_key_is_created_once_readable_by_the_owner_only(tmp_path):
    path = tmp_path / "vapid_private.pem"
    first = load_or_create(path)
    again = load_or_create(path)
    assert public_key_b64(first) == public_key_b64(again)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(unb64url(public_key_b64(first))) == 65


def test_rotation_gives_a_new_key(tmp_path):
    path = tmp_path / "vapid_private.pem"
    old = load_or_create(path)
    new = rotate(path)
    assert public_key_b64(new) != public_key_b64(old)
    assert public_key_b64(load_or_create(path)) == public_key_b64(new)


def test_vapid_keys_command_shows_and_rotates(app, world, emulator, runner, tmp_instance):
    shown = runner.invoke(args=["push", "vapid-keys"])
    subscribe_browser(emulator, world.member)
    rotated = runner.invoke(args=["push", "vapid-keys", "--rotate", "--yes"])
    assert shown.exit_code == 0 and rotated.exit_code == 0, rotated.output
    old_key = shown.output.split("public key\t")[1].split()[0]
    new_key = rotated.output.split("public key\t")[1].split()[0]
    assert old_key != new_key
    assert "1 subscriptions deleted" in rotated.output
    assert db.session.scalars(select(PushSubscription)).all() == []
    stored = db.session.get(ServerKey, "vapid_private_key").value
    assert public_key_b64(Vapid02.from_string(stored)) == new_key
    assert not (tmp_instance / "vapid_private.pem").exists()  # kept in the database only


def test_the_jwt_is_cached_per_origin_and_renewed_before_expiry():
    key = Vapid02()
    key.generate_keys()
    now = [1_800_000_000.0]
    signer = VapidSigner(key, "https://jichikai.example.jp", clock=lambda: now[0])
    a1 = signer.authorization("https://fcm.googleapis.com/fcm/send/1")
    a2 = signer.authorization("https://fcm.googleapis.com/fcm/send/2")
    b = signer.authorization("https://updates.push.services.mozilla.com/wpush/v2/x")
    assert a1 == a2 and a1 != b and signer.signed == 2

    claims = verify_vapid(a1, "https://fcm.googleapis.com", now=now[0])
    assert claims["exp"] == int(now[0]) + TOKEN_LIFETIME

    now[0] += TOKEN_LIFETIME - 3 * 3600  # 3 h left: still good
    assert signer.authorization("https://fcm.googleapis.com/x") == a1
    now[0] += 2 * 3600  # 1 h left: re-signed
    assert signer.authorization("https://fcm.googleapis.com/x") != a1
    assert signer.signed == 3


@pytest.mark.parametrize("subject", ["", "ops@example.jp", "http://example.jp", "mailto:"])
def test_the_subject_must_be_mailto_or_https(app, subject):
    saved = app.config["PUSH_VAPID_SUBJECT"]
    app.config["PUSH_VAPID_SUBJECT"] = subject
    try:
        with pytest.raises(VapidError):
            app_subject(app)
    finally:
        app.config["PUSH_VAPID_SUBJECT"] = saved


def test_push_declares_its_prune_job():
    assert "push.prune" in {job.id for job in all_jobs()}


def test_scheduler_jobs_coalesce_and_never_overlap(app):
    scheduler = build_scheduler(app, JOBS, DatabaseOutage(logging.getLogger(), max_delay=1))
    scheduler.start(paused=True)
    try:
        [job] = scheduler.get_jobs()
    finally:
        scheduler.shutdown(wait=False)
    assert job.coalesce is True
    assert job.max_instances == 1
    assert job.misfire_grace_time == 1800


def test_a_failing_job_is_logged_and_rolled_back(app, world, caplog):
    def broken(now):
        world.member.name = "changed"
        db.session.flush()
        raise RuntimeError("boom")

    run_job(
        app,
        ScheduledJob("test.broken", broken, 60),
        DatabaseOutage(logging.getLogger(), max_delay=1),
    )
    assert "job test.broken failed" in caplog.text
    db.session.expire_all()
    assert world.member.name != "changed"


def test_only_one_process_holds_the_scheduler_lock(app, tmp_instance):
    first, second = LeaderLock(app), LeaderLock(app)
    try:
        assert first.try_acquire()
        assert not second.try_acquire()
        assert first.still_held()
        first.release()
        assert second.try_acquire()
    finally:
        first.release()
        second.release()


def test_prune_removes_dead_subscriptions_and_old_rows(world, emulator):
    _b, expired = subscribe_browser(emulator, world.member)
    _b, failing = subscribe_browser(emulator, world.housemate)
    _b, inactive = subscribe_browser(emulator, world.leader)
    _b, healthy = subscribe_browser(emulator, world.officer)
    now = utcnow()
    expired.expires_at = now - timedelta(minutes=1)
    failing.failures = 5
    world.leader.active = False
    notify([world.officer], PushMessage("古い回覧"))
    db.session.flush()
    old = db.session.scalars(select(PushDelivery)).one()
    old.status, old.created_at = "sent", now - timedelta(days=31)
    db.session.commit()

    counts = prune(now)
    db.session.commit()

    assert counts == {"subscriptions": 3, "deliveries": 1}
    assert [s.id for s in db.session.scalars(select(PushSubscription))] == [healthy.id]


def test_create_app_starts_no_worker(app):
    assert app.extensions.get("jichikai.push", {}).get("worker") is None


def test_the_first_request_starts_the_embedded_worker_once(app, client, monkeypatch):
    started = []
    monkeypatch.setattr(Worker, "start", lambda self: started.append(self))
    app.config["RUN_WORKER_IN_PROCESS"] = True
    try:
        client.get("/login")
        client.get("/login")
    finally:
        app.config["RUN_WORKER_IN_PROCESS"] = False
        app.extensions["jichikai.push"].pop("worker", None)
    assert len(started) == 1


def test_the_worker_sends_what_is_queued(app, world, emulator):
    browser, _ = subscribe_browser(emulator, world.member)
    notify([world.member], PushMessage("ワーカーから"))
    db.session.commit()
    app.config["PUSH_POLL_SECONDS"] = 0.05
    worker = Worker(app, run_scheduler=False)
    worker.start()
    try:
        deadline = time.monotonic() + 10
        while not emulator.payloads_for(browser) and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        worker.stop()
        app.config["PUSH_POLL_SECONDS"] = 2.0
    assert [p["title"] for p in emulator.payloads_for(browser)] == ["ワーカーから"]
    db.session.expire_all()
    assert db.session.scalars(select(PushDelivery.status)).all() == ["sent"]


def test_importing_and_building_the_app_starts_no_thread(app):
    assert not any(t.name.startswith("jichikai-") for t in threading.enumerate())
