"""Backup archives of the embedded setup: the SQLite database, the attachments and the keys.

An archive is one tar.gz file, created readable by its owner only (0600), holding:

    jichikai.sqlite3      a consistent copy made by SQLite's online backup API (the app may run)
    uploads/<association>/<key>.bin, .web.jpg   the circulars' attachments, when they are
                          kept in the local folder (ATTACHMENT_STORAGE = "local"); in the
                          database store they are rows of the database copy, and a bucket
                          (s3) is backed up by its own means (docs/operations.md)
    secret_key            instance/secret_key, when there is one
    vapid_private.pem     the Web Push key, when there is one
    manifest.json         written last: format, app version, Alembic revision, created_at, and
                          each file's size and SHA-256

A restore unpacks into a private folder and checks every file against the manifest before
anything of the instance is touched. PostgreSQL is backed up with its own tools (pg_dump);
`pg_dump_command` and `pg_restore_command` say how for the configured database.
"""

import hashlib
import io
import json
import os
import secrets
import shlex
import shutil
import sqlite3
import tarfile
import tempfile
import tomllib
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import current_app
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import URL, make_url

from ..database import utcnow
from ..extensions import db
from ..files import FILE_MODE, create_private_file, private_folder, write_private
from ..health.models import WorkerHeartbeat
from ..health.services import SCHEDULER
from ..notices import attachments
from ..push.vapid import KEY_FILE as VAPID_KEY_FILE
from ..storage import attachment_store

FORMAT = "jichikai-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE = "jichikai.sqlite3"
UPLOADS = "uploads"
SECRET_KEY_FILE = "secret_key"
KEY_FILES = (SECRET_KEY_FILE, VAPID_KEY_FILE)
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass
class Restored:
    """What a restore did: the archive's manifest, and where the replaced state was saved."""

    manifest: dict
    replaced: Path | None


