"""`flask backup`: a populated SQLite instance is backed up, checked and restored elsewhere."""

import io
import json
import os
import sqlite3
import tarfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import flask_migrate
import pytest
from flask import Flask
from sqlalchemy import func, select, text

from jichikai import create_app
from jichikai.backup.services import MANIFEST
from jichikai.database import utcnow
from jichikai.demo.seed import seed_demo
from jichikai.disaster.models import CheckIn, DisasterEvent
from jichikai.disaster.services import start_event, submit_checkin
from jichikai.extensions import db
from jichikai.health.services import SCHEDULER, beat, migration_heads
from jichikai.notices.attachments import prepare
from jichikai.notices.models import Attachment, Notice
from jichikai.notices.services import NoticeInput, create_notice
from jichikai.org.models import Household, Member
from jichikai.push.vapid import app_vapid, public_key_b64

from ..notices.helpers import PDF_BYTES, png_bytes
from .helpers import CONFIG, flask_command, instance_app, mode

MODELS = (Member, Household, Notice, Attachment, DisasterEvent, CheckIn)


def run(app: Flask, *args: str):
    return flask_command(app, "backup", *args)


def counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        found = {m.__name__: db.session.scalar(select(func.count()).select_from(m)) for m in MODELS}
        db.session.remove()
        db.engine.dispose()
    return found


@dataclass
class Source:
    app: Flask
    folder: Path
    archive: Path
    counts: dict[str, int]
    card_token: str
    cookies: dict[str, str]
    notice_id: int
    files: dict[int, bytes]  # attachment id: original bytes
    secret_key: str


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Source:
    """The demo association with a circular (a PDF and a photo), a disaster event with
    check-ins, a push key and a logged-in phone; backed up while the app is loaded."""
    previous = os.umask(0o022)  # files would be 0644 unless made private
    try:
        return _populated_and_backed_up(tmp_path_factory.mktemp("source") / "instance")
    finally:
        os.umask(previous)


def _populated_and_backed_up(folder: Path) -> Source:
    app = instance_app(folder)
    with app.app_context():
        flask_migrate.upgrade()
        association, accounts = seed_demo()
        officer = next(a.member for a in accounts if a.role == "officer")
        member_account = next(a for a in accounts if a.role == "member")
        notice = create_notice(
            association,
            officer,
            NoticeInput(title="防災訓練のお知らせ", body="十月に訓練をします。"),
            [prepare("annai.pdf", PDF_BYTES), prepare("chizu.png", png_bytes())],
            now=utcnow(),
        )
        event = start_event(
            association,
            kind="earthquake",
            title="地震がありました",
            message="安否を知らせてください。",
            drill=False,
            started_by=officer,
        )
        members = db.session.scalars(
            select(Member).where(Member.association_id == association.id).limit(5)
        ).all()
        for member in members:
            submit_checkin(
                member, event_id=event.id, status="safe_home", client_id=uuid.uuid4().hex
            )
        db.session.commit()
        app_vapid(app)  # the push key, created on first use
        notice_id = notice.id
        files = {
            a.id: (folder / "uploads" / str(association.id) / f"{a.storage_key}.bin").read_bytes()
            for a in notice.attachments
        }
        token = member_account.token
        db.session.remove()

    client = app.test_client()
    client.post(f"/c/{token}")
    cookies = {name: client.get_cookie(name).value for name in ("session", "remember_token")}

    archive = folder.parent / "backup.tar.gz"
    result = run(app, "create", str(archive))
    assert result.exit_code == 0, result.output
    return Source(
        app,
        folder,
        archive,
        counts(app),
        token,
        cookies,
        notice_id,
        files,
        (folder / "secret_key").read_text(),
    )


def test_the_archive_is_private_and_lists_every_file(source):
    assert mode(source.archive) == 0o600
    with tarfile.open(source.archive) as archive:
        names = set(archive.getnames())
        manifest = json.load(archive.extractfile(MANIFEST))
    heads = migration_heads(source.app.extensions["migrate"].directory)
    assert manifest["alembic_revision"] in heads
    assert manifest["database"] == "sqlite"
    assert manifest["secret_key"] == "instance"
    assert manifest["missing_files"] == []
    assert set(manifest["files"]) == names - {MANIFEST}
    assert {"jichikai.sqlite3", "secret_key"} <= names
    assert "vapid_private.pem" not in names  # the push key is in the database
    uploads = [name for name in names if name.startswith("uploads/")]
    assert len(uploads) == 3  # the PDF, the photo and the photo's small version
    assert all(len(entry["sha256"]) == 64 for entry in manifest["files"].values())


