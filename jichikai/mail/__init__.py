"""Email: the outbox's email rows sent by SMTP (Flask-Mailman), feature-phone friendly, and
the officers' page of addresses that do not work. See docs/mail.md.

Who gets a message: rows go to `working` addresses only, except rows of kind "confirm" (the
message that confirms a new address), which go to `unconfirmed` addresses too; rows for a
failed or stopped address are never sent (`delivery.sendable`).
"""

from flask import Blueprint

bp = Blueprint("mail", __name__)

from . import views  # noqa: E402,F401
