"""jichikai: circulars and safety check-in for neighbourhood associations."""

import os
import secrets
from pathlib import Path

from flask import Flask

from .config import DefaultConfig


def create_app(config: dict | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints and commands."""
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_relative_config=True,
    )
    app.config.from_object(DefaultConfig)
    app.config.from_prefixed_env("JICHIKAI")
    if config:
        app.config.update(config)
    _finish_config(app)

    from .database import IdConverter

    app.url_map.converters["int"] = IdConverter  # before any route is added
    _register_extensions(app)
    _register_blueprints(app)
    _register_cli(app)
    return app


def _register_extensions(app: Flask) -> None:
    from . import http, i18n, ui
    from .auth.services import member_for_session
    from .extensions import api, babel, csrf, db, limiter, login_manager, migrate

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
    api.init_app(app)
    http.init_app(app)  # after the API, so that HTML pages keep HTML errors
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
    from .disaster import views as disaster_views
    from .extensions import api
    from .home import bp as home_bp
    from .jma import bp as jma_bp
    from .jma import views as jma_views
    from .notices import api as notices_api
    from .notices import bp as notices_bp
    from .notices import views as notices_views
    from .org import bp as org_bp
    from .org import views as org_views
    from .push import api as push_api
    from .push import bp as push_bp
    from .push import views as push_views
    from .pwa import bp as pwa_bp

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
    ui.add_nav(app, notices_views.nav_items)
    ui.add_home_page(app, notices_views.home_page, priority=10)
    api.register_blueprint(notices_api.blp)
    app.register_blueprint(push_bp)
    ui.add_nav(app, push_views.nav_items)
    api.register_blueprint(push_api.blp)
    app.register_blueprint(disaster_bp)
    api.register_blueprint(disaster_api.blp)
    ui.add_nav(app, disaster_views.nav_items)
    ui.add_banner(app, disaster_views.banner)
    ui.add_home_page(app, disaster_views.home_page, priority=100)


def _register_cli(app: Flask) -> None:
    from .demo.cli import demo_command
    from .disaster.cli import shelters_cli
    from .jma.cli import jma_cli
    from .org.cli import association_cli, roster_cli
    from .push.cli import push_cli, worker_command

    app.cli.add_command(association_cli)
    app.cli.add_command(roster_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(push_cli)
    app.cli.add_command(worker_command)
    app.cli.add_command(shelters_cli)
    app.cli.add_command(jma_cli)


def _finish_config(app: Flask) -> None:
    """Fill in what depends on the environment or the instance folder."""
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        url = os.environ.get("DATABASE_URL") or (
            "sqlite:///" + str(Path(app.instance_path) / "jichikai.sqlite3")
        )
        app.config["SQLALCHEMY_DATABASE_URI"] = url
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app.config["SQLALCHEMY_DATABASE_URI"])

    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path) / "secret_key")


def database_url(url: str) -> str:
    """Use the psycopg 3 driver for PostgreSQL URLs written the usual way."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _instance_secret(path: Path) -> str:
    """A secret key kept in the instance folder, created on first start."""
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
