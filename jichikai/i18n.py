"""Language and time zone: Japanese first, the member's preference wins."""

from pathlib import Path

from flask import Flask, has_request_context, request, session
from flask_babel import format_datetime
from flask_login import current_user


def select_locale() -> str:
    """The member's language, else the one chosen on the login page, else Japanese.

    The member's language is also kept in the session, so that a page rendered without the
    member (an error page while the database is away) still speaks it.

    The browser's Accept-Language is not used: a shared or borrowed phone set to English must
    not show an elderly member an English page; the English link is one tap away.
    """
    from flask import current_app

    if not has_request_context():  # commands and jobs speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = current_app.config["LANGUAGES"]
    if current_user and current_user.is_authenticated and current_user.language in languages:
        if session.get("lang") != current_user.language:
            session["lang"] = current_user.language
        return current_user.language
    if session.get("_user_id") and session.get("lang") in languages:
        return session["lang"]  # a logged-in member's page rendered without the member
    chosen = request.cookies.get("lang")
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    """The association's time zone (Asia/Tokyo unless it says otherwise)."""
    if not has_request_context():
        return "Asia/Tokyo"
    if current_user and current_user.is_authenticated:
        return current_user.association.timezone
    return "Asia/Tokyo"


def translation_directories(app: Flask) -> str:
    """Each feature keeps its own catalogue in <feature>/translations; Flask-Babel merges them."""
    root = Path(app.root_path)
    found = sorted(str(p) for p in root.glob("**/translations") if p.is_dir())
    return ";".join(found)


def init_app(app: Flask) -> None:
    """Template helpers for dates shown in the association's time zone."""

    @app.template_filter("jdatetime")
    def jdatetime(value, fmt: str = "short"):
        if value is None:
            return ""
        return format_datetime(value, fmt)