# --- the configured database ------------------------------------------------------------


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_file(url: str) -> Path:
    """The database file of a SQLite URL; raises for other databases and in-memory ones."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        raise BackupError(f"not a SQLite database: {without_password(url)}")
    name = parsed.database or ""
    if name in ("", ":memory:") or name.startswith("file:") or parsed.query.get("uri"):
        raise BackupError("only a SQLite database in a file given by its path can be backed up")
    return Path(name)


def without_password(url: str) -> str:
    """The URL as libpq and pg_dump read it, without the password (give it by ~/.pgpass)."""
    parsed = make_url(url)
    plain = URL.create(
        parsed.get_backend_name(),
        username=parsed.username,
        host=parsed.host,
        port=parsed.port,
        database=parsed.database,
        query=parsed.query,
    )
    return plain.render_as_string(hide_password=False)


def pg_dump_command(url: str, archive: str) -> str:
    """The pg_dump command that backs up the configured PostgreSQL database."""
    return shlex.join(
        ["pg_dump", "--format=custom", f"--file={archive}", f"--dbname={without_password(url)}"]
    )


def pg_restore_command(url: str, archive: str) -> str:
    """The pg_restore command that loads a pg_dump archive into an empty database."""
    return shlex.join(
        [
            "pg_restore",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={without_password(url)}",
            archive,
        ]
    )


def app_version() -> str:
    """The version in pyproject.toml (the code is run from its checkout)."""
    path = Path(current_app.root_path).parent / "pyproject.toml"
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))["project"]["version"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def instance_folder() -> Path:
    return Path(current_app.instance_path)


# --- creating an archive ----------------------------------------------------------------


def default_name(now: datetime) -> str:
    return f"jichikai-backup-{now:%Y%m%d-%H%M%S}.tar.gz"


def create_backup(destination: Path, now: datetime | None = None) -> dict:
    """Write an archive of the database, the attachments and the keys; returns its manifest.

    The database is copied first, then the attachment files; a file deleted in between is
    listed under `missing_files` (its row is in the copy, its bytes are not).
    """
    source = sqlite_file(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if not source.exists():
        raise BackupError(f"there is no database at {source}")
    if destination.exists():
        raise BackupError(f"{destination} exists already; a backup never overwrites a file")
    now = now or utcnow()
    private_folder(destination.parent)
    partial = destination.with_name(f".{destination.name}.partial")
    partial.unlink(missing_ok=True)

    with tempfile.TemporaryDirectory(prefix=".backup-", dir=destination.parent) as staging:
        copy = Path(staging) / DATABASE
        copy_database(source, copy)
        revision = _revision(copy)
        expected = _attachment_names(copy)
        files: dict[str, dict] = {}
        handle = os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE), "wb")
        try:
            with handle, tarfile.open(fileobj=handle, mode="w:gz") as archive:
                _add_path(archive, files, DATABASE, copy, now)
                for name, path in _upload_files():
                    _add_live_file(archive, files, name, path, now)
                for name in KEY_FILES:
                    _add_live_file(archive, files, name, instance_folder() / name, now)
                manifest = {
                    "format": FORMAT,
                    "format_version": FORMAT_VERSION,
                    "app_version": app_version(),
                    "alembic_revision": revision,
                    "created_at": now.isoformat(),
                    "database": "sqlite",
                    "secret_key": secret_key_source(),
                    "attachment_storage": attachment_store().kind,
                    "missing_files": sorted(expected - set(files)),
                    "files": files,
                }
                data = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
                archive.addfile(_member(MANIFEST, len(data), now), io.BytesIO(data))
            os.replace(partial, destination)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    return manifest


def copy_database(source: Path, target: Path) -> None:
    """Copy a SQLite database with its online backup API: consistent while others write."""
    create_private_file(target)
    timeout = float(current_app.config.get("DATABASE_STATEMENT_TIMEOUT_SECONDS") or 5)
    origin = sqlite3.connect(source, timeout=timeout)
    copy = sqlite3.connect(target)
    try:
        origin.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        _check_database(copy, target.name)
    except sqlite3.Error as error:
        raise BackupError(f"cannot copy the database {source}: {error}") from error
    finally:
        copy.close()
        origin.close()


def _check_database(connection: sqlite3.Connection, name: str) -> None:
    result = connection.execute("PRAGMA quick_check").fetchone()[0]
    if result != "ok":
        raise BackupError(f"{name} is damaged: {result}")


def _revision(path: Path) -> str | None:
    """The Alembic revision of a database file; None when it has no schema yet."""
    connection = sqlite3.connect(path)
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:
        return None
    finally:
        connection.close()
    return row[0] if row else None


def _attachment_names(path: Path) -> set[str]:
    """The archive names of the local files the copied database's attachments refer to."""
    if attachment_store().kind != "local":
        return set()
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute(
            "SELECT association_id, storage_key, has_web_version FROM attachment"
        ).fetchall()
    except sqlite3.OperationalError:
        return set()
    finally:
        connection.close()
    root = attachments.upload_root()
    names = set()
    for association_id, key, web in rows:
        for is_web in (False, True) if web else (False,):
            relative = attachments.path_for(association_id, key, web=is_web).relative_to(root)
            names.add(f"{UPLOADS}/{relative.as_posix()}")
    return names


def _upload_files() -> Iterator[tuple[str, Path]]:
    """The local store's files (none when attachments are kept elsewhere)."""
    root = attachments.upload_root()
    if attachment_store().kind != "local" or not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield f"{UPLOADS}/{path.relative_to(root).as_posix()}", path


def secret_key_source() -> str:
    """Where the running configuration's secret key comes from: the instance file or not."""
    path = instance_folder() / SECRET_KEY_FILE
    try:
        kept = path.read_text().strip()
    except OSError:
        kept = None
    return "instance" if kept == current_app.config["SECRET_KEY"] else "environment"


def _member(name: str, size: int, now: datetime) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = FILE_MODE
    info.mtime = int(now.timestamp())
    return info


def _add_path(archive: tarfile.TarFile, files: dict, name: str, path: Path, now) -> None:
    """Add a file nobody else changes (the database copy), hashed as it is read."""
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        for chunk in iter(lambda: source.read(CHUNK), b""):
            digest.update(chunk)
        size = source.tell()
        source.seek(0)
        archive.addfile(_member(name, size, now), source)
    files[name] = {"size": size, "sha256": digest.hexdigest()}


