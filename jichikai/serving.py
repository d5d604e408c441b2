"""What the HTTP servers write and send: no secret links in request logs, no version numbers.

A card's link (`/c/<token>`) logs its holder in, and a one-tap link (`/a/<token>/...` to
answer the safety check, `/r/<token>` to say a circular was read) acts for one member, so none
must end up in a log file that more people can read than the card or the message.
gunicorn's access log uses `AccessLogger` (set in gunicorn.conf.py); the development server's
request log is filtered here. The reverse proxy's own log needs the same care
(docs/operations.md).
"""

import logging
import re

import click
from flask import Flask, current_app
from gunicorn.glogging import Logger
from werkzeug.serving import WSGIRequestHandler, run_simple

CARD_LINK = re.compile(r"/([car])/[^/?#\s\"]+")
REDACTED = {"c": "/c/[card]", "a": "/a/[link]", "r": "/r/[link]"}


def redact(text: str) -> str:
    """`text` with the token of every card and one-tap link replaced."""
    return CARD_LINK.sub(lambda found: REDACTED[found[1]], text)


class RedactingFilter(logging.Filter):
    """Remove card and link tokens from a log record (the development server's request log)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if CARD_LINK.search(message):
            record.msg, record.args = redact(message), ()
        return True


class AccessLogger(Logger):
    """gunicorn's logger, with card and link tokens removed from every field of the access log."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {
            key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()
        }


class QuietRequestHandler(WSGIRequestHandler):
    """The development server's requests, answered without its and Python's versions."""

    def version_string(self) -> str:
        return "jichikai"


def init_app(app: Flask) -> None:
    """Filter the development server's request log (`flask serve` and `flask run`)."""
    werkzeug_log = logging.getLogger("werkzeug")
    if not any(isinstance(f, RedactingFilter) for f in werkzeug_log.filters):
        werkzeug_log.addFilter(RedactingFilter())


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve_command(host: str, port: int) -> None:
    """Serve the site with the development server (make run); production uses gunicorn."""
    app = current_app._get_current_object()
    run_simple(host, port, app, threaded=True, request_handler=QuietRequestHandler)
