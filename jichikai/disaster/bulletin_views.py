"""Pages of bulletins during an event, and the members' update of their request for help."""

from flask import (
    abort,
    current_app,
    flash,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from ..audit.services import record
from ..csvfiles import csv_download
from ..database import get_scoped_or_404, id_value
from ..extensions import db
from ..org.models import Member
from ..org.services import blocks_of
from . import bp
from .bulletins import (
    OFFICER_PHRASES,
    PHRASES,
    block_names,
    bulletin_text,
    bulletins_for,
    event_bulletins,
    household_needing_help,
    latest_help_updates,
    post_bulletin,
    update_help,
)
from .forms import BulletinForm
from .models import CheckIn, DisasterEvent
from .permissions import can_manage_disaster, can_report_for
from .services import DisasterError, active_event
from .views import current_event

# Pages whose top shows the bulletins and the help-request form while an event runs.
TOP_OF = ("home.index", "disaster.checkin", "disaster.checkin_submit")


def _event_or_404(event_id: int) -> DisasterEvent:
    return get_scoped_or_404(DisasterEvent, event_id, current_user.association_id)


def _require_officer() -> None:
    if not can_manage_disaster(current_user):
        abort(403)


def _form() -> BulletinForm:
    form = BulletinForm()
    form.blocks.choices = [(b.id, b.name) for b in blocks_of(current_user.association_id)]
    return form


def _page(event: DisasterEvent, form: BulletinForm, status: int = 200):
    return render_template(
        "disaster/bulletins.html",
        event=event,
        form=form,
        bulletins=event_bulletins(event.id),
        block_names=block_names(event.association_id),
        phrases={key: PHRASES[key] for key in OFFICER_PHRASES},
    ), status


@bp.get("/events/<int:event_id>/bulletins")
@login_required
def bulletins(event_id: int):
    """The officers' bulletins of an event: the form while it runs, and every one posted."""
    event = _event_or_404(event_id)
    _require_officer()
    return _page(event, _form())


@bp.post("/events/<int:event_id>/bulletins")
@login_required
def post(event_id: int):
    event = _event_or_404(event_id)
    _require_officer()
    form = _form()
    if not form.validate_on_submit():
        return _page(event, form, 400)
    free = form.template.data == "free"
    try:
        bulletin = post_bulletin(
            event,
            template="" if free else form.template.data,
            params={} if free else {"place": form.place.data, "time": form.time.data},
            text=form.text.data if free else "",
            block_ids=form.blocks.data or [],
            by=current_user,
        )
    except DisasterError as error:
        db.session.rollback()
        form.template.errors = [*form.template.errors, str(error)]
        return _page(event, form, 400)
    db.session.commit()
    flash(
        _(
            "お知らせを送りました（%(reached)s / %(members)s 人に届きます）。",
            reached=bulletin.reach.get("reached", 0),
            members=bulletin.reach.get("members", 0),
        )
    )
    return redirect(url_for("disaster.bulletins", event_id=event.id), 303)


@bp.get("/events/<int:event_id>/bulletins.csv")
@login_required
def bulletins_export(event_id: int):
    """The event's bulletins as CSV, for the record."""
    event = _event_or_404(event_id)
    _require_officer()
    names = block_names(event.association_id)
    rows = [[_("日時"), _("送った人"), _("送り先"), _("お知らせ"), _("届いた人数")]]
    for bulletin in reversed(event_bulletins(event.id)):
        rows.append(
            [
                format_datetime(bulletin.created_at),
                _poster(bulletin),
                _recipients(bulletin, names),
                bulletin_text(bulletin),
                bulletin.reach.get("reached", 0),
            ]
        )
    record(
        "disaster.bulletins_export",
        association_id=event.association_id,
        actor=current_user,
        target=event,
        rows=len(rows) - 1,
    )
    db.session.commit()
    return csv_download(rows, f"bulletins-{event.id}.csv")


def _poster(bulletin) -> str:
    if bulletin.source == "jma":
        return _("気象庁の情報（自動）")
    return bulletin.posted_by.name if bulletin.posted_by is not None else ""


def _recipients(bulletin, names: dict[int, str]) -> str:
    if not bulletin.block_ids:
        return _("全員")
    return "、".join(names.get(block_id, "?") for block_id in bulletin.block_ids)


@bp.post("/help")
@login_required
def help_update():
    """A member who asked for help says what is needed now, without a new check-in."""
    member = db.session.get(Member, _id(request.form.get("member_id")) or 0)
    if member is None or member.association_id != current_user.association_id:
        abort(404)
    if not can_report_for(current_user, member):
        abort(403)
    event = active_event(current_user.association_id)
    if event is None or event.id != _id(request.form.get("event_id")):
        flash(_("災害モードは終わりました。この知らせは数えていません。"), "error")
        return redirect(url_for("home.index"), 303)
    try:
        update_help(event, current_user, member, request.form.get("text", ""))
    except DisasterError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("disaster.checkin"), 303)
    db.session.commit()
    flash(_("いま必要なことを知らせました。"))
    return redirect(url_for("disaster.checkin"), 303)


def _id(value):
    try:
        return id_value(value)
    except (TypeError, ValueError):
        return None


# --- what the layout and other pages show ------------------------------------------------------


def top_section(member) -> Markup | None:
    """The bulletins, and the help-request form, at the top of the home and check-in pages."""
    if not has_request_context() or request.endpoint not in TOP_OF:
        return None
    event = current_event()
    if event is None:
        return None
    shown = bulletins_for(event, member)
    needing = household_needing_help(event, member)
    if not shown and not needing:
        return None
    updates = latest_help_updates(event.id) if needing else {}
    template = current_app.jinja_env.get_template("disaster/bulletins_top.html")
    return Markup(
        template.render(
            event=event,
            bulletins=shown,
            needing=[(person, checkin, updates.get(checkin.id)) for person, checkin in needing],
            bulletin_text=bulletin_text,
        )
    )


def help_update_note(checkin: CheckIn | None) -> Markup:
    """What a member needing help said they need now, with its time (roll call, dashboard)."""
    if not isinstance(checkin, CheckIn):  # none, or a whole household's report (no updates)
        return Markup("")
    if "help_updates" not in g:
        g.help_updates = {}
    cached = g.help_updates.get(checkin.event_id)
    if cached is None:
        cached = g.help_updates[checkin.event_id] = latest_help_updates(checkin.event_id)
    update = cached.get(checkin.id)
    if update is None:
        return Markup("")
    template = current_app.jinja_env.get_template("disaster/bulletins_help_note.html")
    return Markup(template.render(update=update))


bp.add_app_template_global(help_update_note, "help_update_note")
bp.add_app_template_global(bulletin_text, "bulletin_text")
bp.add_app_template_global(event_bulletins, "event_bulletins")
bp.add_app_template_global(block_names, "bulletin_block_names")
