"""Reading and creating the shared keys; the rule is the same for each of them.

1. its setting (JICHIKAI_*), when set: every process must be given the same value;
2. else the `server_key` row of that name, created by the first process that needs it (an
   INSERT that another process may win: then the winner's value is read and used).

The first value of a row may come from this machine's instance folder (the key used before
keys were shared), so nothing already issued stops working.
"""

import secrets
from collections.abc import Callable

from flask import Flask, current_app
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from .models import ServerKey

VAPID_PRIVATE_KEY = "vapid_private_key"
CARD_PEPPER = "card_pepper"
LINE_CREDENTIALS_KEY = "line_credentials_key"

_CACHE = "jichikai.keys"


def stored_key(
    name: str, first_value: Callable[[], str], app: Flask | None = None, seeded: bool = False
) -> str:
    """The database's key `name`, created with `first_value()` when no process has made it yet.

    It is created in its own short transaction on its own connection, so the caller's
    transaction is not committed, and a key once read is the same for every process. One
    exception: a `seeded` key (its first value is the same whoever makes it) on SQLite is
    added in the caller's transaction, since SQLite lets one connection write at a time and
    the caller may be writing already; it is kept once that transaction commits.
    """
    app = app or current_app._get_current_object()
    cache = app.extensions.setdefault(_CACHE, {})
    if name in cache:
        return cache[name]
    query = select(ServerKey.value).where(ServerKey.name == name)
    with db.engine.connect() as connection:
        value = connection.scalar(query)
    if value is None and seeded and db.engine.dialect.name == "sqlite":
        return _seed_in_transaction(name, first_value)
    if value is None:
        try:
            with db.engine.begin() as connection:
                connection.execute(insert(ServerKey).values(name=name, value=first_value()))
        except IntegrityError:
            pass  # another process created it first: theirs is the key
        with db.engine.connect() as connection:
            value = connection.scalar(query)
    cache[name] = value
    return value


def _seed_in_transaction(name: str, first_value: Callable[[], str]) -> str:
    """Add a seeded key in the session's transaction (not cached until it is committed)."""
    value = db.session.scalar(select(ServerKey.value).where(ServerKey.name == name))
    if value is not None:
        return value
    value = first_value()
    try:
        with db.session.begin_nested():
            db.session.add(ServerKey(name=name, value=value))
    except IntegrityError:
        value = db.session.scalar(select(ServerKey.value).where(ServerKey.name == name))
    return value


def replace_stored_key(name: str, value: str) -> None:
    """Set the database's key `name` (a rotation); other processes use it once restarted."""
    row = db.session.get(ServerKey, name)
    if row is None:
        db.session.add(ServerKey(name=name, value=value))
    else:
        row.value = value
    db.session.flush()
    current_app.extensions.setdefault(_CACHE, {}).pop(name, None)


def forget_cached(app: Flask, name: str | None = None) -> None:
    """Drop cached keys (after a rotation, a restore, or between tests)."""
    cache = app.extensions.setdefault(_CACHE, {})
    if name is None:
        cache.clear()
    else:
        cache.pop(name, None)


def secret_key_is_setting(app: Flask) -> bool:
    """True when SECRET_KEY came from the settings, not from the instance folder's file."""
    return app.extensions.get("jichikai.secret_key_source", "settings") == "settings"


def key_source(app: Flask, setting: str) -> str:
    """Where a key comes from: "setting", "secret key" (derived from it) or "database"."""
    if app.config.get(setting):
        return "setting"
    if setting != "PUSH_VAPID_PRIVATE_KEY" and secret_key_is_setting(app):
        return "secret key"
    return "database"


def _derived_secret(app: Flask, setting: str, name: str) -> str:
    """A secret kept apart from the sessions' key, by the rule of this module.

    With SECRET_KEY set by a setting, it keys this secret as before. With SECRET_KEY from
    one machine's instance file, the database's copy is used; its first value is that
    SECRET_KEY, which keyed this secret before, so codes and sealed values stay valid.
    """
    configured = app.config.get(setting)
    if configured:
        return str(configured)
    if secret_key_is_setting(app):
        return str(app.config["SECRET_KEY"])
    return stored_key(name, lambda: str(app.config["SECRET_KEY"]), app, seeded=True)


def card_pepper(app: Flask | None = None) -> str:
    """The key of the login codes' hashes (CARD_PEPPER)."""
    app = app or current_app._get_current_object()
    return _derived_secret(app, "CARD_PEPPER", CARD_PEPPER)


def line_credentials_key(app: Flask | None = None) -> str:
    """The key the LINE account's token and secret are sealed with (LINE_CREDENTIALS_KEY)."""
    app = app or current_app._get_current_object()
    return _derived_secret(app, "LINE_CREDENTIALS_KEY", LINE_CREDENTIALS_KEY)


def shared_secret_key_problem(app: Flask) -> str | None:
    """Why the sessions' key may differ between machines, or None.

    On a database other machines can reach (not SQLite), a SECRET_KEY from this machine's
    instance folder is one that another machine does not have.
    """
    if secret_key_is_setting(app):
        return None
    if str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite"):
        return None
    return (
        "JICHIKAI_SECRET_KEY is not set: this machine signs sessions and links with its own "
        "instance/secret_key, so with several machines a member logged in on one is a stranger "
        "to the others; set the same JICHIKAI_SECRET_KEY for every process "
        "(docs/operations.md, Keys shared by every process)"
    )


def new_secret() -> str:
    return secrets.token_hex(32)
