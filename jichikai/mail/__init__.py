"""Email: the outbox's email rows sent by SMTP (Flask-Mailman), feature-phone friendly, and
the officers' page of addresses that do not work. See docs/mail.md."""

from flask import Blueprint

bp = Blueprint("mail", __name__)

from . import views  # noqa: E402,F401
