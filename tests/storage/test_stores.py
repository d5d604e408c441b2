"""Attachment stores: the same behaviour from the local folder, a bucket and the database."""

import pytest
from sqlalchemy import func, select

from jichikai.extensions import db
from jichikai.notices.models import Attachment
from jichikai.storage import DatabaseStore, LocalStore, S3Store, StorageError
from jichikai.storage.models import StoredFile
from jichikai.storage.stores import attachment_store, build_store, check_config

from ..factories import login
from ..notices.helpers import PDF_BYTES, make_notice, png_bytes
from .conftest import objects


@pytest.fixture(params=["local", "s3", "database"])
def store(request, app, tmp_path):
    """Each kind of store, configured as the app would build it."""
    settings = {"ATTACHMENT_STORAGE": request.param, "NOTICE_UPLOAD_FOLDER": str(tmp_path)}
    if request.param == "s3":
        settings.update(request.getfixturevalue("bucket"))
    saved = {key: app.config.get(key) for key in settings}
    app.config.update(settings)
    yield attachment_store(app)
    app.config.update(saved)


def test_a_store_keeps_gives_back_lists_and_deletes_files(store, world):
    association_id = world.association.id
    store.put(association_id, f"{association_id}/a.bin", PDF_BYTES)
    store.put(association_id, f"{association_id}/a.web.jpg", b"small")
    db.session.commit()
    assert store.get(f"{association_id}/a.bin") == PDF_BYTES
    assert list(store.names()) == [f"{association_id}/a.bin", f"{association_id}/a.web.jpg"]

    store.delete(f"{association_id}/a.bin")
    store.delete(f"{association_id}/never.bin")  # missing: not an error
    db.session.commit()
    assert store.get(f"{association_id}/a.bin") is None
    assert list(store.names()) == [f"{association_id}/a.web.jpg"]


@pytest.mark.parametrize("name", ["../x.bin", "1/../../x", "x/a.bin", "/1/a.bin", "1/2/a.bin"])
def test_a_name_outside_the_store_is_refused(store, name):
    with pytest.raises(ValueError):
        store.get(name)


def test_the_configuration_builds_the_chosen_store(app, tmp_path, bucket):
    assert isinstance(build_store(app), LocalStore)
    assert isinstance(_built(app, ATTACHMENT_STORAGE="database"), DatabaseStore)
    s3 = _built(app, **bucket, ATTACHMENT_S3_PREFIX="/city/")
    assert isinstance(s3, S3Store) and s3.prefix == "city/"
    assert bucket["ATTACHMENT_S3_BUCKET"] in s3.describe() and "testing" not in s3.describe()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"ATTACHMENT_STORAGE": "nfs"}, "one of local, s3, database"),
        ({"ATTACHMENT_STORAGE": "s3"}, "JICHIKAI_ATTACHMENT_S3_BUCKET"),
    ],
)
def test_a_wrong_storage_setting_stops_the_start(settings, message):
    with pytest.raises(StorageError, match=message):
        check_config(settings)


def _built(app, **settings):
    saved = {key: app.config.get(key) for key in settings}
    app.config.update(settings)
    try:
        return build_store(app)
    finally:
        app.config.update(saved)


# The notices' attachments through the store ---------------------------------------------


