"""Japanese is the source language; every UI string needs its English translation."""

import re
from fnmatch import fnmatch
from pathlib import Path

import pytest
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


# -- Every listed language ------------------------------------------------------------------

PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|%[sdif]|\{(\w*)\}")
GLOSSARY = ROOT / "docs" / "glossary.md"


def _languages() -> list[str]:
    from jichikai.config import DefaultConfig

    return list(DefaultConfig.LANGUAGES[1:])


def _catalogues(language: str):
    for path in sorted(ROOT.glob(f"jichikai/**/translations/{language}/LC_MESSAGES/messages.po")):
        with path.open("rb") as handle:
            yield path, read_po(handle)


def _is_member_facing(message) -> bool:
    from jichikai.i18n import MEMBER_FACING

    return any(
        fnmatch(where, pattern) for where, _ in message.locations for pattern in MEMBER_FACING
    )


def _strings(message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple) else [message.string]


def test_every_member_facing_source_exists():
    """A renamed or removed file must leave MEMBER_FACING too, or its strings go unchecked."""
    from jichikai.i18n import MEMBER_FACING

    assert [pattern for pattern in MEMBER_FACING if not list(ROOT.glob(pattern))] == []


def _key(message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


@pytest.mark.parametrize("language", _languages())
def test_every_source_string_is_in_each_catalogue_and_none_is_stale(language):
    """`make messages` was run: no string is missing from a catalogue, none is left over."""
    listed, stale = set(), []
    for path, catalogue in _catalogues(language):
        listed.update(_key(m) for m in catalogue if m.id)
        stale += [f"{path}: {_key(m)}" for m in catalogue.obsolete.values()]
        stale += [f"{path}: {_key(m)} (fuzzy)" for m in catalogue if m.id and m.fuzzy]
    missing = [
        f"{where}: {msgid}" for msgid, where in _source_messages().items() if msgid not in listed
    ]
    assert not missing, f"not in the {language} catalogues (run `make messages`):\n" + "\n".join(
        missing
    )
    assert not stale, "\n".join(stale)


@pytest.mark.parametrize("language", [code for code in _languages() if code != "en"])
def test_every_member_facing_string_is_translated(language):
    """Every string a member can meet (MEMBER_FACING in jichikai/i18n.py) speaks the language."""
    missing = [
        f"{path.parent.parent.parent.parent.name}: {_key(m)}"
        for path, catalogue in _catalogues(language)
        for m in catalogue
        if m.id and _is_member_facing(m) and not all(_strings(m))
    ]
    assert not missing, f"untranslated in {language}:\n" + "\n".join(missing)


@pytest.mark.parametrize("language", _languages())
def test_translations_keep_the_placeholders_of_the_source(language):
    """A translation that drops or renames %(name)s breaks the page or the message."""
    wrong = []
    for path, catalogue in _catalogues(language):
        for m in catalogue:
            if not m.id:
                continue
            ids = m.id if isinstance(m.id, tuple) else (m.id,)
            want = sorted(set(PLACEHOLDER.findall(ids[-1])))
            for text in _strings(m):
                if text and sorted(set(PLACEHOLDER.findall(text))) != want:
                    wrong.append(f"{path}: {_key(m)!r} -> {text!r}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("language", [code for code in _languages() if code != "en"])
def test_catalogues_say_they_need_review_by_native_speakers(language):
    unmarked = [
        str(path)
        for path, _ in _catalogues(language)
        if "NEEDS REVIEW" not in path.read_text(encoding="utf-8").split("msgid", 1)[0]
    ]
    assert not unmarked, "\n".join(unmarked)


def _glossary() -> list[dict[str, str]]:
    rows = [
        line for line in GLOSSARY.read_text(encoding="utf-8").splitlines() if line.startswith("|")
    ]
    codes = [cell.strip() for cell in rows[0].strip("|").split("|")]
    return [
        dict(zip(codes, (c.strip() for c in row.strip("|").split("|")), strict=True))
        for row in rows[2:]
    ]


def test_the_glossary_covers_every_language():
    terms = _glossary()
    assert terms and all(set(_languages()) <= set(term) for term in terms)
    assert all(all(term.values()) for term in terms)


@pytest.mark.parametrize("language", [code for code in _languages() if code != "en"])
def test_translations_use_the_glossary_words(language):
    """docs/glossary.md: 避難所 is the same word on every page and in every message."""
    terms = _glossary()
    wrong = []
    for _path, catalogue in _catalogues(language):
        for m in catalogue:
            if not m.id or not _is_member_facing(m):
                continue
            for term in terms:
                word, _, unless = term["ja"].partition(" (not ")
                if word not in _key(m) or any(
                    other in _key(m) for other in unless.rstrip(")").split(", ") if other
                ):
                    continue
                words = [w.strip().lower() for w in term[language].split(" / ")]
                for text in _strings(m):
                    if text and not any(w in text.lower() for w in words):
                        wrong.append(f"{term['ja']} -> {term[language]}: {_key(m)!r} -> {text!r}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("language", _languages())
def test_a_string_in_two_catalogues_has_one_translation(language):
    """Flask-Babel merges the features' catalogues into one: the same Japanese with two
    translations would show whichever came last, on both pages. Two meanings need two sources."""
    seen: dict[str, tuple[str, object]] = {}
    clashes = []
    for path, catalogue in _catalogues(language):
        for m in catalogue:
            if not m.id or not all(_strings(m)):
                continue
            earlier = seen.setdefault(_key(m), (str(path), m.string))
            if earlier[1] != m.string:
                clashes.append(
                    f"{_key(m)!r}: {earlier[1]!r} ({earlier[0]}) / {m.string!r} ({path})"
                )
    assert not clashes, "\n".join(clashes)


def test_easy_japanese_furigana_marks_are_well_formed():
    """｜漢字《かんじ》: a mark without its base or its reading would show on the page as is."""
    from jichikai.i18n import ruby_plain

    wrong = [
        f"{_key(m)!r} -> {text!r}"
        for _path, catalogue in _catalogues("ja@easy")
        for m in catalogue
        if m.id
        for text in _strings(m)
        if text and any(ch in ruby_plain(text) for ch in "｜《》")
    ]
    assert not wrong, "\n".join(wrong)
