"""Circulars in more than one language: officers' translations, machine-made ones, and the
text each member reads or is sent.

A circular is written in one language (`Notice.language`, Japanese unless the officer says
otherwise). Officers may add its title and body in any other offered language; a machine
translation (machine.py) fills only languages without one written by an officer, and an
officer's translation is never replaced by a machine's. A member whose language has a
translation reads it, the original one tap away; others read the original.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from ..database import utcnow
from ..extensions import db
from ..i18n import offered_languages
from ..org.models import Association, Member
from . import machine
from .errors import NoticeError, NoticeNotFound
from .models import Notice, NoticeTranslation

TITLE_MAX = 200
BODY_MAX = 10_000


@dataclass(frozen=True)
class ShownText:
    """The title and body a member reads, and in which language they are."""

    title: str
    body: str
    language: str
    original_language: str
    translated: bool = False  # a translation: the original is one tap away
    machine: bool = False  # made by a machine translation provider: said so


def reading_language() -> str:
    """The language text is shown in now (the page's, or the one forced for a recipient)."""
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def original_text(notice: Notice) -> ShownText:
    return ShownText(notice.title, notice.body, notice.language, notice.language)


def shown_text(notice: Notice, translation: NoticeTranslation | None) -> ShownText:
    """The translation when there is one, else the original."""
    if translation is None or translation.language == notice.language:
        return original_text(notice)
    return ShownText(
        translation.title,
        translation.body,
        translation.language,
        notice.language,
        translated=True,
        machine=translation.machine,
    )


def translation_in(notice: Notice, language: str) -> NoticeTranslation | None:
    """The notice's translation into `language`, if any."""
    if language == notice.language:
        return None
    return db.session.scalar(
        select(NoticeTranslation).where(
            NoticeTranslation.notice_id == notice.id, NoticeTranslation.language == language
        )
    )


def translations_in(notices: Iterable[Notice], language: str) -> dict[int, NoticeTranslation]:
    """The translations into `language` of several notices (one query), by notice id."""
    ids = [n.id for n in notices if n.language != language]
    if not ids:
        return {}
    rows = db.session.scalars(
        select(NoticeTranslation).where(
            NoticeTranslation.notice_id.in_(ids), NoticeTranslation.language == language
        )
    )
    return {row.notice_id: row for row in rows}


def shown_texts(notices: Iterable[Notice], language: str) -> dict[int, ShownText]:
    """What a reader in `language` sees of each notice, by notice id."""
    notices = list(notices)
    found = translations_in(notices, language)
    return {n.id: shown_text(n, found.get(n.id)) for n in notices}


def target_languages(notice: Notice, association: Association) -> list[str]:
    """The languages a translation of the notice may be written in: the offered ones but its own."""
    return [code for code in offered_languages(association) if code != notice.language]


def translations_by_language(notice: Notice) -> dict[str, NoticeTranslation]:
    return {t.language: t for t in notice.translations}


def _check_language(notice: Notice, association: Association, language: str) -> None:
    if language not in target_languages(notice, association):
        raise NoticeNotFound(_("この言語の翻訳は入れられません。"), field="language")


def save_translation(
    notice: Notice,
    association: Association,
    language: str,
    title: str,
    body: str,
    by: Member,
    now: datetime | None = None,
) -> NoticeTranslation:
    """Add or change an officer's translation (a machine one it replaces becomes theirs)."""
    _check_language(notice, association, language)
    title = (title or "").strip()
    body = (body or "").strip()
    if not title:
        raise NoticeError(_("題名の翻訳を入れてください。"), field="title")
    if len(title) > TITLE_MAX:
        raise NoticeError(_("題名は %(n)d 文字までです。", n=TITLE_MAX), field="title")
    if notice.body.strip() and not body:
        raise NoticeError(_("本文の翻訳を入れてください。"), field="body")
    if len(body) > BODY_MAX:
        raise NoticeError(_("本文は %(n)d 文字までです。", n=BODY_MAX), field="body")
    now = now or utcnow()
    translation = translations_by_language(notice).get(language)
    if translation is None:
        translation = NoticeTranslation(
            association_id=notice.association_id,
            notice_id=notice.id,
            language=language,
            created_by_id=by.id,
            created_at=now,
        )
        notice.translations.append(translation)
    translation.title = title
    translation.body = body
    translation.machine = False
    translation.provider = ""
    translation.updated_at = now
    db.session.flush()
    return translation


def remove_translation(notice: Notice, language: str) -> bool:
    """Remove the notice's translation into `language`; False when there was none."""
    translation = translations_by_language(notice).get(language)
    if translation is None:
        return False
    notice.translations.remove(translation)
    db.session.flush()
    return True


def set_original_language(notice: Notice, association: Association, language: str) -> None:
    """Say which language the officer wrote the circular in."""
    if language not in offered_languages(association):
        raise NoticeError(_("言語を選んでください。"), field="language")
    if language in translations_by_language(notice):
        raise NoticeError(
            _("この言語の翻訳があります。先に翻訳を削除してください。"), field="language"
        )
    notice.language = language
    db.session.flush()


def machine_targets(notice: Notice, association: Association) -> list[str]:
    """Languages a machine translation would be made for: the provider's, without an
    officer's translation."""
    human = {t.language for t in notice.translations if not t.machine}
    wanted = [code for code in target_languages(notice, association) if code not in human]
    return machine.machine_languages(wanted)


def machine_translate(
    notice: Notice, association: Association, by: Member, now: datetime | None = None
) -> list[str]:
    """Make (or make again) machine translations for the languages without an officer's.

    Every language is asked first and stored only if all answered: on a TranslationError
    nothing changes. Returns the languages stored.
    """
    targets = machine_targets(notice, association)
    made = machine.translate(notice.title, notice.body, notice.language, targets)
    now = now or utcnow()
    existing = translations_by_language(notice)
    provider = machine.provider_name()
    for text in made:
        translation = existing.get(text.language)
        if translation is not None and not translation.machine:
            continue  # an officer wrote one meanwhile: theirs wins
        if translation is None:
            translation = NoticeTranslation(
                association_id=notice.association_id,
                notice_id=notice.id,
                language=text.language,
                created_by_id=by.id,
                created_at=now,
            )
            notice.translations.append(translation)
        translation.title = text.title[:TITLE_MAX]
        translation.body = text.body[:BODY_MAX]
        translation.machine = True
        translation.provider = provider
        translation.updated_at = now
    db.session.flush()
    return [text.language for text in made]
