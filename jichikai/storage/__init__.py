"""Where attachment files are kept: the instance folder, an S3-compatible bucket or the database.

Chosen by ATTACHMENT_STORAGE (docs/operations.md, "Attachment storage"). Everything that writes,
reads, serves, deletes or backs up attachments goes through `attachment_store()`.
"""

from .stores import (
    STORES,
    AttachmentStore,
    DatabaseStore,
    LocalStore,
    S3Store,
    StorageError,
    attachment_store,
)

__all__ = [
    "STORES",
    "AttachmentStore",
    "DatabaseStore",
    "LocalStore",
    "S3Store",
    "StorageError",
    "attachment_store",
]
