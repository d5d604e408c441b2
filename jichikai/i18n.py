"""Language and time zone: Japanese first, the member's preference wins."""

from datetime import datetime
from pathlib import Path

from babel import Locale
from babel.dates import format_skeleton, format_time
from flask import Flask, has_request_context, request, session
from flask_babel import get_locale, get_timezone
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


def jdatetime(value: datetime | None, fmt: str = "datetime") -> str:
    """A date and time as lists and prints show them, in the association's time zone:
    "2026年11月30日(月) 18:05" (no seconds, no zone name; the weekday in the member's
    language). `fmt="date"` leaves the time out."""
    if value is None:
        return ""
    locale = get_locale() or Locale.parse("ja")
    zone = get_timezone()
    day = format_skeleton("yMMMEd", value, tzinfo=zone, locale=locale)
    if fmt == "date":
        return day
    time = format_time(value, "short", tzinfo=zone, locale=locale)
    return locale.datetime_formats["short"].format(time, day)


def init_app(app: Flask) -> None:
    """Template helpers for dates shown in the association's time zone."""
    app.add_template_filter(jdatetime, "jdatetime")