def test_a_restored_instance_has_the_data_files_and_keys(source, tmp_path):
    target = instance_app(tmp_path / "instance")
    result = run(target, "restore", str(source.archive))
    assert result.exit_code == 0, result.output
    assert "older than this code" not in result.output
    assert "warning" not in result.output

    with target.app_context():
        flask_migrate.upgrade()  # at head already: changes nothing
    assert counts(target) == source.counts
    assert counts(target)["CheckIn"] == 5 and counts(target)["Attachment"] == 2
    folder = tmp_path / "instance"
    assert (folder / "secret_key").read_text() == source.secret_key
    with source.app.app_context(), target.app_context():
        assert public_key_b64(app_vapid(target)) == public_key_b64(app_vapid(source.app))
    assert not (folder / "vapid_private.pem").exists()
    assert mode(folder / "jichikai.sqlite3") == 0o600
    for path in (folder / "uploads").rglob("*"):
        assert mode(path) == (0o700 if path.is_dir() else 0o600)

    with target.app_context():
        notice = db.session.get(Notice, source.notice_id)
        assert notice.title == "防災訓練のお知らせ"
        event = db.session.scalars(select(DisasterEvent)).one()
        assert event.ended_at is None and event.title == "地震がありました"
        db.session.remove()


def test_the_restored_copy_serves_members_and_their_attachments(source, tmp_path):
    target = instance_app(tmp_path / "instance")
    assert run(target, "restore", str(source.archive)).exit_code == 0
    # The same secret key: a phone logged in before the backup stays logged in.
    target = instance_app(tmp_path / "instance")  # started again, as after a restore
    phone = target.test_client()
    for name, value in source.cookies.items():
        phone.set_cookie(name, value)
    page = phone.get(f"/notices/{source.notice_id}")
    assert page.status_code == 200
    assert "防災訓練のお知らせ" in page.get_data(as_text=True)
    for attachment_id, data in source.files.items():
        answer = phone.get(f"/notices/{source.notice_id}/files/{attachment_id}")
        assert answer.status_code == 200
        assert answer.data == data
    # A printed card keeps working too.
    card = target.test_client()
    assert card.post(f"/c/{source.card_token}").status_code == 302
    with target.app_context():
        db.engine.dispose()


def rewrite(archive: Path, target: Path, change) -> Path:
    """A copy of an archive with its members passed through change(name, data)."""
    with tarfile.open(archive) as original, tarfile.open(target, "w:gz") as copy:
        for member in original:
            data = original.extractfile(member).read()
            for name, new in change(member.name, data):
                info = tarfile.TarInfo(name)
                info.size = len(new)
                copy.addfile(info, io.BytesIO(new))
    return target


def _flip_attachment(name, data):
    if name.endswith(".bin"):
        data = data[:-1] + bytes([data[-1] ^ 1])
    yield name, data


def _escape(name, data):
    yield name, data
    if name == "secret_key":
        yield "../escaped", data


def _without_manifest(name, data):
    if name != MANIFEST:
        yield name, data


def _truncate(archive: Path, target: Path) -> Path:
    target.write_bytes(archive.read_bytes()[:-2000])
    return target


DAMAGE = {
    "an attachment changed": lambda a, t: rewrite(a, t, _flip_attachment),
    "a file outside the instance": lambda a, t: rewrite(a, t, _escape),
    "no manifest": lambda a, t: rewrite(a, t, _without_manifest),
    "cut short": _truncate,
}
REASONS = {
    "an attachment changed": "does not match its checksum",
    "a file outside the instance": "does not belong in a backup",
    "no manifest": "no manifest.json",
    "cut short": "not a readable backup archive",
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_archive_is_refused_and_nothing_is_restored(source, tmp_path, damage):
    damaged = DAMAGE[damage](source.archive, tmp_path / "damaged.tar.gz")
    target = instance_app(tmp_path / "instance")
    assert run(target, "verify", str(damaged)).exit_code == 1

    result = run(target, "restore", str(damaged))
    assert result.exit_code == 1
    assert REASONS[damage] in result.output
    assert not (tmp_path / "escaped").exists()
    assert not (tmp_path / "instance" / "uploads").exists()
    with target.app_context():
        assert db.session.execute(text("SELECT name FROM sqlite_master")).all() == []
        db.engine.dispose()


def test_verify_accepts_a_sound_archive(source, tmp_path):
    result = run(instance_app(tmp_path / "instance"), "verify", str(source.archive))
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"ok\t{source.archive}")


def test_restore_into_an_instance_with_data_needs_force(source, tmp_path):
    folder = tmp_path / "instance"
    target = instance_app(folder)
    assert run(target, "restore", str(source.archive)).exit_code == 0
    with target.app_context():
        db.session.execute(text("DELETE FROM check_in"))
        db.session.commit()
        db.engine.dispose()

    refused = run(target, "restore", str(source.archive))
    assert refused.exit_code == 1
    assert "the database holds data" in refused.output
    assert "holds attachments" in refused.output
    assert counts(target)["CheckIn"] == 0

    forced = run(target, "restore", "--force", str(source.archive))
    assert forced.exit_code == 0, forced.output
    assert counts(target) == source.counts
    saved = [path for path in folder.iterdir() if path.name.startswith("replaced-")]
    assert len(saved) == 1 and mode(saved[0]) == 0o600
    assert run(target, "verify", str(saved[0])).exit_code == 0  # the replaced state, kept


def test_restore_refuses_while_a_worker_runs(source, tmp_path):
    target = instance_app(tmp_path / "instance")
    with target.app_context():
        flask_migrate.upgrade()
        beat(utcnow(), SCHEDULER)
        db.session.commit()
        db.engine.dispose()
    result = run(target, "restore", str(source.archive))
    assert result.exit_code == 1
    assert "a worker is running" in result.output


