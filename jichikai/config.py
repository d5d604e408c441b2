"""Default configuration; every key can be overridden by a JICHIKAI_* environment variable."""

from datetime import timedelta


class DefaultConfig:
    """Settings for the embedded default: SQLite in the instance folder, one process."""

    SECRET_KEY: str | None = None  # read from the environment or instance/secret_key
    # The key of the login codes' hashes; empty = SECRET_KEY when that is set, else a copy kept
    # in the database (docs/operations.md, "Keys shared by every process"). Set it to the old
    # secret key before rotating SECRET_KEY, or every typed code stops working.
    CARD_PEPPER = ""
    # The key the LINE account's token and secret are sealed with; empty as for CARD_PEPPER.
    LINE_CREDENTIALS_KEY = ""
    SQLALCHEMY_DATABASE_URI: str | None = None  # DATABASE_URL, else SQLite in instance/
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # A pooled PostgreSQL connection idle this long is checked before use (see database.py).
    DATABASE_PING_AFTER_IDLE_SECONDS = 10.0
    # Fail fast when the database is away, so that web workers answer 503 and stay alive
    # (see docs/operations.md, "Faults and recovery"). 0 turns a limit off.
    DATABASE_CONNECT_TIMEOUT_SECONDS = 3  # a new connection (PostgreSQL: at least 2)
    DATABASE_STATEMENT_TIMEOUT_SECONDS = 5.0  # one statement; SQLite: waiting for a lock
    DATABASE_NETWORK_TIMEOUT_SECONDS = 5  # unacknowledged data or a silent peer (TCP)
    # /readyz: the database must answer within this, and a worker have beaten this recently.
    READY_DATABASE_TIMEOUT_SECONDS = 2.0
    READY_WORKER_HEARTBEAT_SECONDS = 60
    # /metrics (see docs/operations.md, "Metrics"): with a token, a scrape must send it as
    # `Authorization: Bearer <token>`; without one, only this machine (127.0.0.1, ::1) may
    # scrape. The database's figures are given up after this many seconds.
    METRICS_TOKEN = ""
    METRICS_DATABASE_TIMEOUT_SECONDS = 2.0
    # "text" (the usual lines) or "json" (one JSON object per line); see "Logs".
    LOG_FORMAT = "text"

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
    # One-tap answer and read links (reach/bearer.py): refused links per client address.
    BEARER_LINK_RATE_LIMIT = "10 per minute;50 per hour"
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are believed; 0 = none
    # (never trust the headers a client could send itself).
    TRUSTED_PROXIES = 0
    # Password hashes checked by every password login, whatever the email: a login email is
    # unique per association, and equal work hides whether (and in how many associations) an
    # address exists. At least 2; see docs/security.md, "Login emails".
    PASSWORD_LOGIN_CHECKS = 2

    BABEL_DEFAULT_LOCALE = "ja"
    BABEL_DEFAULT_TIMEZONE = "Asia/Tokyo"
    # The languages offered, as Babel locale names; the first is the source language of the
    # catalogues. "ja@easy" is やさしい日本語 (easy Japanese). An association may offer fewer
    # (its settings); `make messages` and the catalogue checks follow this list.
    LANGUAGES = ("ja", "ja@easy", "en", "zh_Hans", "vi", "ko", "fil", "ne")

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

    # Passkeys (see docs/passkeys.md): the origin they are bound to (its host name is the
    # WebAuthn RP ID); empty = PUBLIC_URL, else the request's host (embedded default).
    PASSKEY_ORIGIN = ""
    PASSKEY_RP_NAME = "jichikai"

    # Run the scheduler and push sender inside the web process (embedded default only).
    RUN_WORKER_IN_PROCESS = False

    # Web Push (see docs/push.md). The subject is a mailto: or https: contact for the push
    # services; empty = PUBLIC_URL when it is https.
    PUSH_VAPID_SUBJECT = ""
    # The VAPID private key (`flask push vapid-keys --show-private`); empty = kept in the database.
    PUSH_VAPID_PRIVATE_KEY = ""
    PUSH_ALLOWED_ORIGINS = ""  # comma-separated origins; empty = FCM, Mozilla, Apple, Microsoft
    PUSH_CONCURRENCY = 200  # requests in flight per sender
    PUSH_TIMEOUT_SECONDS = 10
    PUSH_ENCRYPT_PROCESSES = 0  # helper processes encrypting while the sender posts; 0 = inline
    PUSH_BATCH_SIZE = 100  # rows claimed at a time
    PUSH_MAX_UNACKNOWLEDGED = 200  # rows a worker holds unanswered (a crash resends them)
    PUSH_LEASE_SECONDS = 30  # renewed every third while held; due again this long after a crash
    PUSH_COLLAPSE_RETRIES = True  # a message without a topic gets its own, so retries collapse
    PUSH_POLL_SECONDS = 2.0  # how often an idle sender looks for due rows
    # Email (see docs/mail.md): Flask-Mailman's settings. No MAIL_SERVER = the embedded
    # default: each message is written as an .eml file under instance/mail/ and logged.
    MAIL_SERVER = ""
    MAIL_PORT = 25  # 587 with MAIL_USE_TLS (STARTTLS), 465 with MAIL_USE_SSL
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""
    # From: of every message; empty = jichikai@<PUBLIC_URL's host> (else @localhost).
    MAIL_DEFAULT_SENDER = ""
    MAIL_REPLY_TO = ""  # where members' replies go (an officer's address); empty = none
    MAIL_BACKEND = ""  # empty = SMTP with MAIL_SERVER, else .eml files (jichikai.mail.files)
    MAIL_FILE_PATH = ""  # the .eml folder; empty = instance/mail
    MAIL_TIMEOUT_SECONDS = 30  # one SMTP connection attempt or command
    MAIL_BATCH_SIZE = 50  # messages sent over one SMTP connection, then it is closed
    MAIL_CONNECTIONS = 8  # SMTP connections open at once, each sending its own batch
    MAIL_LEASE_SECONDS = 120  # like PUSH_LEASE_SECONDS, for claimed email messages

    # LINE (see docs/line.md): the Messaging API's host (tests point it at an emulator).
    LINE_API_BASE = "https://api.line.me"
    LINE_TIMEOUT_SECONDS = 10
    LINE_CONCURRENCY = 8  # LINE requests in flight per sender
    LINE_BATCH_SIZE = 2000  # outbox rows claimed at a time (grouped into multicasts of 500)
    LINE_LEASE_SECONDS = 60
    # Wrong codes sent to the account, per LINE user and per code's first group.
    LINE_LINK_RATE_LIMIT = "5 per minute;20 per hour"
    # While the database is away the worker's loops wait longer between passes, up to this.
    WORKER_RETRY_MAX_SECONDS = 10.0

    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    # An image attachment with more pixels is refused before it is decoded; decoding one at
    # the limit takes about 100 MB (see jichikai/notices/attachments.py).
    NOTICE_IMAGE_MAX_PIXELS = 25_000_000
    # An officer's shelter CSV (see docs/disaster.md): more rows are refused, nothing imported.
    SHELTER_UPLOAD_MAX_ROWS = 10_000

    # Where attachment files are kept (see docs/operations.md, "Attachment storage"):
    # "local" (NOTICE_UPLOAD_FOLDER, else instance/uploads: one machine only), "s3" (an
    # S3-compatible bucket) or "database" (the stored_file table). Several machines need s3
    # or database.
    ATTACHMENT_STORAGE = "local"
    ATTACHMENT_S3_BUCKET = ""
    ATTACHMENT_S3_PREFIX = ""  # e.g. "jichikai/" when the bucket is shared
    ATTACHMENT_S3_ENDPOINT_URL = ""  # empty = AWS; MinIO etc.: https://s3.example.jp
    ATTACHMENT_S3_REGION = ""
    # Empty = boto3's usual sources (AWS_* environment, ~/.aws, the instance's role).
    ATTACHMENT_S3_ACCESS_KEY_ID = ""
    ATTACHMENT_S3_SECRET_ACCESS_KEY = ""
    ATTACHMENT_S3_ADDRESSING_STYLE = "auto"  # "path" for servers without bucket host names
    ATTACHMENT_S3_TIMEOUT_SECONDS = 10
    # Maps (see docs/maps.md): the tiles of the shelter map and of an officer's household
    # map. GSI's 地理院タイル need their attribution shown; another tile server needs its own.
    MAP_TILE_URL = "https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png"
    MAP_TILE_ATTRIBUTION = (
        '<a href="https://maps.gsi.go.jp/development/ichiran.html">地理院タイル</a>'
    )
    MAP_MAX_ZOOM = 18
    # Finding a household's place from its address: "" (off), "gsi" (国土地理院の住所検索)
    # or "nominatim" (OpenStreetMap). GEOCODER_URL: empty = the service's public address.
    GEOCODER = ""
    GEOCODER_URL = ""
    GEOCODER_USER_AGENT = "jichikai"
    GEOCODER_TIMEOUT_SECONDS = 5.0

    # Machine translation of circulars (see docs/circulars.md, "Circulars in more than one
    # language"): "" (off) or "deepl" (DeepL's API, with DEEPL_AUTH_KEY). DEEPL_SERVER_URL:
    # empty = DeepL's own address for the key (api-free.deepl.com for a free key).
    TRANSLATION_PROVIDER = ""
    DEEPL_AUTH_KEY = ""
    DEEPL_SERVER_URL = ""
    # Our language codes -> DeepL's target codes; a language not listed gets no machine
    # translation (DeepL has no easy Japanese, Filipino or Nepali).
    DEEPL_LANGUAGES = {"ja": "JA", "en": "EN-US", "zh_Hans": "ZH-HANS", "vi": "VI", "ko": "KO"}
    # One request's wait for the provider, and how often a failed one (timeout, 429, 5xx) is
    # tried again: an officer is waiting for the page.
    TRANSLATION_TIMEOUT_SECONDS = 10.0
    TRANSLATION_RETRIES = 1
