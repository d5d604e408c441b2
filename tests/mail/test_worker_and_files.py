"""The worker's email loop, the commands, the settings from the environment, and .eml files."""

import email
import email.policy
import logging
import stat

from jichikai import create_app
from jichikai.extensions import db
from jichikai.mail.settings import SMTP_BACKEND, mail_settings
from jichikai.push.worker import Worker

from ..conftest import TEST_CONFIG
from .helpers import email_rows, give_email, queue_simple, send_email


def test_the_worker_sends_email_in_its_own_loop(app, world, smtp):
    give_email(world.member, "hanako@example.jp")
    db.session.commit()
    queue_simple([world.member], "ワーカーから")
    worker = Worker(app, run_scheduler=False)
    try:
        assert "email" in worker.channels
        more = worker.send_pass("email")
    finally:
        worker.stop()

    assert more is False
    assert [r.parsed()["Subject"] for r in smtp.received] == ["ワーカーから"]
    assert [r.status for r in email_rows()] == ["sent"]


def test_the_worker_keeps_going_while_the_server_is_down(app, world, smtp, caplog):
    give_email(world.member, "hanako@example.jp")
    db.session.commit()
    queue_simple([world.member], "待っていた回覧")
    smtp.stop()
    worker = Worker(app, run_scheduler=False)
    try:
        with caplog.at_level(logging.WARNING, logger="jichikai.mail"):
            worker.send_pass("email")
    finally:
        worker.stop()

    assert "cannot connect" in caplog.text
    assert [r.status for r in email_rows()] == ["pending"]


def test_outbox_send_pending_for_the_email_channel(app, world, smtp, runner):
    give_email(world.member, "hanako@example.jp")
    db.session.commit()
    queue_simple([world.member], "コマンドから")

    result = runner.invoke(args=["outbox", "send-pending", "--channel", "email"])

    assert result.exit_code == 0, result.output
    assert "email\tsent 1," in result.output
    assert len(smtp.received) == 1


def test_push_send_pending_sends_email_too(app, world, smtp, runner):
    give_email(world.member, "hanako@example.jp")
    db.session.commit()
    queue_simple([world.member], "全部のチャンネル")

    result = runner.invoke(args=["push", "send-pending"])

    assert result.exit_code == 0, result.output
    assert "push\t" in result.output and "email\tsent 1," in result.output


def test_impossible_settings_turn_the_channel_off_with_the_reason(app, world, runner):
    give_email(world.member, "hanako@example.jp")
    db.session.commit()
    queue_simple([world.member], "送れない")
    saved = app.config["MAIL_USE_TLS"], app.config["MAIL_USE_SSL"]
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_USE_TLS=True, MAIL_USE_SSL=True)
    try:
        result = runner.invoke(args=["outbox", "send-pending", "--channel", "email"])
    finally:
        app.config.update(MAIL_SERVER="", MAIL_USE_TLS=saved[0], MAIL_USE_SSL=saved[1])

    assert result.exit_code != 0
    assert "MAIL_USE_TLS" in result.output and "1 waiting" in result.output


def test_settings_come_from_the_environment(app, monkeypatch):
    monkeypatch.setenv("JICHIKAI_MAIL_SERVER", "127.0.0.1")
    monkeypatch.setenv("JICHIKAI_MAIL_PORT", "2525")
    monkeypatch.setenv("JICHIKAI_MAIL_USE_TLS", "true")
    monkeypatch.setenv("JICHIKAI_MAIL_DEFAULT_SENDER", "kairan@example.jp")
    monkeypatch.setenv("JICHIKAI_MAIL_BATCH_SIZE", "20")
    other = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"})

    settings = mail_settings(other)

    assert settings.backend == SMTP_BACKEND
    assert (settings.server, settings.port, settings.use_tls) == ("127.0.0.1", 2525, True)
    assert settings.sender == "kairan@example.jp" and settings.batch_size == 20
    assert other.extensions["mailman"].backend == SMTP_BACKEND  # not Flask-Mailman's locmem


def test_without_a_server_each_message_is_a_private_eml_file(app, world, tmp_path, caplog):
    saved = {k: app.config[k] for k in ("MAIL_SERVER", "MAIL_FILE_PATH", "MAIL_BACKEND")}
    app.config.update(MAIL_SERVER="", MAIL_BACKEND="", MAIL_FILE_PATH=str(tmp_path / "mail"))
    give_email(world.member, "hanako@example.jp")
    give_email(world.housemate, "ichiro@docomo.ne.jp")
    db.session.commit()
    queue_simple([world.member, world.housemate], "ファイルに書く回覧")
    try:
        with caplog.at_level(logging.INFO, logger="jichikai.mail"):
            summary = send_email()
    finally:
        app.config.update(saved)

    assert summary.sent == 2
    folder = tmp_path / "mail"
    files = sorted(folder.glob("*.eml"))
    assert len(files) == 2
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    parsed = [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]
    assert sorted(m["To"] for m in parsed) == ["hanako@example.jp", "ichiro@docomo.ne.jp"]
    assert all(m["Subject"] == "ファイルに書く回覧" for m in parsed)
    lines = [r.getMessage() for r in caplog.records if r.name == "jichikai.mail.files"]
    assert len(lines) == 2
    assert any("hanako@example.jp" in line and "ファイルに書く回覧" in line for line in lines)
    assert [r.status for r in email_rows()] == ["sent", "sent"]