@pytest.mark.parametrize("kind", ["s3", "database"])
def test_two_machines_serve_the_same_attachment(kind, world, web_apps, request):
    settings = request.getfixturevalue("bucket") if kind == "s3" else {"ATTACHMENT_STORAGE": kind}
    web1, web2 = web_apps(**settings)
    photo = png_bytes((2000, 1500))
    officer = web1.test_client()
    login(officer, world.officer)
    response = officer.post(
        "/notices/new",
        data={"title": "避難訓練", "body": "地図を添えます。", "files": [(_io(photo), "map.png")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    item = db.session.scalars(select(Attachment)).one()

    member = web2.test_client()
    login(member, world.member)
    url = f"/notices/{item.notice_id}/files/{item.id}"
    original, small = member.get(url), member.get(f"{url}/web")
    assert original.status_code == 200 and original.data == photo
    assert small.status_code == 200 and small.mimetype == "image/jpeg"
    assert officer.get(url).data == photo  # and the first machine too
    for web in (web1, web2):
        assert not (web.instance_path and _has_uploads(web.instance_path))


def test_the_bucket_holds_the_files_and_a_deleted_attachment_goes(world, web_apps, bucket):
    (web,) = web_apps(**bucket)[:1]
    with web.app_context():
        notice = make_notice(world, files=[("a.pdf", PDF_BYTES), ("b.png", png_bytes())])
        ids = (notice.id, [a.id for a in notice.attachments])
        keys = {a.storage_key for a in notice.attachments}
    assert len(objects(bucket)) == 3  # the PDF, the image and its small version
    assert {name.split("/")[1].split(".")[0] for name in objects(bucket)} == keys

    client = web.test_client()
    login(client, world.officer)
    notice_id, (pdf_id, png_id) = ids
    response = client.post(f"/notices/{notice_id}/attachments/{png_id}/delete")
    assert response.status_code == 303
    assert [name.endswith(".bin") for name in objects(bucket)] == [True]
    assert client.get(f"/notices/{notice_id}/files/{pdf_id}").data == PDF_BYTES


def test_a_rolled_back_save_leaves_nothing_in_the_bucket(world, web_apps, bucket):
    (web,) = web_apps(**bucket)[:1]
    with web.app_context():
        make_notice(world, commit=False, files=[("a.pdf", PDF_BYTES)])
        assert len(objects(bucket)) == 1
        db.session.rollback()
    assert objects(bucket) == []


def test_the_database_store_follows_the_transaction(world, web_apps):
    (web,) = web_apps(ATTACHMENT_STORAGE="database")[:1]
    with web.app_context():
        make_notice(world, commit=False, files=[("a.pdf", PDF_BYTES)])
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0
        notice = make_notice(world, files=[("a.pdf", PDF_BYTES)])
        stored = db.session.scalars(select(StoredFile)).one()
        assert stored.association_id == world.association.id and stored.data == PDF_BYTES
        from jichikai.notices.services import remove_attachment

        remove_attachment(notice.attachments[0])
        db.session.rollback()  # the deletion is undone with its row
        assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 1


def test_a_bucket_that_cannot_be_reached_refuses_the_upload_and_answers_503(world, web_apps):
    settings = {
        "ATTACHMENT_STORAGE": "s3",
        "ATTACHMENT_S3_BUCKET": "nowhere",
        "ATTACHMENT_S3_ENDPOINT_URL": "http://127.0.0.1:9",  # the discard port: refused
        "ATTACHMENT_S3_TIMEOUT_SECONDS": 1,
        "ATTACHMENT_S3_ACCESS_KEY_ID": "testing",
        "ATTACHMENT_S3_SECRET_ACCESS_KEY": "testing",
    }
    (web,) = web_apps(**settings)[:1]
    client = web.test_client()
    login(client, world.officer)
    response = client.post(
        "/notices/new",
        data={"title": "添付", "body": "x", "files": [(_io(PDF_BYTES), "a.pdf")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "添付ファイルを保存できませんでした" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0

    notice = make_notice(world, files=[("a.pdf", PDF_BYTES)])  # kept locally by the test app
    item = notice.attachments[0]
    login(client, world.member)
    assert client.get(f"/notices/{notice.id}/files/{item.id}").status_code == 503


def _io(data: bytes):
    import io

    return io.BytesIO(data)


def _has_uploads(instance_path: str) -> bool:
    from pathlib import Path

    folder = Path(instance_path) / "uploads"
    return folder.exists() and any(folder.rglob("*.*"))
