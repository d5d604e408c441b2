"""Email settings, read from `app.config` (JICHIKAI_MAIL_* in the environment), and the
Flask-Mailman connection they describe.

With a MAIL_SERVER, messages go by SMTP; without one (the embedded default, `make run`) each
message is written as an .eml file under instance/mail/ and logged (`files.EmailBackend`).
"""

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask

from ..extensions import mail

SMTP_BACKEND = "smtp"
FILE_BACKEND = "jichikai.mail.files.EmailBackend"


@dataclass(frozen=True)
class MailSettings:
    """What the sender needs, read once when it opens (the worker reopens after a restart)."""

    backend: str
    server: str
    port: int
    use_tls: bool
    use_ssl: bool
    username: str
    password: str
    sender: str
    reply_to: str
    file_path: str
    timeout: float
    batch_size: int
    connections: int
    lease_seconds: float

    @property
    def smtp(self) -> bool:
        return self.backend == SMTP_BACKEND

    def describe(self) -> str:
        """Where messages go, for logs (no password)."""
        if self.smtp:
            security = "SSL" if self.use_ssl else "STARTTLS" if self.use_tls else "plain"
            return f"SMTP {self.server}:{self.port} ({security})"
        if self.backend == FILE_BACKEND:
            return f".eml files in {self.file_path}"
        return self.backend


class MailSettingsError(ValueError):
    """The settings cannot work; the message says which one to change."""


def default_sender(app: Flask) -> str:
    """MAIL_DEFAULT_SENDER, else jichikai@ the public host (else localhost)."""
    configured = str(app.config.get("MAIL_DEFAULT_SENDER") or "").strip()
    if configured:
        return configured
    host = urlsplit(str(app.config.get("PUBLIC_URL") or "")).hostname
    return f"jichikai@{host or 'localhost'}"


def mail_settings(app: Flask) -> MailSettings:
    """The settings as they are now in `app.config`; MailSettingsError if they cannot work."""
    config = app.config
    server = str(config.get("MAIL_SERVER") or "").strip()
    backend = str(config.get("MAIL_BACKEND") or "").strip() or (
        SMTP_BACKEND if server else FILE_BACKEND
    )
    use_tls, use_ssl = bool(config.get("MAIL_USE_TLS")), bool(config.get("MAIL_USE_SSL"))
    if use_tls and use_ssl:
        raise MailSettingsError(
            "MAIL_USE_TLS (STARTTLS, port 587) and MAIL_USE_SSL (port 465) exclude each other"
        )
    if backend == SMTP_BACKEND and not server:
        raise MailSettingsError("MAIL_BACKEND is smtp but MAIL_SERVER is not set")
    try:
        port = int(config.get("MAIL_PORT") or (465 if use_ssl else 25))
        timeout = float(config["MAIL_TIMEOUT_SECONDS"])
        numbers = [int(config[k]) for k in ("MAIL_BATCH_SIZE", "MAIL_CONNECTIONS")]
        lease = float(config["MAIL_LEASE_SECONDS"])
    except (TypeError, ValueError) as error:
        raise MailSettingsError(f"a MAIL_* number is not a number: {error}") from error
    if not 0 < port < 65536:
        raise MailSettingsError(f"MAIL_PORT {port} is not a port number")
    return MailSettings(
        backend=backend,
        server=server,
        port=port,
        use_tls=use_tls,
        use_ssl=use_ssl,
        username=str(config.get("MAIL_USERNAME") or ""),
        password=str(config.get("MAIL_PASSWORD") or ""),
        sender=default_sender(app),
        reply_to=str(config.get("MAIL_REPLY_TO") or "").strip(),
        file_path=str(config.get("MAIL_FILE_PATH") or Path(app.instance_path) / "mail"),
        timeout=max(1.0, timeout),
        batch_size=max(1, numbers[0]),
        connections=max(1, numbers[1]),
        lease_seconds=max(10.0, lease),
    )


def get_connection(settings: MailSettings):
    """A Flask-Mailman connection (not open yet) as `settings` say; needs an app context."""
    if settings.smtp:
        return mail.get_connection(
            backend=SMTP_BACKEND,
            host=settings.server,
            port=settings.port,
            username=settings.username,
            password=settings.password,
            use_tls=settings.use_tls,
            use_ssl=settings.use_ssl,
            timeout=settings.timeout,
        )
    if settings.backend == FILE_BACKEND:
        return mail.get_connection(backend=FILE_BACKEND, file_path=settings.file_path)
    return mail.get_connection(backend=settings.backend)


def init_app(app: Flask) -> None:
    """Attach Flask-Mailman with our defaults (never its test-mode memory backend), for code
    that sends with `EmailMessage.send()`; the sender passes its settings explicitly."""
    state = mail.init_app(app)
    server = str(app.config.get("MAIL_SERVER") or "").strip()
    state.backend = str(app.config.get("MAIL_BACKEND") or "").strip() or (
        SMTP_BACKEND if server else FILE_BACKEND
    )
    state.file_path = str(app.config.get("MAIL_FILE_PATH") or Path(app.instance_path) / "mail")
    state.default_sender = default_sender(app)
    state.timeout = app.config.get("MAIL_TIMEOUT_SECONDS")
