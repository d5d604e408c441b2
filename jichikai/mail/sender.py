"""Sending a batch of messages over one connection, and what each answer means.

Runs in a thread of its own (no database): one Flask-Mailman connection is opened for the
batch, every message goes over it, and it is closed. Each message's outcome is reported as
it is known:

- SENT: the server accepted it (250).
- RETRY: a temporary failure - a 4xx answer, a refused or lost connection, a timeout, our
  login or sender address refused. Tried again later (backoff) until the message's TTL.
- BOUNCED: the address does not work - a 5xx answer to RCPT TO (550 user unknown) or a
  5.1.x one after DATA, or an address that cannot be written. The contact is marked failed.
- REFUSED: a 5xx answer after DATA about the message itself (content refused): this message
  is given up, the address stays in use.

A lost connection is opened again once for the rest of the batch; when that fails too, the
rest is RETRY without being tried.
"""

import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask

from .settings import MailSettings, get_connection

log = logging.getLogger(__name__)

SENT = "sent"
RETRY = "retry"
BOUNCED = "bounced"
REFUSED = "refused"


@dataclass(frozen=True)
class MailResult:
    id: int
    outcome: str
    code: int | None = None
    error: str = ""


def _text(message) -> str:
    if isinstance(message, bytes):
        return message.decode("utf-8", "replace")
    return str(message)


def classify(error: Exception) -> tuple[str, int | None, str, bool]:
    """(outcome, SMTP code, error text, whether the connection is lost) of a failed send."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, answer = next(iter(error.recipients.values()), (None, b""))
        outcome = BOUNCED if code is not None and code >= 500 else RETRY
        return outcome, code, f"RCPT TO: {code} {_text(answer)}", False
    if isinstance(error, smtplib.SMTPDataError):
        answer = _text(error.smtp_error)
        if error.smtp_code >= 500:
            outcome = BOUNCED if answer.startswith("5.1.") else REFUSED
            return outcome, error.smtp_code, f"DATA: {error.smtp_code} {answer}", False
        return RETRY, error.smtp_code, f"DATA: {error.smtp_code} {answer}", False
    if isinstance(error, smtplib.SMTPSenderRefused):
        answer = _text(error.smtp_error)
        return RETRY, error.smtp_code, f"MAIL FROM refused: {error.smtp_code} {answer}", False
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return RETRY, None, f"connection lost: {error}", True
    if isinstance(error, smtplib.SMTPResponseException):
        return RETRY, error.smtp_code, f"{error.smtp_code} {_text(error.smtp_error)}", True
    if isinstance(error, (ValueError, UnicodeError)):
        return BOUNCED, None, f"address cannot be used: {error}", False
    if isinstance(error, (OSError, smtplib.SMTPException)):
        return RETRY, None, f"{type(error).__name__}: {error}", True
    raise error


def send_batch(
    app: Flask,
    settings: MailSettings,
    messages: list[tuple[int, object]],
    on_result: Callable[[MailResult], None],
) -> int:
    """Send (row id, EmailMessage) pairs over one connection; returns connections opened."""
    opened = 0
    with app.app_context():  # Flask-Mailman builds each message from the app's settings
        connection = get_connection(settings)
        reopened = False
        pending = list(messages)
        while pending:
            try:
                connection.open()
                opened += 1
            except Exception as error:
                outcome, code, text, _lost = classify(error)
                log.warning("mail: cannot connect (%s): %s", settings.describe(), text)
                for row_id, _message in pending:
                    on_result(MailResult(row_id, RETRY, code, f"not sent: {text}"))
                _close(connection)
                return opened
            while pending:
                row_id, message = pending.pop(0)
                try:
                    connection.send_messages([message])
                except Exception as error:
                    outcome, code, text, lost = classify(error)
                    on_result(MailResult(row_id, outcome, code, text))
                    if lost:
                        _close(connection)
                        break
                else:
                    on_result(MailResult(row_id, SENT, 250))
            else:
                _close(connection)
                return opened
            if reopened:
                for row_id, _message in pending:
                    on_result(MailResult(row_id, RETRY, None, "not sent: connection lost twice"))
                return opened
            reopened = True
    return opened


def _close(connection) -> None:
    """Close the connection; a connection that is already broken is dropped quietly."""
    try:
        connection.close()
    except Exception:  # noqa: BLE001 - the answers are all recorded; nothing to lose here
        log.debug("mail: closing a broken connection", exc_info=True)
        connection.connection = None
