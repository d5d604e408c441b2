"""What the HTTP servers write and send: no secret links in logs, no version numbers.

A card's link (`/c/<token>`) logs its holder in, and a one-tap link (`/a/<token>/...` to
answer the safety check, `/r/<token>` to say a circular was read) acts for one member, so none
must end up in a log file that more people can read than the card or the message.
gunicorn's logs use `AccessLogger` (set in gunicorn.conf.py); the application's and the
development server's log records pass `RedactingFilter`, and the JSON lines of `JsonFormatter`
are redacted too. The reverse proxy's own log needs the same care (docs/operations.md).

LOG_FORMAT (`JICHIKAI_LOG_FORMAT`) chooses the usual text lines or one JSON object per line
for gunicorn, the application and the worker (see `configure_logging`).
"""

import json
import logging
import os
import re
from datetime import UTC, datetime

import click
from flask import Flask, current_app
from flask.logging import default_handler
from gunicorn.glogging import Logger
from werkzeug.serving import WSGIRequestHandler, run_simple

# A token is URL-safe Base64 (cards) or an itsdangerous signed value (one-tap links); it ends
# where those characters do, so that "/c/<token>: ..." keeps its colon.
CARD_LINK = re.compile(r"/([car])/[\w.~%-]+")
REDACTED = {"c": "/c/[card]", "a": "/a/[link]", "r": "/r/[link]"}
# A member's calendar feed (/calendar/<token>.ics) is a secret address too.
CALENDAR_FEED = re.compile(r"/calendar/[\w~%-]+\.ics")
LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(name)s %(message)s"  # the worker's lines
# Characters that some readers take for the end of a line; JSON leaves them as they are.
LINE_BREAKS = str.maketrans({"\u2028": "\\u2028", "\u2029": "\\u2029", "\x85": "\\u0085"})


def redact(text: str) -> str:
    """`text` with the token of every card, one-tap link and calendar feed replaced."""
    text = CARD_LINK.sub(lambda found: REDACTED[found[1]], text)
    return CALENDAR_FEED.sub("/calendar/[feed].ics", text)


class RedactingFilter(logging.Filter):
    """Remove card and link tokens from a log record's message."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: the handler reports it when formatting
            return True
        if CARD_LINK.search(message):
            record.msg, record.args = redact(message), ()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, process, message, the record's
    `fields` (an `extra`) and any traceback, each with links redacted."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "process": record.process,
            "message": redact(record.getMessage()),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            for key, value in fields.items():
                entry.setdefault(key, redact(value) if isinstance(value, str) else value)
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exception"] = redact(record.exc_text)
        if record.stack_info:
            entry["stack"] = redact(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False, default=str).translate(LINE_BREAKS)


def log_format(value) -> str:
    """LOG_FORMAT checked: "text" or "json"."""
    chosen = str(value or "text").strip().lower()
    if chosen not in LOG_FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {LOG_FORMATS}, not {value!r}")
    return chosen


class AccessLogger(Logger):
    """gunicorn's logger, with card and link tokens removed from every field of the access log;
    with JICHIKAI_LOG_FORMAT=json its error and access logs write JSON lines."""

    def setup(self, cfg):
        super().setup(cfg)
        self.json = log_format(os.environ.get("JICHIKAI_LOG_FORMAT")) == "json"
        if self.json:
            for log in (self.error_log, self.access_log):
                for handler in log.handlers:
                    handler.setFormatter(JsonFormatter())

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {
            key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()
        }

    def access(self, resp, req, environ, request_time):
        """A JSON line per request: no query string, no headers but the referer and agent."""
        if not self.json:
            return super().access(resp, req, environ, request_time)
        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        fields = {
            "remote_addr": atoms["h"],
            "method": atoms["m"],
            "path": atoms["U"],
            "status": int(atoms["s"]),
            "bytes": atoms["B"],
            "duration_ms": atoms["M"],
            "referer": atoms["f"],
            "user_agent": atoms["a"],
        }
        self.access_log.info(
            "%s %s %s", atoms["m"], atoms["U"], atoms["s"], extra={"fields": fields}
        )


class QuietRequestHandler(WSGIRequestHandler):
    """The development server's requests, answered without its and Python's versions."""

    def version_string(self) -> str:
        return "jichikai"


def init_app(app: Flask) -> None:
    """Redact the application's and the development server's logs; LOG_FORMAT chooses lines."""
    werkzeug_log = logging.getLogger("werkzeug")
    _add_redacting_filter(werkzeug_log)
    configure_logging(app)


def configure_logging(app: Flask, level: int | None = None) -> None:
    """Where this process's log records go, redacted, as LOG_FORMAT says.

    json: one handler on the root logger writes every logger's records to stderr as JSON lines
    (Flask's own handler is taken off, so nothing is written twice). text: Flask's handler as
    before. `level` (the worker: INFO) is set on the root logger, which then gets a text
    handler if it has none.
    """
    chosen = log_format(app.config.get("LOG_FORMAT"))
    root = logging.getLogger()
    ours = [handler for handler in root.handlers if getattr(handler, "_jichikai", False)]
    if chosen == "json":
        handler = ours[0] if ours else logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        _install(root, handler)
        app.logger.removeHandler(default_handler)
    elif level is not None and not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
        _install(root, handler)
    else:
        for handler in ours:
            if isinstance(handler.formatter, JsonFormatter):
                root.removeHandler(handler)  # another application of this process chose json
    _add_redacting_filter(default_handler)
    if level is not None:
        root.setLevel(level)


def _install(root: logging.Logger, handler: logging.Handler) -> None:
    handler._jichikai = True
    _add_redacting_filter(handler)
    if handler not in root.handlers:
        root.addHandler(handler)


def _add_redacting_filter(target: logging.Filterer) -> None:
    if not any(isinstance(f, RedactingFilter) for f in target.filters):
        target.addFilter(RedactingFilter())


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve_command(host: str, port: int) -> None:
    """Serve the site with the development server (make run); production uses gunicorn."""
    app = current_app._get_current_object()
    run_simple(host, port, app, threaded=True, request_handler=QuietRequestHandler)
