"""Japanese is the source language; every UI string needs its English translation."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
METHOD_MAP = [("**.py", "python"), ("**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}


def _source_messages() -> dict[str, str]:
    found = {}
    for folder in ("jichikai", "templates"):
        for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT / folder, METHOD_MAP, keywords=KEYWORDS
        ):
            ids = message if isinstance(message, tuple) else (message,)
            for msgid in ids:
                if msgid:
                    found.setdefault(msgid, f"{folder}/{filename}:{lineno}")
    return found


def _english_catalogues():
    for path in sorted(ROOT.glob("jichikai/**/translations/en/LC_MESSAGES/messages.po")):
        with path.open("rb") as handle:
            yield path, read_po(handle)


def test_every_ui_string_has_an_english_translation():
    translated = {}
    for _path, catalogue in _english_catalogues():
        for message in catalogue:
            if message.id and message.string and not message.fuzzy:
                key = message.id if isinstance(message.id, str) else message.id[0]
                translated[key] = message.string
    missing = [
        f"{where}: {msgid}"
        for msgid, where in _source_messages().items()
        if msgid not in translated
    ]
    assert not missing, "untranslated (run `make messages`, then translate):\n" + "\n".join(missing)


def test_catalogues_have_no_fuzzy_entries():
    fuzzy = [
        f"{path}: {m.id}" for path, cat in _english_catalogues() for m in cat if m.id and m.fuzzy
    ]
    assert not fuzzy, "\n".join(fuzzy)


def _page_text(app, cookie_language=None):
    from flask import render_template_string

    headers = {"Cookie": f"lang={cookie_language}"} if cookie_language else {}
    # A fresh application context, as each real request has (the test's own holds `g`).
    with app.app_context(), app.test_request_context("/", headers=headers):
        return render_template_string("{{ _('もどる') }}|{{ _('ログインしてください。') }}")


def test_templates_speak_the_requests_language(app):
    assert _page_text(app) == "もどる|ログインしてください。"
    assert _page_text(app, "en") == "Back|Please log in."


def test_translations_follow_force_locale_and_refresh(app):
    from flask import render_template_string
    from flask_babel import force_locale, gettext, refresh

    template = "{{ _('もどる') }}"
    with app.app_context(), app.test_request_context("/"):
        assert render_template_string(template) == "もどる"
        with force_locale("en"):  # e.g. a message in another member's language
            assert render_template_string(template) == "Back"
            assert gettext("もどる") == "Back"
        assert render_template_string(template) == "もどる"
        assert gettext("もどる") == "もどる"
    with app.app_context(), app.test_request_context("/", headers={"Cookie": "lang=en"}):
        assert render_template_string(template) == "Back"
        from flask import request

        request.cookies = {}  # the member switched to Japanese during this request
        refresh()
        assert render_template_string(template) == "もどる"
