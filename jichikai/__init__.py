"""jichikai: circulars and safety check-in for neighbourhood associations."""

import os
import secrets
from pathlib import Path

from flask import Flask
from sqlalchemy.engine import make_url

from .config import DefaultConfig
from .database import IdConverter, engine_options
from .files import create_private_file, private_folder, write_private


def create_app(config: dict | None = None, instance_path: str | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints and commands.

    The instance folder is `instance_path`, else JICHIKAI_INSTANCE_PATH, else ./instance
    beside the package (Flask's default).
    """
    instance_path = instance_path or os.environ.get("JICHIKAI_INSTANCE_PATH") or None
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_relative_config=True,
        instance_path=instance_path,
    )
    app.config.from_object(DefaultConfig)
    app.config.from_prefixed_env("JICHIKAI")
    if config:
        app.config.update(config)
    _finish_config(app)
    _trust_proxies(app)

    app.url_map.converters["int"] = IdConverter  # before any route is added
    _register_extensions(app)
    _register_blueprints(app)
    _connect_signals()
    _register_cli(app)
    return app


def _trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXIES reverse proxies, take the client's address and scheme from them."""
    trusted = int(app.config["TRUSTED_PROXIES"])
    if trusted > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted, x_proto=trusted)


def _register_extensions(app: Flask) -> None:
    from . import http, i18n, serving, ui
    from .auth.services import member_for_session
    from .extensions import api, babel, csrf, db, limiter, login_manager, migrate
    from .mail import settings as mail_settings

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = i18n.translation_directories(app)
    babel.init_app(
        app,
        locale_selector=i18n.select_locale,
        timezone_selector=i18n.select_timezone,
    )
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.user_loader(member_for_session)
    login_manager.unauthorized_handler(http.unauthorized)
    mail_settings.init_app(app)
    api.init_app(app)
    http.init_app(app)  # after the API, so that HTML pages keep HTML errors
    serving.init_app(app)
    i18n.init_app(app)
    ui.init_app(app)
    with app.app_context():
        from . import database

        database.configure_engine(db.engine, app.config["DATABASE_PING_AFTER_IDLE_SECONDS"])


def _register_blueprints(app: Flask) -> None:
    from . import ui
    from .auth import api as auth_api
    from .auth import bp as auth_bp
    from .disaster import api as disaster_api
    from .disaster import bp as disaster_bp
    from .disaster import bulletin_views as disaster_bulletin_views
    from .disaster import onetap_bp as disaster_onetap_bp
    from .disaster import views as disaster_views
    from .extensions import api
    from .health import bp as health_bp
    from .home import bp as home_bp
    from .jma import bp as jma_bp
    from .jma import views as jma_views
    from .line import bp as line_bp
    from .line import services as line_services
    from .line import views as line_views
    from .mail import bp as mail_bp
    from .mail import views as mail_views
    from .metrics import bp as metrics_bp
    from .notices import api as notices_api
    from .notices import bp as notices_bp
    from .notices import onetap_bp as notices_onetap_bp
    from .notices import views as notices_views
    from .org import bp as org_bp
    from .org import views as org_views
    from .push import api as push_api
    from .push import bp as push_bp
    from .push import views as push_views
    from .pwa import bp as pwa_bp
    from .reach import bp as reach_bp
    from .reach import reports as reach_reports
    from .reach import services as reach_services
    from .reach import views as reach_views

    app.register_blueprint(health_bp)
    app.register_blueprint(metrics_bp)
    app.register_blueprint(home_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(org_bp)
    app.register_blueprint(pwa_bp)
    ui.add_nav(app, org_views.nav_items)
    app.register_blueprint(jma_bp)
    ui.add_nav(app, jma_views.nav_items)
    ui.add_banner(app, jma_views.pending_banner)
    api.register_blueprint(auth_api.blp)
    app.register_blueprint(notices_bp)
    app.register_blueprint(notices_onetap_bp)
    ui.add_nav(app, notices_views.nav_items)
    ui.add_tab(app, notices_views.tab)
    ui.add_home_page(app, notices_views.home_page, priority=10)
    api.register_blueprint(notices_api.blp)
    app.register_blueprint(push_bp)
    ui.add_nav(app, push_views.nav_items)
    api.register_blueprint(push_api.blp)
    app.register_blueprint(reach_bp)
    ui.add_section(app, "push.settings", reach_views.settings_section)
    app.register_blueprint(disaster_bp)
    app.register_blueprint(disaster_onetap_bp)
    api.register_blueprint(disaster_api.blp)
    ui.add_nav(app, disaster_views.nav_items)
    ui.add_tab(app, disaster_views.tab)
    app.register_blueprint(mail_bp)
    ui.add_nav(app, mail_views.nav_items)
    ui.add_banner(app, disaster_views.banner)
    ui.add_banner(app, disaster_bulletin_views.top_section)
    ui.add_home_page(app, disaster_views.home_page, priority=100)
    app.register_blueprint(line_bp)
    ui.add_nav(app, line_views.nav_items)
    ui.add_banner(app, line_views.off_banner)
    reach_views.add_channel_offer(app, line_views.link_offer)
    reach_services.add_availability(app, "line", line_services.sending_associations)
    reach_reports.add_plan_warning(app, line_services.allowance_warning)


def _connect_signals() -> None:
    """Features above org react to its changes (connecting twice is harmless)."""
    from .auth.services import end_logins
    from .org.signals import member_access_ended, roster_emails_listed, roster_emails_wanted
    from .push.services import forget_member
    from .reach import contacts

    member_access_ended.connect(end_logins)
    member_access_ended.connect(forget_member)
    member_access_ended.connect(contacts.forget_member)
    roster_emails_wanted.connect(contacts.roster_emails)
    roster_emails_listed.connect(contacts.apply_roster_emails)


def _register_cli(app: Flask) -> None:
    from .auth.cli import passkeys_cli
    from .backup.cli import backup_cli, secret_key_cli
    from .demo.cli import demo_command
    from .disaster.cli import shelters_cli
    from .jma.cli import jma_cli
    from .org.cli import association_cli, roster_cli
    from .push.cli import outbox_cli, push_cli, worker_command
    from .serving import serve_command

    app.cli.add_command(association_cli)
    app.cli.add_command(roster_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(push_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(worker_command)
    app.cli.add_command(shelters_cli)
    app.cli.add_command(jma_cli)
    app.cli.add_command(passkeys_cli)
    app.cli.add_command(serve_command)
    app.cli.add_command(backup_cli)
    app.cli.add_command(secret_key_cli)


def _finish_config(app: Flask) -> None:
    """Fill in what depends on the environment or the instance folder."""
    private_folder(Path(app.instance_path))

    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        url = os.environ.get("DATABASE_URL") or (
            "sqlite:///" + str(Path(app.instance_path) / "jichikai.sqlite3")
        )
        app.config["SQLALCHEMY_DATABASE_URI"] = url
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"], app.config
    )
    _create_sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"])

    # Where the sessions' key comes from decides where the card pepper and the LINE
    # credentials' key come from (jichikai/keys/services.py).
    app.extensions["jichikai.secret_key_source"] = "settings"
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path) / "secret_key")
        app.extensions["jichikai.secret_key_source"] = "instance"

    _configure_https(app)

    from .storage.stores import check_config

    check_config(app.config)  # the attachment store's settings

    from .serving import log_format

    app.config["LOG_FORMAT"] = log_format(app.config.get("LOG_FORMAT"))  # before any extension


def _configure_https(app: Flask) -> None:
    """Over HTTPS: cookies only over TLS, links built with https (HSTS is in http.py).

    The session cookie takes the __Host- prefix (only this host, path /, Secure), which
    browsers enforce. Nobody is logged out by the new name: the year-long remember cookie,
    whose name stays, logs the browser in again at once. The remember cookie keeps its
    name for that reason; it is marked Secure when next set (at each login).
    """
    https = app.config.get("HTTPS")
    if https is None:
        https = str(app.config.get("PUBLIC_URL") or "").startswith("https://")
    app.config["HTTPS"] = bool(https)
    if not https:
        return
    app.config["PREFERRED_URL_SCHEME"] = "https"
    app.config["SESSION_COOKIE_SECURE"] = True
    app.config["SESSION_COOKIE_NAME"] = "__Host-session"
    app.config["SESSION_COOKIE_DOMAIN"] = None
    app.config["SESSION_COOKIE_PATH"] = "/"
    app.config["REMEMBER_COOKIE_SECURE"] = True
    public = str(app.config.get("PUBLIC_URL") or "")
    if public.startswith("http://"):
        app.config["PUBLIC_URL"] = "https://" + public.removeprefix("http://")


def database_url(url: str) -> str:
    """Use the psycopg 3 driver for PostgreSQL URLs written the usual way."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _create_sqlite_file(url: str) -> None:
    """Create a SQLite database file private before SQLite does (it would make it 0644);
    SQLite gives its -wal and -shm files the database file's mode."""
    parsed = make_url(url)
    name = parsed.database or ""
    if not parsed.drivername.startswith("sqlite") or name in ("", ":memory:"):
        return
    if name.startswith("file:") or parsed.query.get("uri"):
        return  # SQLite URI filenames: the operator chose how
    path = Path(name)
    private_folder(path.parent)
    create_private_file(path)


def _instance_secret(path: Path) -> str:
    """A secret key kept in the instance folder, created (owner-only) on first start."""
    write_private(path, secrets.token_hex(32).encode(), exclusive=True)
    return path.read_text().strip()
