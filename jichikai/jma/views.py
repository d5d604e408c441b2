"""Officer pages: the JMA settings, and alerts waiting for a one-tap start."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from ..database import get_scoped_or_404, utcnow
from ..extensions import db
from ..forms import ConfirmForm
from ..ui import NavItem
from . import bp
from .alerts import EventNotStarted, dismiss, pending_alerts, recent_alerts, start_proposed
from .forms import WEATHER_LABELS, JmaSettingsForm
from .models import JmaAlert
from .permissions import can_decide_alerts, can_manage_jma
from .poll import MAX_ATTEMPTS, failing_feeds, problem_entries
from .settings import JmaError, JmaSettings, save_settings


def _alert_or_404(alert_id: int) -> JmaAlert:
    if not can_decide_alerts(current_user):
        abort(403)
    return get_scoped_or_404(JmaAlert, alert_id, current_user.association_id)


@bp.route("/", methods=["GET", "POST"])
@login_required
def settings():
    if not can_manage_jma(current_user):
        abort(403)
    association = current_user.association
    form = JmaSettingsForm(obj=JmaSettings.of(association))
    if form.validate_on_submit():
        try:
            save_settings(association, form.to_settings(), by=current_user._get_current_object())
        except JmaError:
            db.session.rollback()
            abort(400)
        db.session.commit()
        flash(_("設定を保存しました。"))
        return redirect(url_for("jma.settings"))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "jma/settings.html",
        form=form,
        alerts=recent_alerts(association.id),
        failing_feeds=failing_feeds(),
        problem_entries=problem_entries(utcnow()),
        max_attempts=MAX_ATTEMPTS,
    ), status


@bp.get("/alerts/<int:alert_id>")
@login_required
def alert(alert_id: int):
    found = _alert_or_404(alert_id)
    return render_template("jma/alert.html", alert=found, form=ConfirmForm())


@bp.post("/alerts/<int:alert_id>/start")
@login_required
def start(alert_id: int):
    found = _alert_or_404(alert_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        start_proposed(found, by=current_user._get_current_object())
    except JmaError:
        flash(_("この知らせは、もう決まっています。"))
    except EventNotStarted:
        db.session.rollback()
        flash(
            _("安否確認を始められませんでした。すでに始まっている安否確認をお確かめください。"),
            "error",
        )
    else:
        db.session.commit()
        flash(_("安否確認を始めました。"))
    return redirect(url_for("jma.alert", alert_id=alert_id))


@bp.post("/alerts/<int:alert_id>/dismiss")
@login_required
def dismiss_alert(alert_id: int):
    found = _alert_or_404(alert_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        dismiss(found, by=current_user._get_current_object())
    except JmaError:
        flash(_("この知らせは、もう決まっています。"))
    else:
        db.session.commit()
        flash(_("今回は始めないことにしました。"))
    return redirect(url_for("jma.alert", alert_id=alert_id))


def nav_items(member) -> list[NavItem]:
    """The officers' menu entry."""
    if not can_manage_jma(member):
        return []
    return [NavItem(_("気象庁の情報"), url_for("jma.settings"))]


def pending_banner(member) -> Markup | None:
    """Officers see alerts that wait for their decision on every page."""
    if not can_decide_alerts(member):
        return None
    waiting = pending_alerts(member.association_id)
    if not waiting:
        return None
    latest = waiting[0]
    return Markup('<div class="banner" role="alert"><a href="{}">{}</a></div>').format(
        url_for("jma.alert", alert_id=latest.id),
        _("気象庁の情報：%(title)s。安否確認を始めますか。", title=latest.title),
    )


def weather_label(code: str) -> str:
    return str(WEATHER_LABELS.get(code, code))
