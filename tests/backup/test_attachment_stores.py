"""What `flask backup create` holds of the attachments, for each attachment store."""

import tarfile

import flask_migrate
from sqlalchemy import select

from jichikai.extensions import db
from jichikai.notices import attachments
from jichikai.notices.attachments import prepare
from jichikai.notices.models import Attachment
from jichikai.notices.services import NoticeInput, create_notice

from ..factories import make_association
from ..notices.helpers import PDF_BYTES
from ..storage.conftest import bucket, s3_server  # noqa: F401 (fixtures)
from .helpers import flask_command, instance_app


def _with_attachment(app) -> None:
    with app.app_context():
        flask_migrate.upgrade()
        association, admin = make_association()
        create_notice(association, admin, NoticeInput(title="回覧"), [prepare("a.pdf", PDF_BYTES)])
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def test_with_the_database_store_the_attachments_are_in_the_database_copy(tmp_path):
    source = instance_app(tmp_path / "source", ATTACHMENT_STORAGE="database")
    _with_attachment(source)
    archive = tmp_path / "backup.tar.gz"
    created = flask_command(source, "backup", "create", str(archive))
    assert created.exit_code == 0, created.output
    assert "kept in the database" in created.output
    with tarfile.open(archive) as opened:
        assert not [name for name in opened.getnames() if name.startswith("uploads/")]

    target = instance_app(tmp_path / "target", ATTACHMENT_STORAGE="database")
    restored = flask_command(target, "backup", "restore", str(archive))
    assert restored.exit_code == 0, restored.output
    with target.app_context():
        item = db.session.scalars(select(Attachment)).one()
        assert attachments.read(item.association_id, item.storage_key) == PDF_BYTES
        db.session.remove()
        db.engine.dispose()


def test_with_a_bucket_the_backup_says_the_attachments_are_not_in_it(tmp_path, bucket):  # noqa: F811
    source = instance_app(tmp_path / "source", **bucket)
    _with_attachment(source)
    created = flask_command(source, "backup", "create", str(tmp_path / "backup.tar.gz"))
    assert created.exit_code == 0, created.output
    assert f"bucket {bucket['ATTACHMENT_S3_BUCKET']}" in created.output
    assert "not in this archive" in created.output
