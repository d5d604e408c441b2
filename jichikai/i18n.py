"""Language and time zone: Japanese first, the member's preference wins."""

import re
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from babel import Locale
from babel.dates import format_skeleton, format_time
from flask import Flask, current_app, has_request_context, request, session
from flask_babel import get_locale, get_timezone
from flask_login import current_user
from jinja2 import pass_eval_context
from markupsafe import Markup, escape

# Names Babel does not know: "ja@easy" is a POSIX-style modifier of Japanese (like sr@latin).
_NATIVE_NAMES = {"ja@easy": "やさしい にほんご", "zh_Hans": "中文（简体）"}

# Member-facing sources: every string found in these must be translated into every listed
# language. Officers' pages may stay Japanese and English (other languages fall back to English).
MEMBER_FACING = (
    "templates/base.html",
    "templates/_form.html",
    "templates/_icons.html",
    "templates/_map.html",
    "templates/error.html",
    "templates/auth/login.html",
    "templates/auth/card.html",
    "templates/auth/card_invalid.html",
    "templates/auth/logged_out.html",
    "templates/auth/settings.html",
    "templates/auth/devices.html",
    "templates/auth/passkeys.html",
    "templates/auth/passkey_remove.html",
    "templates/auth/passkey_second.html",
    "templates/disaster/_banner.html",
    "templates/disaster/_choices.html",
    "templates/disaster/bulletins_section.html",
    "templates/disaster/bulletins_top.html",
    "templates/disaster/bulletins_help_note.html",
    "templates/disaster/checkin.html",
    "templates/disaster/index.html",
    "templates/disaster/map.html",
    "templates/disaster/no_event.html",
    "templates/disaster/onetap.html",
    "templates/disaster/onetap_ended.html",
    "templates/home/index.html",
    "templates/line/link.html",
    "templates/notices/_ack.html",
    "templates/notices/_feed.html",
    "templates/notices/_find.html",
    "templates/notices/_questions.html",
    "templates/notices/archive.html",
    "templates/notices/calendar.html",
    "templates/notices/calendar_feed.html",
    "templates/notices/print.html",
    "templates/notices/home.html",
    "templates/notices/index.html",
    "templates/notices/onetap.html",
    "templates/notices/onetap_gone.html",
    "templates/notices/search.html",
    "templates/notices/show.html",
    "templates/push/settings.html",
    "templates/pwa/offline.html",
    "templates/reach/_channel_macros.html",
    "templates/reach/_settings_section.html",
    "templates/auth/admin/card_sheet.html",
    "templates/reach/add_email.html",
    "templates/reach/confirm.html",
    "templates/reach/confirm_invalid.html",
    "templates/reach/link_invalid.html",
    "templates/reach/member_channels.html",
    # What is sent to members (push, email, LINE) and what members are told on their pages.
    "jichikai/http.py",
    "jichikai/forms.py",
    "jichikai/ui.py",
    "jichikai/emails.py",
    "jichikai/auth/forms.py",
    "jichikai/auth/views.py",
    "jichikai/auth/devices.py",
    "jichikai/auth/passkey_views.py",
    "jichikai/auth/admin.py",
    "jichikai/disaster/bulletins.py",
    "jichikai/disaster/households.py",
    "jichikai/disaster/map_views.py",
    "jichikai/disaster/services.py",
    "jichikai/disaster/views.py",
    "jichikai/disaster/forms.py",
    "jichikai/disaster/messages.py",
    "jichikai/disaster/onetap.py",
    "jichikai/disaster/onetap_views.py",
    "jichikai/disaster/shelters.py",
    "jichikai/home/*.py",
    "jichikai/line/*.py",
    "jichikai/mail/*.py",
    "jichikai/notices/acks.py",
    "jichikai/notices/attachments.py",
    "jichikai/notices/errors.py",
    "jichikai/notices/forms.py",
    "jichikai/notices/printing.py",
    "jichikai/notices/reminders.py",
    "jichikai/notices/services.py",
    "jichikai/notices/text.py",
    "jichikai/notices/views.py",
    "jichikai/notices/offline.py",
    "jichikai/notices/reply_views.py",
    "jichikai/notices/questionnaires.py",
    "jichikai/notices/calendar.py",
    "jichikai/notices/calendar_views.py",
    "jichikai/notices/search_views.py",
    "jichikai/notices/onetap*.py",
    "jichikai/push/*.py",
    "jichikai/pwa/*.py",
    "jichikai/reach/forms.py",
    "jichikai/reach/bearer.py",
    "jichikai/reach/contacts.py",
    "jichikai/reach/services.py",
    "jichikai/reach/views.py",
)


def select_locale() -> str:
    """The member's language, else the one chosen on the login page, else Japanese.

    The member's language is also kept in the session, so that a page rendered without the
    member (an error page while the database is away) still speaks it.

    The browser's Accept-Language is not used: a shared or borrowed phone set to English must
    not show an elderly member an English page; the English link is one tap away.
    """
    if not has_request_context():  # commands and jobs speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = current_app.config["LANGUAGES"]
    if current_user and current_user.is_authenticated:
        language = member_language(current_user)
        if session.get("lang") != language:
            session["lang"] = language
        return language
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


