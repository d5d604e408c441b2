"""Applications on their own instance folders, and the `flask` commands run on them."""

import stat
from pathlib import Path

from flask import Flask

from jichikai import create_app
from jichikai.extensions import db

CONFIG = {
    "TESTING": True,
    "WTF_CSRF_ENABLED": False,
    "RATELIMIT_ENABLED": False,
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def instance_app(folder: Path, **config) -> Flask:
    """An application on its own instance folder: SQLite, secret key and uploads in it."""
    return create_app({**CONFIG, **config}, instance_path=str(folder))


def flask_command(app: Flask, *args: str):
    """`flask ARGS` as the `flask` command runs it (in an app context)."""
    with app.app_context():
        result = app.test_cli_runner().invoke(args=list(args))
        db.session.remove()
        db.engine.dispose()
    return result
