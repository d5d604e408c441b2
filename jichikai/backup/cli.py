"""`flask backup create|verify|restore` (the embedded setup) and `flask secret-key rotate`.

See docs/operations.md, "Backups", "Restore" and "Rotating the secret key".
"""

import shlex
from pathlib import Path

import click
from flask import current_app

from ..database import utcnow
from ..extensions import db
from ..health.services import migration_heads
from ..keys.services import CARD_PEPPER, key_source, new_secret, replace_stored_key
from ..notices import attachments
from ..storage import attachment_store
from .services import (
    KEY_FILES,
    SECRET_KEY_FILE,
    UPLOADS,
    BackupError,
    create_backup,
    default_name,
    instance_folder,
    is_sqlite,
    pg_dump_command,
    pg_restore_command,
    restore_backup,
    rotate_secret_key,
    secret_key_source,
    verify_backup,
)


@click.group(
    "backup",
    help="Back up and restore the embedded setup: the SQLite database, the attachments and "
    "the keys of the instance folder, in one private archive.",
)
def backup_cli() -> None:
    pass


@backup_cli.command("create")
@click.argument("path", required=False, type=click.Path(path_type=Path))
def create(path: Path | None) -> None:
    """Write a backup archive (tar.gz, readable by its owner only) to PATH.

    Without PATH, or with a folder, the file is named jichikai-backup-<UTC time>.tar.gz. The
    app may keep running. With PostgreSQL nothing is written: the pg_dump command to use is
    printed and the exit status is 1.
    """
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    now = utcnow()
    if not is_sqlite(url):
        _postgresql_backup(url, path, now)
        raise click.exceptions.Exit(1)
    if path is None:
        path = Path.cwd() / default_name(now)
    elif path.is_dir():
        path = path / default_name(now)
    try:
        manifest = create_backup(path, now)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    size = sum(entry["size"] for entry in manifest["files"].values())
    click.echo(f"archive\t{path}")
    click.echo(f"revision\t{manifest['alembic_revision']}")
    click.echo(f"files\t{len(manifest['files'])} ({size} bytes)")
    for name in manifest["missing_files"]:
        click.echo(f"warning: {name} was deleted while the backup was made", err=True)
    if manifest["secret_key"] == "environment":
        click.echo(
            "warning: the secret key comes from JICHIKAI_SECRET_KEY, not from the archive: "
            "keep it with the backups (without it sessions and sent links are void)",
            err=True,
        )
    _storage_note()


def _storage_note() -> None:
    """Say where attachments are when they are not in the archive's files."""
    store = attachment_store()
    if store.kind == "database":
        click.echo("# attachments are kept in the database: they are in its copy", err=True)
    elif store.kind == "s3":
        click.echo(
            f"warning: attachments are kept in the {store.describe()}, not in this archive: "
            "back the bucket up by its own means (docs/operations.md, Backups)",
            err=True,
        )


def _postgresql_backup(url: str, path: Path | None, now) -> None:
    """Say how to back up PostgreSQL and the instance folder's files."""
    stamp = f"{now:%Y%m%d-%H%M%S}"
    dump = path or Path(f"jichikai-{stamp}.pgdump")
    if dump.is_dir():
        dump = dump / f"jichikai-{stamp}.pgdump"
    click.echo(
        "# PostgreSQL is backed up with pg_dump (the password from ~/.pgpass or PGPASSWORD):",
        err=True,
    )
    click.echo(pg_dump_command(url, str(dump)))
    instance = instance_folder()
    kept = [name for name in KEY_FILES if (instance / name).exists()]
    if secret_key_source() != "instance":
        kept = [name for name in kept if name != SECRET_KEY_FILE]
    uploads = attachments.upload_root()
    files = dump.parent / f"jichikai-files-{stamp}.tar.gz"
    local = attachment_store().kind == "local"
    entries = [(uploads.parent, uploads.name)] if local and uploads.exists() else []
    if not local:
        _storage_note()
    entries += [(instance, name) for name in kept]
    if not entries:
        return  # no attachments yet, no key in the instance folder
    command = ["tar", "--create", "--gzip", f"--file={files}"]
    folder = None
    for parent, name in entries:
        if parent != folder:
            command.append(f"--directory={parent}")
            folder = parent
        command.append(name)
    click.echo("# and the attachments and keys of the instance folder:", err=True)
    click.echo(f"(umask 077 && {shlex.join(command)})")


