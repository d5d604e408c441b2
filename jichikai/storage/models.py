"""The bytes of attachments kept in the database (ATTACHMENT_STORAGE = "database")."""

from datetime import datetime

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ..database import TenantMixin, UTCDateTime, utcnow
from ..extensions import db


class StoredFile(TenantMixin, db.Model):
    """One stored file, by the name the store gives it (`<association>/<key>.bin`)."""

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
