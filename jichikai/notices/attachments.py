"""Attachment files: checked by content, kept in the attachment store by a random key.

The store (jichikai/storage: the instance folder, an S3-compatible bucket or the database) is
written while the notice is saved. A folder's or bucket's files are removed again if that
transaction rolls back, and files of deleted attachments only once the deletion commits; the
database store's rows simply follow the transaction.
"""

import io
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

import filetype
from babel.numbers import format_compact_decimal
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..storage import StorageError, attachment_store
from ..storage.stores import local_root
from .errors import NoticeError

ALLOWED_TYPES = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
}
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_FILES = 5
WEB_VERSION_SIZE = (1280, 1280)
DEFAULT_MAX_IMAGE_PIXELS = 25_000_000  # a 24 MP phone photo; decoded RGBA, 100 MB
ORIENTATION = 0x0112  # the EXIF tag

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
    """The local store's folder (ATTACHMENT_STORAGE = "local")."""
    return local_root(current_app)


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


def max_image_pixels() -> int:
    return current_app.config.get("NOTICE_IMAGE_MAX_PIXELS", DEFAULT_MAX_IMAGE_PIXELS)


def _too_large(filename: str) -> NoticeError:
    limit = format_compact_decimal(
        max_image_pixels(), format_type="long", locale=get_locale(), fraction_digits=1
    )  # 2500万, 25 million
    return NoticeError(
        _(
            "%(name)s は画像が大きすぎます（%(limit)s画素まで）。小さくしてから送ってください。",
            name=filename,
            limit=limit,
        ),
        field="files",
    )


def _process_image(filename: str, data: bytes, content_type: str) -> tuple[bytes, bytes]:
    """Make a small JPEG, and drop location and camera metadata from the original.

    Memory is bounded by the pixel limit, checked from the header before anything is decoded
    (a 140 KB PNG can hold 36 million pixels: 144 MB decoded, several times that in copies).
    The web version is made first: a JPEG is decoded at 1/2 to 1/8 of its size (draft mode, by
    `thumbnail`), other images are shrunk in place before any copy is made. Only an original
    with metadata is decoded in full, once, to be written again without it (its orientation
    is kept as the only tag, instead of turning the pixels in a second copy).
    """
    fmt = "JPEG" if content_type == "image/jpeg" else "PNG"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size  # read from the header; nothing decoded yet
                if width * height > max_image_pixels():
                    raise _too_large(filename)
                # Pillow's own draft in thumbnail() asks for twice the box, not the fitted
                # size, and so decodes a 4:3 photo in full; ask for the fitted size.
                scale = min(WEB_VERSION_SIZE[0] / width, WEB_VERSION_SIZE[1] / height, 1)
                image.draft(None, (max(1, int(width * scale)), max(1, int(height * scale))))
                image.thumbnail(WEB_VERSION_SIZE)
                exif = image.getexif()
                orientation = exif.get(ORIENTATION, 1)
                web = _web_version(image)
            if exif:
                data = _without_metadata(data, fmt, orientation)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise _too_large(filename) from error
    except (UnidentifiedImageError, OSError, ValueError) as error:
        if isinstance(error, NoticeError):
            raise
        raise NoticeError(
            _("%(name)s は画像として読めませんでした。", name=filename), field="files"
        ) from error
    return data, web


def _web_version(image: Image.Image) -> bytes:
    """The shrunk image upright, on white, as a JPEG."""
    web = ImageOps.exif_transpose(image)
    if web.mode not in ("RGB", "L"):
        background = Image.new("RGB", web.size, "white")
        rgba = web.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        web = background
    small = io.BytesIO()
    web.save(small, "JPEG", quality=80, optimize=True)
    return small.getvalue()


def _without_metadata(data: bytes, fmt: str, orientation: int) -> bytes:
    """The image written again with no metadata but its orientation."""
    exif = Image.Exif()
    if orientation != 1:
        exif[ORIENTATION] = orientation
    clean = io.BytesIO()
    with Image.open(io.BytesIO(data)) as image:
        image.load()  # saving an image not loaded yet took twice the memory (Pillow 13)
        image.save(clean, fmt, quality=92, exif=exif.tobytes() if exif else b"")
    return clean.getvalue()


def new_storage_key() -> str:
    return secrets.token_hex(20)


def stored_name(association_id: int, storage_key: str, web: bool = False) -> str:
    """The name of a file in the store; the key is random, never derived from the filename."""
    suffix = ".web.jpg" if web else ".bin"
    return f"{association_id}/{storage_key}{suffix}"


def path_for(association_id: int, storage_key: str, web: bool = False) -> Path:
    """Where a file lives in the local store."""
    return upload_root() / stored_name(association_id, storage_key, web)


def read(association_id: int, storage_key: str, web: bool = False) -> bytes | None:
    """A stored file's bytes, None when missing; raises StorageError when the store is away."""
    return attachment_store().get(stored_name(association_id, storage_key, web))


def write(session: Session, association_id: int, storage_key: str, prepared: PreparedFile):
    """Store the files of one attachment; they go away again if the transaction rolls back."""
    store = attachment_store()
    files = [(stored_name(association_id, storage_key), prepared.data)]
    if prepared.web_version is not None:
        files.append((stored_name(association_id, storage_key, web=True), prepared.web_version))
    written = session.info.setdefault(_NEW_FILES, [])
    for name, data in files:
        try:
            store.put(association_id, name, data)
        except (StorageError, OSError) as error:
            current_app.logger.error("attachment store: cannot write %s: %s", name, error)
            raise NoticeError(
                _("添付ファイルを保存できませんでした。少し待ってから、もう一度送ってください。"),
                field="files",
            ) from error
        if not store.transactional:
            written.append((store, name))


def remove_after_commit(session: Session, association_id: int, storage_key: str) -> None:
    """Delete an attachment's files once the deletion of its row is committed."""
    store = attachment_store()
    names = [stored_name(association_id, storage_key, web=web) for web in (False, True)]
    if store.transactional:
        for name in names:
            store.delete(name)  # in the same transaction as the row
        return
    session.info.setdefault(_DOOMED_FILES, []).extend((store, name) for name in names)


def _delete_quietly(store, name: str) -> None:
    """Delete after the fact: a failure leaves an unreferenced file, logged, nothing else."""
    try:
        store.delete(name)
    except (StorageError, OSError) as error:
        current_app.logger.warning("attachment store: cannot delete %s: %s", name, error)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    session.info.pop(_NEW_FILES, None)
    for store, name in session.info.pop(_DOOMED_FILES, []):
        _delete_quietly(store, name)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, _previous_transaction) -> None:
    session.info.pop(_DOOMED_FILES, None)
    for store, name in session.info.pop(_NEW_FILES, []):
        _delete_quietly(store, name)
