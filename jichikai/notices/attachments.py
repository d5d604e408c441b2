"""Attachment files: checked by content, stored under the instance folder by a random key.

Files are written while the notice is saved; if that transaction rolls back they are
removed again, and files of deleted attachments are removed only once the deletion commits.
"""

import io
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

import filetype
from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..files import private_folder, write_private
from .errors import NoticeError

ALLOWED_TYPES = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
}
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_FILES = 5
WEB_VERSION_SIZE = (1280, 1280)
MAX_IMAGE_PIXELS = 40_000_000

_NEW_FILES = "notices.new_files"
_DOOMED_FILES = "notices.doomed_files"


@dataclass
class PreparedFile:
    """An upload that passed the checks, ready to store."""

    filename: str
    content_type: str
    data: bytes
    web_version: bytes | None


def max_bytes() -> int:
    return current_app.config.get("NOTICE_ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES)


def max_files() -> int:
    return current_app.config.get("NOTICE_ATTACHMENT_MAX_FILES", DEFAULT_MAX_FILES)


def upload_root() -> Path:
    configured = current_app.config.get("NOTICE_UPLOAD_FOLDER")
    return Path(configured) if configured else Path(current_app.instance_path) / "uploads"


def safe_filename(name: str) -> str:
    """Keep the name people chose (Japanese included), without folders or control characters."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*').strip(" .")
    return name[:150] or "file"


def prepare(filename: str, data: bytes) -> PreparedFile:
    """Check one upload by its content; images also get a small web version without metadata."""
    if not data:
        raise NoticeError(_("%(name)s は空のファイルです。", name=filename), field="files")
    if len(data) > max_bytes():
        raise NoticeError(
            _(
                "%(name)s は大きすぎます（%(limit)d MB まで）。",
                name=filename,
                limit=max_bytes() // (1024 * 1024),
            ),
            field="files",
        )
    kind = filetype.guess(data)
    content_type = kind.mime if kind else ""
    if content_type not in ALLOWED_TYPES:
        raise NoticeError(
            _("%(name)s は送れません。PDF、JPEG、PNG のファイルにしてください。", name=filename),
            field="files",
        )
    web_version = None
    if content_type.startswith("image/"):
        data, web_version = _process_image(filename, data, content_type)
    stem = safe_filename(filename).rsplit(".", 1)[0] or "file"
    return PreparedFile(stem + ALLOWED_TYPES[content_type], content_type, data, web_version)


def _process_image(filename: str, data: bytes, content_type: str) -> tuple[bytes, bytes]:
    """Drop location and camera metadata from the original, and make a small JPEG."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                if image.getexif():
                    clean = io.BytesIO()
                    fmt = "JPEG" if content_type == "image/jpeg" else "PNG"
                    ImageOps.exif_transpose(image).save(clean, fmt, quality=92)
                    data = clean.getvalue()
                web = ImageOps.exif_transpose(image)
                if web.mode not in ("RGB", "L"):
                    background = Image.new("RGB", web.size, "white")
                    rgba = web.convert("RGBA")
                    background.paste(rgba, mask=rgba.getchannel("A"))
                    web = background
                web.thumbnail(WEB_VERSION_SIZE)
                small = io.BytesIO()
                web.save(small, "JPEG", quality=80, optimize=True)
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as error:
        raise NoticeError(
            _("%(name)s は画像として読めませんでした。", name=filename), field="files"
        ) from error
    return data, small.getvalue()


def new_storage_key() -> str:
    return secrets.token_hex(20)


def path_for(association_id: int, storage_key: str, web: bool = False) -> Path:
    """Where a stored file lives; the key is random, never derived from the name."""
    suffix = ".web.jpg" if web else ".bin"
    return upload_root() / str(association_id) / f"{storage_key}{suffix}"


def write(session: Session, association_id: int, storage_key: str, prepared: PreparedFile):
    """Write the files of one attachment; they go away again if the transaction rolls back."""
    private_folder(upload_root() / str(association_id))
    written = session.info.setdefault(_NEW_FILES, [])
    target = path_for(association_id, storage_key)
    write_private(target, prepared.data)
    written.append(target)
    if prepared.web_version is not None:
        web = path_for(association_id, storage_key, web=True)
        write_private(web, prepared.web_version)
        written.append(web)


def remove_after_commit(session: Session, association_id: int, storage_key: str) -> None:
    """Delete an attachment's files once the deletion of its row is committed."""
    doomed = session.info.setdefault(_DOOMED_FILES, [])
    doomed.append(path_for(association_id, storage_key))
    doomed.append(path_for(association_id, storage_key, web=True))


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    session.info.pop(_NEW_FILES, None)
    for path in session.info.pop(_DOOMED_FILES, []):
        path.unlink(missing_ok=True)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, _previous_transaction) -> None:
    session.info.pop(_DOOMED_FILES, None)
    for path in session.info.pop(_NEW_FILES, []):
        path.unlink(missing_ok=True)