def _add_live_file(archive: tarfile.TarFile, files: dict, name: str, path: Path, now) -> None:
    """Add a small file the app may delete meanwhile: read once, so hash and bytes agree."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return
    archive.addfile(_member(name, len(data), now), io.BytesIO(data))
    files[name] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


# --- reading an archive -----------------------------------------------------------------


def unpack(archive_path: Path, staging: Path) -> dict:
    """Unpack an archive into `staging`, checking every file against the manifest."""
    found: dict[str, dict] = {}
    manifest_data = None
    try:
        with tarfile.open(archive_path, "r:gz") as archive:
            for member in archive:
                name = _safe_name(member.name)
                if member.isdir():
                    continue
                if not member.isfile():
                    raise BackupError(f"{member.name} in the archive is not a plain file")
                if name in found or (name == MANIFEST and manifest_data is not None):
                    raise BackupError(f"{name} is twice in the archive")
                source = archive.extractfile(member)
                if name == MANIFEST:
                    manifest_data = source.read()
                    continue
                found[name] = _write_hashed(source, staging / name)
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        raise BackupError(f"{archive_path} is not a readable backup archive: {error}") from error
    manifest = _read_manifest(manifest_data)
    listed = manifest["files"]
    for name in sorted(set(listed) | set(found)):
        if name not in found:
            raise BackupError(f"{name} is listed in the manifest but missing from the archive")
        if name not in listed:
            raise BackupError(f"{name} is in the archive but not in its manifest")
        entry = listed[name] if isinstance(listed[name], dict) else {}
        if found[name] != {"size": entry.get("size"), "sha256": entry.get("sha256")}:
            raise BackupError(
                f"{name} does not match its checksum in the manifest: "
                "the archive is damaged or was changed"
            )
    if DATABASE not in found:
        raise BackupError(f"the archive holds no database ({DATABASE})")
    connection = sqlite3.connect(staging / DATABASE)
    try:
        _check_database(connection, DATABASE)
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{DATABASE} in the archive is not a usable database: {error}") from error
    finally:
        connection.close()
    if _revision(staging / DATABASE) != manifest.get("alembic_revision"):
        raise BackupError("the database's revision differs from the manifest's")
    return manifest


def _safe_name(name: str) -> str:
    """An archive member's name, if it is one a backup holds (no absolute paths, no ..)."""
    path = PurePosixPath(name)
    parts = path.parts
    allowed = (
        parts
        and not path.is_absolute()
        and ".." not in parts
        and (
            path.as_posix() in (MANIFEST, DATABASE, *KEY_FILES)
            or (parts[0] == UPLOADS and len(parts) <= 3)
        )
    )
    if not allowed:
        raise BackupError(f"{name!r} does not belong in a backup archive")
    return path.as_posix()


