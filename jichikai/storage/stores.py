"""The three attachment stores and the one the configuration chooses.

A store keeps files by name (`<association>/<key>.bin`, `.web.jpg`). The local folder and the
bucket are outside the database transaction: their writes are undone and their deletions done
by the caller around the commit (see notices/attachments.py). The database store writes and
deletes in the transaction itself (`transactional`).
"""

from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from flask import Flask, current_app
from sqlalchemy import delete, select

from ..extensions import db
from ..files import private_folder, write_private
from .models import StoredFile

STORES = ("local", "s3", "database")


class StorageError(Exception):
    """The store could not be reached or refused the operation."""


def check_name(name: str) -> str:
    """A stored file's name: `<association id>/<file>`, never a path out of the store."""
    path = PurePosixPath(name)
    parts = path.parts
    if len(parts) != 2 or path.is_absolute() or not parts[0].isdigit() or parts[1] in (".", ".."):
        raise ValueError(f"not a stored file name: {name!r}")
    return name


class AttachmentStore:
    """Put, get, delete and list files by name."""

    kind = ""
    transactional = False  # True: put and delete are part of the database transaction

    def put(self, association_id: int, name: str, data: bytes) -> None:
        raise NotImplementedError

    def get(self, name: str) -> bytes | None:
        """The file's bytes, or None when there is no such file."""
        raise NotImplementedError

    def delete(self, name: str) -> None:
        """Remove a file; a missing one is not an error."""
        raise NotImplementedError

    def names(self) -> Iterator[str]:
        """Every stored name, sorted."""
        raise NotImplementedError

    def describe(self) -> str:
        """Where the files are, for logs and commands (no credentials)."""
        raise NotImplementedError


