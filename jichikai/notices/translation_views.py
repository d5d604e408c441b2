"""Officers' pages for a circular's translations (see languages.py)."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import db
from ..forms import ConfirmForm
from ..i18n import choices, html_lang, language_name, offered_languages
from . import bp, machine
from .errors import NoticeError
from .forms import OriginalLanguageForm, TranslationForm
from .languages import (
    machine_targets,
    machine_translate,
    remove_translation,
    save_translation,
    set_original_language,
    target_languages,
    translations_by_language,
)
from .models import Notice
from .views import load_notice, require_officer


def _editable_notice(notice_id: int) -> Notice:
    """A circular the officer may translate: any of the association's but a withdrawn one."""
    require_officer()
    notice = load_notice(notice_id)
    if notice.withdrawn_at is not None:
        abort(404)
    return notice


def _target_language(notice: Notice, language: str) -> str:
    if language not in target_languages(notice, current_user.association):
        abort(404)
    return language


def _overview(notice: Notice, language_form: OriginalLanguageForm | None = None, status=200):
    association = current_user.association
    if language_form is None:
        language_form = OriginalLanguageForm(language=notice.language)
    language_form.language.choices = choices(offered_languages(association))
    return render_template(
        "notices/translations.html",
        notice=notice,
        languages=target_languages(notice, association),
        translations=translations_by_language(notice),
        language_form=language_form,
        provider=machine.provider_name(),
        machine_targets=machine_targets(notice, association),
        form=ConfirmForm(),
    ), status


@bp.get("/<int:notice_id>/translations")
@login_required
def translations(notice_id: int):
    """The circular's languages: which have a translation, by an officer or a machine."""
    return _overview(_editable_notice(notice_id))


@bp.route("/<int:notice_id>/translations/<language>", methods=["GET", "POST"])
@login_required
def translation(notice_id: int, language: str):
    """Write or change the title and body in one language."""
    notice = _editable_notice(notice_id)
    language = _target_language(notice, language)
    existing = translations_by_language(notice).get(language)
    form = TranslationForm(obj=existing) if request.method == "GET" else TranslationForm()
    if form.validate_on_submit():
        try:
            save_translation(
                notice,
                current_user.association,
                language,
                form.title.data,
                form.body.data,
                by=current_user,
            )
            db.session.commit()
        except NoticeError as error:
            db.session.rollback()
            target = form.body if error.field == "body" else form.title
            target.errors = list(target.errors) + [error.message]
        else:
            flash(_("%(language)s の翻訳を保存しました。", language=language_name(language)))
            return redirect(url_for("notices.translations", notice_id=notice.id), code=303)
    lang = {"lang": html_lang(language)}
    form.title.render_kw = lang
    form.body.render_kw = {**(form.body.render_kw or {}), **lang}
    status = 400 if request.method == "POST" else 200
    return render_template(
        "notices/translation_form.html",
        notice=notice,
        language=language,
        translation=existing,
        form=form,
    ), status


@bp.post("/<int:notice_id>/translations/<language>/delete")
@login_required
def delete_translation(notice_id: int, language: str):
    """Remove one language's translation: members of that language read the original."""
    notice = _editable_notice(notice_id)
    language = _target_language(notice, language)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if remove_translation(notice, language):
        db.session.commit()
        flash(_("%(language)s の翻訳を削除しました。", language=language_name(language)))
    return redirect(url_for("notices.translations", notice_id=notice.id), code=303)


@bp.post("/<int:notice_id>/language")
@login_required
def original_language(notice_id: int):
    """Say which language the circular was written in."""
    notice = _editable_notice(notice_id)
    form = OriginalLanguageForm()
    form.language.choices = choices(offered_languages(current_user.association))
    if not form.validate_on_submit():
        return _overview(notice, form, status=400)
    try:
        set_original_language(notice, current_user.association, form.language.data)
        db.session.commit()
    except NoticeError as error:
        db.session.rollback()
        form.language.errors = list(form.language.errors) + [error.message]
        return _overview(notice, form, status=400)
    flash(_("原文の言語を %(language)s にしました。", language=language_name(notice.language)))
    return redirect(url_for("notices.translations", notice_id=notice.id), code=303)


@bp.post("/<int:notice_id>/machine-translations")
@login_required
def make_machine_translations(notice_id: int):
    """Ask the provider for the languages without an officer's translation."""
    notice = _editable_notice(notice_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not machine.provider_name():
        abort(404)
    try:
        made = machine_translate(notice, current_user.association, by=current_user)
    except machine.TranslationError as error:
        db.session.rollback()
        current_app.logger.warning("machine translation of notice %s: %s", notice.id, error.detail)
        flash(error.message, "error")
        return redirect(url_for("notices.translations", notice_id=notice.id), code=303)
    db.session.commit()
    if made:
        names = "、".join(language_name(code) for code in made)
        flash(_("機械翻訳を作りました：%(languages)s", languages=names))
    else:
        flash(_("機械翻訳できる言語がありません。"), "error")
    return redirect(url_for("notices.translations", notice_id=notice.id), code=303)