def _write_hashed(source, target: Path) -> dict:
    private_folder(target.parent)
    digest = hashlib.sha256()
    size = 0
    with os.fdopen(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE), "wb") as out:
        for chunk in iter(lambda: source.read(CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return {"size": size, "sha256": digest.hexdigest()}


def _read_manifest(data: bytes | None) -> dict:
    if data is None:
        raise BackupError(f"the archive has no {MANIFEST}: it is not a jichikai backup")
    try:
        manifest = json.loads(data)
    except ValueError as error:
        raise BackupError(f"{MANIFEST} cannot be read: {error}") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("the archive is not a jichikai backup")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"backup format {manifest.get('format_version')!r} is not known to this version "
            f"(it reads format {FORMAT_VERSION})"
        )
    if not isinstance(manifest.get("files"), dict):
        raise BackupError(f"{MANIFEST} lists no files")
    return manifest


def verify_backup(archive_path: Path) -> dict:
    """Check an archive completely without restoring it; returns its manifest."""
    with tempfile.TemporaryDirectory(prefix="jichikai-verify-") as staging:
        manifest = unpack(archive_path, Path(staging))
    check_revision(manifest.get("alembic_revision"))
    return manifest


def check_revision(revision: str | None) -> None:
    """Refuse a backup made by a newer version: its schema is unknown to this code."""
    if revision is None:
        return
    script = ScriptDirectory(current_app.extensions["migrate"].directory)
    try:
        known = script.get_revision(revision) is not None
    except CommandError:
        known = False
    if not known:
        raise BackupError(
            f"the backup's schema (revision {revision}) is newer than this version of jichikai: "
            "restore it with the version that made it (manifest: app_version)"
        )


# --- restoring --------------------------------------------------------------------------


def occupied() -> list[str]:
    """What in the instance a restore would replace: data, attachments, a running worker."""
    reasons = []
    tables = [t for t in inspect(db.engine).get_table_names() if t != "alembic_version"]
    if any(db.session.execute(text(f'SELECT 1 FROM "{t}" LIMIT 1')).first() for t in tables):
        reasons.append("the database holds data")
    if "worker_heartbeat" in tables:
        beat_at = db.session.scalar(
            select(WorkerHeartbeat.beat_at).where(WorkerHeartbeat.name == SCHEDULER)
        )
        limit = current_app.config["READY_WORKER_HEARTBEAT_SECONDS"]
        if beat_at is not None and (utcnow() - beat_at).total_seconds() < limit:
            reasons.append("a worker is running (its last heartbeat is recent)")
    if any(True for _ in _upload_files()):
        reasons.append(f"{attachments.upload_root()} holds attachments")
    db.session.remove()
    return reasons


def restore_backup(archive_path: Path, force: bool = False, now: datetime | None = None):
    """Replace the instance's database, attachments and keys with an archive's.

    Refused when the instance holds data or a worker is running, unless `force`; then the
    current state is first saved as `instance/replaced-<time>.tar.gz`.
    """
    target = sqlite_file(current_app.config["SQLALCHEMY_DATABASE_URI"])
    now = now or utcnow()
    instance = instance_folder()
    with tempfile.TemporaryDirectory(prefix=".restore-", dir=instance) as staging_folder:
        staging = Path(staging_folder)
        manifest = unpack(archive_path, staging)
        check_revision(manifest.get("alembic_revision"))
        reasons = occupied()
        replaced = None
        if reasons and not force:
            raise BackupError(
                "the instance is not empty: "
                + "; ".join(reasons)
                + ". Stop the web and worker processes, then restore with --force "
                "(the current state is saved first)."
            )
        if reasons:
            replaced = instance / f"replaced-{now:%Y%m%d-%H%M%S}.tar.gz"
            create_backup(replaced, now)
        _install(staging, target)
    return Restored(manifest, replaced)


def _install(staging: Path, target: Path) -> None:
    """Put the checked files in place: the database through SQLite, then the files."""
    db.session.remove()
    db.engine.dispose()
    private_folder(target.parent)
    create_private_file(target)
    origin = sqlite3.connect(staging / DATABASE)
    destination = sqlite3.connect(target, timeout=10)
    try:
        origin.backup(destination)
    except sqlite3.Error as error:
        raise BackupError(f"cannot write the database {target}: {error}") from error
    finally:
        destination.close()
        origin.close()

    root = attachments.upload_root()
    if root.exists():
        shutil.move(root, staging / "uploads.replaced")  # saved in replaced-*.tar.gz if any
    private_folder(root.parent)
    if (staging / UPLOADS).exists():
        shutil.move(staging / UPLOADS, root)
    else:
        private_folder(root)

    instance = instance_folder()
    for name in KEY_FILES:
        if (staging / name).exists():
            os.replace(staging / name, instance / name)
        elif name == VAPID_KEY_FILE:
            # The restored subscriptions were made for the backup's key (or none): no other.
            (instance / name).unlink(missing_ok=True)


# --- the secret key ---------------------------------------------------------------------


def rotate_secret_key() -> Path:
    """Replace instance/secret_key with a new random key; processes use it once restarted."""
    if secret_key_source() != "instance":
        raise BackupError(
            "the secret key is set by JICHIKAI_SECRET_KEY: change it where it is set "
            "(docs/operations.md, Rotating the secret key)"
        )
    path = instance_folder() / SECRET_KEY_FILE
    new = path.with_name(f".{SECRET_KEY_FILE}.new")
    new.unlink(missing_ok=True)
    write_private(new, secrets.token_hex(32).encode(), exclusive=True)
    os.replace(new, path)
    return path
