import pytest

from .smtp_server import SmtpServer

MAIL_KEYS = (
    "MAIL_SERVER",
    "MAIL_PORT",
    "MAIL_BACKEND",
    "MAIL_DEFAULT_SENDER",
    "MAIL_REPLY_TO",
    "MAIL_BATCH_SIZE",
    "MAIL_CONNECTIONS",
    "MAIL_TIMEOUT_SECONDS",
    "MAIL_FILE_PATH",
)


@pytest.fixture
def smtp(app):
    """An SMTP server on 127.0.0.1, and the app's MAIL_* settings pointing at it."""
    server = SmtpServer().start()
    saved = {key: app.config.get(key) for key in MAIL_KEYS}
    app.config.update(
        MAIL_SERVER=server.host,
        MAIL_PORT=server.port,
        MAIL_BACKEND="",
        MAIL_DEFAULT_SENDER="jichikai@kairan.example.jp",
        MAIL_CONNECTIONS=1,
        MAIL_TIMEOUT_SECONDS=5,
    )
    yield server
    server.stop()
    app.config.update(saved)