def _instance_at(folder: Path, revision: str) -> Flask:
    app = instance_app(folder)
    with app.app_context():
        flask_migrate.upgrade(revision=revision)
        db.engine.dispose()
    return app


def test_an_older_backup_is_brought_to_head_by_db_upgrade(tmp_path):
    older = _instance_at(tmp_path / "old", "jma_1")
    archive = tmp_path / "old.tar.gz"
    assert run(older, "create", str(archive)).exit_code == 0

    target = instance_app(tmp_path / "instance")
    result = run(target, "restore", str(archive))
    assert result.exit_code == 0, result.output
    assert "older than this code" in result.output
    with target.app_context():
        flask_migrate.upgrade()
        version = db.session.scalar(text("SELECT version_num FROM alembic_version"))
        db.engine.dispose()
    assert version in migration_heads(target.extensions["migrate"].directory)


def test_a_backup_from_a_newer_version_is_refused(tmp_path):
    newer = _instance_at(tmp_path / "new", "head")
    with newer.app_context():
        db.session.execute(text("UPDATE alembic_version SET version_num = 'future_1'"))
        db.session.commit()
        db.engine.dispose()
    archive = tmp_path / "new.tar.gz"
    assert run(newer, "create", str(archive)).exit_code == 0

    result = run(instance_app(tmp_path / "instance"), "restore", str(archive))
    assert result.exit_code == 1
    assert "newer than this version" in result.output


def test_create_never_overwrites_a_file(source):
    result = run(source.app, "create", str(source.archive))
    assert result.exit_code == 1
    assert "exists already" in result.output


def test_create_into_a_folder_names_the_file_by_time(tmp_path):
    app = _instance_at(tmp_path / "instance", "head")
    result = run(app, "create", str(tmp_path))
    assert result.exit_code == 0, result.output
    (made,) = tmp_path.glob("jichikai-backup-*.tar.gz")
    assert f"archive\t{made}" in result.output


def test_postgresql_gets_the_pg_dump_command_without_the_password(tmp_path):
    app = create_app(
        {**CONFIG, "SQLALCHEMY_DATABASE_URI": "postgresql://kairan:s3cret@db.internal:5433/town"},
        instance_path=str(tmp_path / "instance"),
    )
    result = run(app, "create", "/var/backups/town.pgdump")
    assert result.exit_code == 1
    assert (
        "pg_dump --format=custom --file=/var/backups/town.pgdump "
        "--dbname=postgresql://kairan@db.internal:5433/town"
    ) in result.output
    assert "s3cret" not in result.output
    assert f"--directory={tmp_path / 'instance'} secret_key" in result.output

    restore = run(app, "restore", __file__)
    assert restore.exit_code == 1
    assert "pg_restore --no-owner --single-transaction --exit-on-error" in restore.output
    assert "s3cret" not in restore.output


def test_a_backup_made_during_a_write_holds_the_committed_rows_only(tmp_path):
    """SQLite's online backup copies a consistent state without waiting for a writer."""
    app = _instance_at(tmp_path / "instance", "head")
    writer = sqlite3.connect(tmp_path / "instance" / "jichikai.sqlite3")
    insert = (
        "INSERT INTO association (name, municipality, timezone, settings, created_at)"
        " VALUES (?, '', 'Asia/Tokyo', '{}', '2026-01-01 00:00:00')"
    )
    writer.execute(insert, ("committed",))
    writer.commit()
    writer.execute("BEGIN IMMEDIATE")
    writer.execute(insert, ("in flight",))

    archive = tmp_path / "during.tar.gz"
    result = run(app, "create", str(archive))
    writer.commit()
    writer.close()
    assert result.exit_code == 0, result.output

    with tarfile.open(archive) as opened:
        opened.extract("jichikai.sqlite3", tmp_path / "copy", filter="data")
    copy = sqlite3.connect(tmp_path / "copy" / "jichikai.sqlite3")
    assert copy.execute("SELECT name FROM association").fetchall() == [("committed",)]
    copy.close()


def test_restore_warns_when_a_configured_key_overrides_the_restored_one(source, tmp_path):
    target = instance_app(tmp_path / "instance", SECRET_KEY="from-the-environment")
    result = run(target, "restore", str(source.archive))
    assert result.exit_code == 0, result.output
    assert "JICHIKAI_SECRET_KEY is set here" in result.output


def test_postgresql_backups_into_a_folder_name_their_files(tmp_path):
    folder = tmp_path / "instance"
    (folder / "uploads" / "1").mkdir(parents=True)
    (folder / "uploads" / "1" / "k.bin").write_bytes(PDF_BYTES)
    app = instance_app(folder, SQLALCHEMY_DATABASE_URI="postgresql://kairan@db.internal/town")
    result = run(app, "create", str(tmp_path))
    assert result.exit_code == 1
    assert f"--file={tmp_path}/jichikai-2" in result.output  # jichikai-<time>.pgdump
    assert f"--directory={folder} uploads secret_key)" in result.output