def month_name(day) -> str:
    """A month as a calendar heads it, in the page's language: "2026年11月", "November 2026"."""
    return format_skeleton("yMMMM", day, locale=get_locale() or Locale.parse("ja"))


def weekday_names() -> list[str]:
    """The days of the week from Sunday, short, in the page's language (CLDR): 日 月 … / Sun …"""
    names = (get_locale() or Locale.parse("ja")).days["format"]["abbreviated"]
    return [names[(6 + offset) % 7] for offset in range(7)]


def source_language() -> str:
    """The language the catalogues are written in (their msgids): Japanese."""
    return current_app.config["LANGUAGES"][0]


def language_name(code: str) -> str:
    """The language's name in itself, as its speakers look for it: "Tiếng Việt", "한국어"."""
    if code in _NATIVE_NAMES:
        return _NATIVE_NAMES[code]
    locale = Locale.parse(code)
    name = locale.get_display_name(locale) or code
    return name[:1].upper() + name[1:]


def html_lang(code: str | Locale | None) -> str:
    """The BCP 47 tag for a `lang` attribute: "zh_Hans" -> "zh-Hans"; easy Japanese is "ja"."""
    locale = Locale.parse(code or "ja")
    return "-".join(part for part in (locale.language, locale.script, locale.territory) if part)


def fallback_language(code: str) -> str | None:
    """Where a string missing from a catalogue is looked up next.

    Japanese variants fall back to the Japanese source; the other languages to English, which
    every string has, so an officer's page in Tiếng Việt shows English rather than Japanese.
    """
    locale = Locale.parse(code)
    if locale.language == "ja" or locale.language == "en":
        return None
    return "en"


def offered_languages(association=None) -> list[str]:
    """The languages a member may choose: the server's list, narrowed by the association
    (in the server's order; the source language, Japanese, is always offered)."""
    languages = list(current_app.config["LANGUAGES"])
    chosen = getattr(association, "languages", None) if association is not None else None
    if chosen:
        kept = set(chosen) | {languages[0]}
        return [code for code in languages if code in kept]
    return languages


def member_language(member) -> str:
    """The language a member reads everything in, on pages and in whatever is sent to them:
    their choice while their association offers it, else the association's first language."""
    offered = offered_languages(member.association)
    return member.language if member.language in offered else offered[0]


def choices(languages: Iterable[str]) -> list[tuple[str, str]]:
    """(code, native name) pairs for a language choice."""
    return [(code, language_name(code)) for code in languages]


# Furigana in catalogues use the Aozora Bunko notation: ｜漢字《かんじ》. Pages show it as
# <ruby>; text that is not HTML (push, email, LINE, CSV) shows it as 漢字(かんじ).
_RUBY = re.compile(r"｜([^｜《》]+)《([^《》]+)》")


def ruby_html(text: str) -> Markup:
    """Text with ｜漢字《かんじ》 marks as HTML ruby; the rest escaped unless already Markup."""
    safe = text if isinstance(text, Markup) else escape(text)
    return Markup(_RUBY.sub(r"<ruby>\1<rp>(</rp><rt>\2</rt><rp>)</rp></ruby>", str(safe)))


_RUBY_HTML = re.compile(r"<ruby>(.*?)<rp>\(</rp><rt>(.*?)</rt><rp>\)</rp></ruby>")


def ruby_plain(text: str) -> str:
    """Text with ｜漢字《かんじ》 marks (or ruby already made of them) as 漢字(かんじ), for what is
    not page text: push, email, LINE, a page's <title>, attribute values read by scripts."""
    if isinstance(text, Markup):
        return Markup(_RUBY_HTML.sub(r"\1(\2)", _RUBY.sub(r"\1(\2)", str(text))))
    if not isinstance(text, str) or "《" not in text:
        return text
    return _RUBY.sub(r"\1(\2)", text)


def written(text: str | None) -> Markup:
    """Free text shown as its author wrote it (an event's title and message, a bulletin's
    text), marked with its language: officers write in the source language, Japanese, so a
    screen reader on a page in another language reads it with a Japanese voice."""
    if not text:
        return Markup("")
    return Markup('<span lang="%s">%s</span>') % (html_lang(source_language()), ruby_html(text))


@pass_eval_context
def _finalize(eval_ctx, value):
    """Every value a template prints: furigana marks become ruby in HTML, 漢字(かんじ) in text."""
    if isinstance(value, str) and "《" in value:
        return ruby_html(value) if eval_ctx.autoescape else ruby_plain(value)
    return value


def init_app(app: Flask) -> None:
    """Template helpers for dates shown in the association's time zone, and for languages."""
    app.add_template_filter(jdatetime, "jdatetime")
    app.add_template_filter(ruby_plain, "ruby_plain")
    app.add_template_filter(written, "written")
    app.add_template_global(html_lang)
    app.add_template_global(language_name)
    app.add_template_global(month_name)
    app.add_template_global(weekday_names)
    app.jinja_env.finalize = _finalize
