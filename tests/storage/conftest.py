"""An S3 server on 127.0.0.1 (moto in its standalone server mode) and apps on the test database
with their own instance folders."""

import boto3
import pytest
from moto.server import ThreadedMotoServer

from jichikai import create_app
from jichikai.extensions import db

from ..conftest import TEST_CONFIG, IsolatedClient

S3_KEYS = {"ATTACHMENT_S3_ACCESS_KEY_ID": "testing", "ATTACHMENT_S3_SECRET_ACCESS_KEY": "testing"}


@pytest.fixture(scope="session")
def s3_server():
    """moto's S3 server, speaking the S3 protocol over HTTP, on a free port."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_server, request):
    """A new, empty bucket; the settings of an app storing attachments in it."""
    name = f"jichikai-{abs(hash(request.node.nodeid)) % 10**10}"
    client = boto3.client("s3", endpoint_url=s3_server, region_name="ap-northeast-1", **_keys())
    client.create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"}
    )
    yield {
        "ATTACHMENT_STORAGE": "s3",
        "ATTACHMENT_S3_BUCKET": name,
        "ATTACHMENT_S3_ENDPOINT_URL": s3_server,
        "ATTACHMENT_S3_REGION": "ap-northeast-1",
        **S3_KEYS,
    }
    for entry in client.list_objects_v2(Bucket=name).get("Contents", []):
        client.delete_object(Bucket=name, Key=entry["Key"])
    client.delete_bucket(Bucket=name)


def _keys() -> dict:
    return {
        "aws_access_key_id": S3_KEYS["ATTACHMENT_S3_ACCESS_KEY_ID"],
        "aws_secret_access_key": S3_KEYS["ATTACHMENT_S3_SECRET_ACCESS_KEY"],
    }


def objects(settings: dict) -> list[str]:
    """The keys in the bucket, read with a client of its own."""
    client = boto3.client(
        "s3",
        endpoint_url=settings["ATTACHMENT_S3_ENDPOINT_URL"],
        region_name="ap-northeast-1",
        **_keys(),
    )
    found = client.list_objects_v2(Bucket=settings["ATTACHMENT_S3_BUCKET"])
    return sorted(entry["Key"] for entry in found.get("Contents", []))


@pytest.fixture
def web_apps(app, tmp_path):
    """web_apps(**settings): two applications on the test database, as two machines would run
    them: each with its own instance folder."""
    built = []

    def build(**settings):
        pair = []
        for name in ("web1", "web2"):
            other = create_app(
                {
                    **TEST_CONFIG,
                    "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                    **settings,
                },
                instance_path=str(tmp_path / name),
            )
            other.test_client_class = IsolatedClient
            pair.append(other)
        built.extend(pair)
        return pair

    yield build
    # Flask-SQLAlchemy picks the engine from the current app when a statement runs, so the
    # test's own session may have loaded the world's objects through another app's engine
    # inside `with web.app_context()`. Give those connections back before the engines go.
    db.session.rollback()
    for other in built:
        with other.app_context():
            db.session.remove()  # a session left open holds its connection past dispose()
            db.engine.dispose()
