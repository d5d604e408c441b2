"""The embedded default's mail: each message written as one .eml file, private to the server's
user (jichikai/files.py), and one log line, so `make run` shows mail without an SMTP server.

A Flask-Mailman backend (`MAIL_BACKEND = "jichikai.mail.files.EmailBackend"`): Flask-Mailman's
own file backend appends every message of a connection to one .log file, world-readable
under the usual umask; an .eml file per message opens in any mail program.
"""

import logging
import secrets
from datetime import UTC, datetime
from email.header import decode_header, make_header
from pathlib import Path

from flask import current_app
from flask_mailman.backends.base import BaseEmailBackend

from ..files import private_folder, write_private

log = logging.getLogger(__name__)


class EmailBackend(BaseEmailBackend):
    """Writes each message to `file_path`/<UTC time>-<random>.eml (0600, folder 0700)."""

    def __init__(self, *args, file_path=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.folder = Path(file_path or self.mailman.file_path)
        # Shown where nothing configured logging (`make run`): INFO on this logger, and Flask's
        # stderr handler on the app's logger ("jichikai"), which it adds when none is set.
        if log.level == logging.NOTSET:
            log.setLevel(logging.INFO)
        current_app.logger  # noqa: B018 - creating it installs the handler

    def send_messages(self, email_messages) -> int:
        if not email_messages:
            return 0
        private_folder(self.folder)
        written = 0
        for email_message in email_messages:
            message = email_message.message()
            stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
            path = self.folder / f"{stamp}-{secrets.token_hex(6)}.eml"
            write_private(path, message.as_bytes(linesep="\r\n"), exclusive=True)
            subject = str(make_header(decode_header(message["Subject"] or "")))
            log.info("mail to %s written to %s: %s", ", ".join(email_message.to), path, subject)
            written += 1
        return written
