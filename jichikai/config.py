"""Default configuration; every key can be overridden by a JICHIKAI_* environment variable."""

from datetime import timedelta


class DefaultConfig:
    """Settings for the embedded default: SQLite in the instance folder, one process."""

    SECRET_KEY: str | None = None  # read from the environment or instance/secret_key
    SQLALCHEMY_DATABASE_URI: str | None = None  # DATABASE_URL, else SQLite in instance/
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # A pooled PostgreSQL connection idle this long is checked before use (see database.py).
    DATABASE_PING_AFTER_IDLE_SECONDS = 10.0

    # Members stay logged in for a year on their phone; each login is a revocable device.
    PERMANENT_SESSION_LIFETIME = timedelta(days=365)
    REMEMBER_COOKIE_DURATION = timedelta(days=365)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    WTF_CSRF_HEADERS = ["X-CSRFToken", "X-CSRF-Token"]

    # Login limits count failed attempts only (see auth/limits.py); several processes need a
    # shared store: redis://host:6379.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = "10 per minute;50 per hour"  # per client address
    LOGIN_TARGET_RATE_LIMIT = "5 per minute;20 per hour"  # per code group, card link, email
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are believed; 0 = none
    # (never trust the headers a client could send itself).
    TRUSTED_PROXIES = 0

    BABEL_DEFAULT_LOCALE = "ja"
    BABEL_DEFAULT_TIMEZONE = "Asia/Tokyo"
    LANGUAGES = ("ja", "en")

    API_TITLE = "jichikai"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"

    # Public base URL used on printed login cards (QR codes); empty = the request's host.
    PUBLIC_URL = ""
    # Served over HTTPS (behind the TLS proxy): Secure cookies, HSTS, https links.
    # None = when PUBLIC_URL starts with https://.
    HTTPS: bool | None = None

    # Run the scheduler and push sender inside the web process (embedded default only).
    RUN_WORKER_IN_PROCESS = False

    # Web Push (see docs/push.md). The subject is a mailto: or https: contact for the push
    # services; empty = PUBLIC_URL when it is https.
    PUSH_VAPID_SUBJECT = ""
    PUSH_ALLOWED_ORIGINS = ""  # comma-separated origins; empty = FCM, Mozilla, Apple, Microsoft
    PUSH_CONCURRENCY = 200  # requests in flight per sender
    PUSH_TIMEOUT_SECONDS = 10
    PUSH_ENCRYPT_PROCESSES = 0  # helper processes encrypting while the sender posts; 0 = inline
    PUSH_BATCH_SIZE = 500  # rows claimed at a time
    PUSH_LEASE_SECONDS = 120  # a claimed row is due again after this if its worker died
    PUSH_POLL_SECONDS = 2.0  # how often an idle sender looks for due rows

    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
