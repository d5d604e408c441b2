"""Roster import pages: upload, preview, confirm."""

from pathlib import Path

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from ..database import get_scoped_or_404
from ..extensions import db
from ..forms import ConfirmForm
from . import bp, roster
from .forms import RosterUploadForm
from .models import RosterImport
from .views import officer_required


def _recent_imports() -> list[RosterImport]:
    return list(
        db.session.scalars(
            select(RosterImport)
            .where(
                RosterImport.association_id == current_user.association_id,
                RosterImport.applied_at.is_not(None),
            )
            .order_by(RosterImport.applied_at.desc())
            .limit(5)
        )
    )


def _upload_page(form: RosterUploadForm, errors=(), status: int = 200):
    return render_template(
        "org/roster_upload.html",
        form=form,
        errors=list(errors),
        recent=_recent_imports(),
        columns=roster.COLUMNS,
    ), status


@bp.get("/roster")
@officer_required
def roster_upload():
    return _upload_page(RosterUploadForm())


@bp.post("/roster")
@officer_required
def roster_upload_post():
    form = RosterUploadForm()
    if not form.validate_on_submit():
        return _upload_page(form, status=422)
    upload = form.file.data
    try:
        text, encoding = roster.decode(upload.read(roster.MAX_BYTES + 1))
        parsed = roster.parse(text, encoding)
    except roster.RosterError as error:
        form.file.errors.append(str(error))
        return _upload_page(form, status=422)
    plan = roster.plan(current_user.association, parsed, by=current_user)
    if plan.errors:
        if roster.record_refusals(current_user.association, current_user, plan):
            db.session.commit()
        return _upload_page(form, errors=plan.errors, status=422)
    stored = roster.store_upload(
        current_user.association, current_user, upload.filename or "", text, encoding
    )
    db.session.commit()
    return redirect(url_for("org.roster_preview", import_id=stored.id))


def _get_import_or_404(import_id: int) -> RosterImport:
    return get_scoped_or_404(RosterImport, import_id, current_user.association_id)


@bp.get("/roster/<int:import_id>")
@officer_required
def roster_preview(import_id: int):
    upload = _get_import_or_404(import_id)
    if upload.applied_at is not None:
        return render_template("org/roster_done.html", upload=upload)
    if not roster.is_pending(upload):
        abort(404)
    plan = roster.plan_upload(current_user.association, upload, by=current_user)
    return render_template(
        "org/roster_preview.html", upload=upload, plan=plan, form=ConfirmForm()
    ), (422 if plan.errors else 200)


@bp.post("/roster/<int:import_id>/apply")
@officer_required
def roster_apply(import_id: int):
    upload = _get_import_or_404(import_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if upload.applied_at is None and not roster.is_pending(upload):
        abort(404)
    try:
        plan = roster.apply_upload(current_user.association, upload, by=current_user)
    except roster.RosterError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("org.roster_preview", import_id=import_id))
    db.session.commit()
    totals = plan.totals()
    flash(
        _(
            "名簿を取り込みました。新しい世帯 %(households)d、新しい会員 %(members)d。",
            households=totals["new_households"],
            members=totals["new_members"],
        )
    )
    return redirect(url_for("org.roster_preview", import_id=import_id))


FIELD_LABELS = {
    "phone": _l("電話"),
    "town": _l("町丁目"),
    "address_line": _l("住所"),
    "people_count": _l("人数"),
    "paper_only": _l("紙のみ"),
    "needs_assistance": _l("要支援"),
    "assistance_note": _l("支援メモ"),
    "lat": _l("緯度"),
    "lon": _l("経度"),
    "kana": _l("ふりがな"),
    "notify_email": _l("連絡用メール"),
    "active": _l("利用の再開"),
    "new": _l("新しく登録"),
}


@bp.app_template_filter("field_label")
def field_label(name: str) -> str:
    """The column name people know for a field the roster changes."""
    return str(FIELD_LABELS.get(name, name))


DOCS = Path(__file__).resolve().parents[2] / "docs" / "roster-import.md"
SAMPLE = (
    "班,世帯,氏名,ふりがな,電話,町丁目,住所,人数,紙のみ,要支援,支援メモ,メール\r\n"
    "1班,佐藤家,佐藤 花子,さとう はなこ,048-000-0001,田島一丁目,田島1-2-3,2,いいえ,いいえ,,\r\n"
    "1班,佐藤家,佐藤 一郎,さとう いちろう,,,,,,,,\r\n"
    "1班,鈴木家,鈴木 トメ,すずき とめ,048-000-0002,田島一丁目,田島1-5-8,1,はい,はい,"
    "足が不自由です,\r\n"
)


@bp.get("/roster/help")
@officer_required
def roster_help():
    """How to write the roster file (docs/roster-import.md), as plain text."""
    return DOCS.read_text(encoding="utf-8"), 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.get("/roster/sample.csv")
@officer_required
def roster_sample():
    """A small example roster, in UTF-8 with BOM so that Excel opens it correctly."""
    return (
        "\ufeff" + SAMPLE,
        200,
        {
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": "attachment; filename=roster-sample.csv",
        },
    )