class LocalStore(AttachmentStore):
    """Files under a folder of this machine (the embedded default): readable by the owner only."""

    kind = "local"

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, name: str) -> Path:
        return self.root / check_name(name)

    def put(self, association_id: int, name: str, data: bytes) -> None:
        path = self.path(name)
        private_folder(path.parent)
        write_private(path, data)

    def get(self, name: str) -> bytes | None:
        try:
            return self.path(name).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, name: str) -> None:
        self.path(name).unlink(missing_ok=True)

    def names(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for path in sorted(self.root.glob("*/*")):
            if path.is_file() and not path.is_symlink():
                yield path.relative_to(self.root).as_posix()

    def describe(self) -> str:
        return f"folder {self.root}"


class S3Store(AttachmentStore):
    """Objects in an S3-compatible bucket (AWS S3, MinIO, Ceph, Cloudflare R2...), by boto3."""

    kind = "s3"

    def __init__(self, client, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    @classmethod
    def from_config(cls, config) -> "S3Store":
        import boto3
        from botocore.config import Config

        bucket = config.get("ATTACHMENT_S3_BUCKET") or ""
        if not bucket:
            raise StorageError("ATTACHMENT_STORAGE is s3: set JICHIKAI_ATTACHMENT_S3_BUCKET")
        timeout = float(config.get("ATTACHMENT_S3_TIMEOUT_SECONDS") or 10)
        client = boto3.session.Session().client(
            "s3",
            endpoint_url=config.get("ATTACHMENT_S3_ENDPOINT_URL") or None,
            region_name=config.get("ATTACHMENT_S3_REGION") or None,
            aws_access_key_id=config.get("ATTACHMENT_S3_ACCESS_KEY_ID") or None,
            aws_secret_access_key=config.get("ATTACHMENT_S3_SECRET_ACCESS_KEY") or None,
            config=Config(
                connect_timeout=timeout,
                read_timeout=timeout,
                retries={"max_attempts": 3, "mode": "standard"},
                s3={"addressing_style": config.get("ATTACHMENT_S3_ADDRESSING_STYLE") or "auto"},
            ),
        )
        prefix = (config.get("ATTACHMENT_S3_PREFIX") or "").strip("/")
        return cls(client, bucket, f"{prefix}/" if prefix else "")

    def _call(self, operation: str, **kwargs):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.client, operation)(Bucket=self.bucket, **kwargs)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise StorageError(f"bucket {self.bucket}: {operation} failed: {error}") from error
        except BotoCoreError as error:
            raise StorageError(f"bucket {self.bucket}: {operation} failed: {error}") from error

    def put(self, association_id: int, name: str, data: bytes) -> None:
        self._call("put_object", Key=self.prefix + check_name(name), Body=data)

    def get(self, name: str) -> bytes | None:
        found = self._call("get_object", Key=self.prefix + check_name(name))
        if found is None:
            return None
        with found["Body"] as body:
            return body.read()

    def delete(self, name: str) -> None:
        self._call("delete_object", Key=self.prefix + check_name(name))

    def names(self) -> Iterator[str]:
        token = None
        while True:
            extra = {"ContinuationToken": token} if token else {}
            page = self._call("list_objects_v2", Prefix=self.prefix, **extra) or {}
            for entry in page.get("Contents", []):
                yield entry["Key"][len(self.prefix) :]
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                return

    def describe(self) -> str:
        endpoint = self.client.meta.endpoint_url
        return f"bucket {self.bucket} at {endpoint}" + (f" ({self.prefix}*)" if self.prefix else "")


class DatabaseStore(AttachmentStore):
    """Rows of the stored_file table: backed up, restored and replicated with the database."""

    kind = "database"
    transactional = True

    def put(self, association_id: int, name: str, data: bytes) -> None:
        db.session.add(StoredFile(association_id=association_id, name=check_name(name), data=data))
        db.session.flush()

    def get(self, name: str) -> bytes | None:
        query = select(StoredFile.data).where(StoredFile.name == check_name(name))
        return db.session.scalar(query)

    def delete(self, name: str) -> None:
        db.session.execute(delete(StoredFile).where(StoredFile.name == check_name(name)))

    def names(self) -> Iterator[str]:
        yield from db.session.scalars(select(StoredFile.name).order_by(StoredFile.name))

    def describe(self) -> str:
        return "database (table stored_file)"


def local_root(app: Flask) -> Path:
    """The local store's folder: NOTICE_UPLOAD_FOLDER, else instance/uploads."""
    configured = app.config.get("NOTICE_UPLOAD_FOLDER")
    return Path(configured) if configured else Path(app.instance_path) / "uploads"


def check_config(config) -> None:
    """Refuse an unknown store, or a bucket store without a bucket, when the app is built."""
    kind = (config.get("ATTACHMENT_STORAGE") or "local").strip().lower()
    if kind not in STORES:
        raise StorageError(f"ATTACHMENT_STORAGE must be one of {', '.join(STORES)} (got {kind!r})")
    if kind == "s3" and not config.get("ATTACHMENT_S3_BUCKET"):
        raise StorageError("ATTACHMENT_STORAGE is s3: set JICHIKAI_ATTACHMENT_S3_BUCKET")


def build_store(app: Flask) -> AttachmentStore:
    """The store ATTACHMENT_STORAGE names, built from the configuration."""
    kind = (app.config.get("ATTACHMENT_STORAGE") or "local").strip().lower()
    if kind == "local":
        return LocalStore(local_root(app))
    if kind == "s3":
        return S3Store.from_config(app.config)
    if kind == "database":
        return DatabaseStore()
    raise StorageError(f"ATTACHMENT_STORAGE must be one of {', '.join(STORES)} (got {kind!r})")


STORE_SETTINGS = (
    "ATTACHMENT_STORAGE",
    "NOTICE_UPLOAD_FOLDER",
    "ATTACHMENT_S3_BUCKET",
    "ATTACHMENT_S3_PREFIX",
    "ATTACHMENT_S3_ENDPOINT_URL",
    "ATTACHMENT_S3_REGION",
    "ATTACHMENT_S3_ACCESS_KEY_ID",
    "ATTACHMENT_S3_SECRET_ACCESS_KEY",
    "ATTACHMENT_S3_ADDRESSING_STYLE",
    "ATTACHMENT_S3_TIMEOUT_SECONDS",
)


def attachment_store(app: Flask | None = None) -> AttachmentStore:
    """The application's attachment store, built once per configuration and kept (boto3
    clients are thread-safe and costly to make)."""
    app = app or current_app._get_current_object()
    cache = app.extensions.setdefault("jichikai.storage", {})
    settings = tuple(str(app.config.get(key) or "") for key in STORE_SETTINGS)
    if cache.get("settings") != settings:
        cache["store"] = build_store(app)
        cache["settings"] = settings
    return cache["store"]