@backup_cli.command("verify")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def verify(path: Path) -> None:
    """Check an archive (every file against its manifest, the database) without restoring."""
    try:
        manifest = verify_backup(path)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"ok\t{path}")
    _describe(manifest)


@backup_cli.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--force",
    is_flag=True,
    help="Replace an instance that holds data; its current state is first saved as "
    "instance/replaced-<time>.tar.gz. Stop the web and worker processes before.",
)
def restore(path: Path, force: bool) -> None:
    """Restore an archive into the instance folder (database, attachments, keys).

    Every file is checked against the archive's manifest before anything is replaced. Then
    run `flask db upgrade` when the backup is older than the code.
    """
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    if not is_sqlite(url):
        click.echo("# PostgreSQL is restored with pg_restore into an empty database:", err=True)
        click.echo(pg_restore_command(url, str(path)))
        raise click.exceptions.Exit(1)
    key_here = secret_key_source()  # before the restore replaces instance/secret_key
    try:
        restored = restore_backup(path, force=force)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    manifest = restored.manifest
    click.echo(f"restored\t{path}")
    _describe(manifest)
    if restored.replaced is not None:
        click.echo(f"replaced state saved\t{restored.replaced}")
    if manifest["alembic_revision"] not in migration_heads(
        current_app.extensions["migrate"].directory
    ):
        click.echo("# older than this code: run `flask --app wsgi db upgrade` next", err=True)
    if manifest.get("secret_key") == "environment":
        click.echo(
            "warning: the backup's server used JICHIKAI_SECRET_KEY: set the same key here, "
            "or members' sessions and the links already sent stop working",
            err=True,
        )
    elif key_here != "instance":
        click.echo(
            "warning: JICHIKAI_SECRET_KEY is set here, so the restored instance/secret_key "
            "is not used; members' sessions and the links already sent stop working",
            err=True,
        )
    has_uploads = any(name.startswith(f"{UPLOADS}/") for name in manifest["files"])
    if has_uploads and attachment_store().kind != "local":
        click.echo(
            f"warning: the backup's attachment files were put in {attachments.upload_root()}, "
            f"but attachments are read from the {attachment_store().describe()}: copy them "
            "there (docs/operations.md, Attachment storage)",
            err=True,
        )
    elif not has_uploads and manifest.get("attachment_storage", "local") == "local":
        click.echo("# the backup holds no attachments", err=True)


def _describe(manifest: dict) -> None:
    click.echo(f"created\t{manifest.get('created_at')}")
    click.echo(f"version\t{manifest.get('app_version')}")
    click.echo(f"revision\t{manifest.get('alembic_revision')}")
    click.echo(f"files\t{len(manifest['files'])}")


@click.group("secret-key", help="The key that signs sessions, one-tap links and forms.")
def secret_key_cli() -> None:
    pass


@secret_key_cli.command("rotate")
@click.option(
    "--void-login-codes",
    is_flag=True,
    help="Rotate although the login codes are hashed with the secret key itself: every "
    "typed login code stops working (the cards' QR links keep working).",
)
@click.option("--yes", is_flag=True, help="Do not ask before rotating.")
def rotate_secret_key_command(void_login_codes: bool, yes: bool) -> None:
    """Replace instance/secret_key with a new key (see docs/operations.md before).

    Every member is logged out of every device (the cards log them in again), one-tap
    links in messages already sent stop working, and forms open at the time are refused once.
    """
    pepper = key_source(current_app._get_current_object(), "CARD_PEPPER")
    if pepper == "secret key" and not void_login_codes:
        raise click.ClickException(
            "JICHIKAI_CARD_PEPPER is not set, so the login codes are hashed with the secret key. "
            "Set JICHIKAI_CARD_PEPPER to the current key for every process and restart them, "
            "then rotate; or give --void-login-codes."
        )
    if not yes:
        click.confirm("Every member is logged out of every device. Continue?", abort=True)
    try:
        path = rotate_secret_key()
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    if void_login_codes and pepper == "database":
        replace_stored_key(CARD_PEPPER, new_secret())  # the database's pepper may have leaked
        db.session.commit()
        click.echo("card pepper\treplaced: typed login codes stop working; print new cards")
    click.echo(f"rotated\t{path}")
    click.echo("# restart the web and worker processes now: until then they use the old key")
