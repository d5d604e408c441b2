"""Reply forms (アンケート): members answer, leaders enter paper slips, officers read answers."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..database import get_scoped_or_404, utcnow
from ..extensions import db
from ..forms import ConfirmForm
from ..org.models import Household
from . import bp
from .acks import acknowledged_at
from .errors import NoticeError
from .forms import question_kind_labels
from .models import Notice
from .permissions import can_record_for, is_recipient
from .questionnaires import (
    AnswerError,
    answer,
    answer_text,
    current_reply,
    household_reply,
    record_paper_reply,
    remove_paper_reply,
    values_of,
    written_answers,
)
from .services import member_read_at
from .views import load_block_of, load_notice, reading_texts, require_officer

bp.add_app_template_global(answer_text, "answer_text")
bp.add_app_template_global(question_kind_labels, "question_kind_labels")


def submitted_values(notice: Notice) -> dict[int, list[str]]:
    """The posted answers by question id (fields named q<question id>)."""
    return {q.id: request.form.getlist(f"q{q.id}") for q in notice.questions}


def _errors_of(error: NoticeError) -> dict[int, str]:
    if isinstance(error, AnswerError):
        return error.errors
    return {0: error.message}


@bp.post("/<int:notice_id>/reply")
@login_required
def reply(notice_id: int):
    """Answer or change the answers to a notice's reply form."""
    notice = load_notice(notice_id)
    if not notice.reply_kind or not is_recipient(current_user, notice):
        abort(403)
    values = submitted_values(notice)
    errors: dict[int, str] = {}
    if not ConfirmForm().validate_on_submit():
        errors = {0: _("時間がたったため受け付けられませんでした。もう一度押してください。")}
    else:
        try:
            answer(notice, current_user, values)
        except NoticeError as error:
            db.session.rollback()
            errors = _errors_of(error)
        else:
            db.session.commit()
            flash(_("返信を受け付けました。締め切りまでは変えられます。"))
            return redirect(url_for("notices.show", notice_id=notice.id) + "#reply", code=303)
    # Nothing typed is lost: the page comes back with the answers as they were sent.
    return render_template(
        "notices/show.html",
        notice=notice,
        **reading_texts(notice),
        read_before=member_read_at(notice, current_user),
        reply=current_reply(notice, current_user),
        values=values,
        errors=errors,
        confirm=ConfirmForm(),
        recipient=True,
        acknowledged_at=acknowledged_at(notice, current_user),
        now=utcnow(),
    ), 400


@bp.get("/<int:notice_id>/answers")
@login_required
def written(notice_id: int):
    """Officers read every written answer, question by question."""
    require_officer()
    notice = load_notice(notice_id)
    if not notice.reply_kind:
        abort(404)
    return render_template("notices/answers.html", notice=notice, answers=written_answers(notice))


def _paper_household(notice: Notice, block_id: int, household_id: int) -> tuple:
    block = load_block_of(notice, block_id)
    household = get_scoped_or_404(Household, household_id, current_user.association_id)
    if household.block_id != block.id:
        abort(404)
    if not notice.reply_kind or not can_record_for(current_user, notice, household):
        abort(403)
    return block, household


@bp.route(
    "/<int:notice_id>/blocks/<int:block_id>/replies/<int:household_id>", methods=["GET", "POST"]
)
@login_required
def paper_reply(notice_id: int, block_id: int, household_id: int):
    """A leader enters a paper-only household's answers from its reply slip."""
    notice = load_notice(notice_id)
    block, household = _paper_household(notice, block_id, household_id)
    existing = household_reply(notice, household)
    values = values_of(existing)
    errors: dict[int, str] = {}
    status = 200
    if request.method == "POST":
        values = submitted_values(notice)
        if not ConfirmForm().validate_on_submit():
            errors = {0: _("時間がたったため受け付けられませんでした。もう一度押してください。")}
        else:
            try:
                record_paper_reply(notice, household, values, by=current_user)
            except NoticeError as error:
                db.session.rollback()
                errors = _errors_of(error)
            else:
                db.session.commit()
                flash(_("%(name)s の返信を入力しました。", name=household.name))
                return redirect(
                    url_for("notices.block_view", notice_id=notice.id, block_id=block.id)
                    + "#replies",
                    code=303,
                )
        status = 400
    return render_template(
        "notices/paper_reply.html",
        notice=notice,
        block=block,
        household=household,
        existing=existing,
        values=values,
        errors=errors,
        confirm=ConfirmForm(),
    ), status


@bp.post("/<int:notice_id>/blocks/<int:block_id>/replies/<int:household_id>/undo")
@login_required
def undo_paper_reply(notice_id: int, block_id: int, household_id: int):
    """Take back answers entered from a paper slip by mistake."""
    notice = load_notice(notice_id)
    block, household = _paper_household(notice, block_id, household_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if remove_paper_reply(notice, household):
        db.session.commit()
        flash(_("%(name)s の返信の入力を取り消しました。", name=household.name))
    return redirect(
        url_for("notices.block_view", notice_id=notice.id, block_id=block.id) + "#replies",
        code=303,
    )
