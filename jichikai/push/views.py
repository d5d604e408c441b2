"""Pages: the member's notification settings and the admins' delivery problems."""

from datetime import timedelta

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..database import get_scoped_or_404, utcnow
from ..extensions import db, limiter
from ..forms import ConfirmForm
from ..ui import NavItem
from . import bp
from .delivery import problem_counts, recent_problems, status_counts
from .forms import PreferenceForm
from .models import PushSubscription
from .permissions import can_view_delivery_problems
from .services import delete_subscription, member_subscriptions, send_test, set_preference


def _settings_page(form: PreferenceForm, status: int = 200):
    return render_template(
        "push/settings.html",
        form=form,
        confirm=ConfirmForm(),
        subscriptions=member_subscriptions(current_user),
    ), status


@bp.get("/me/notifications")
@login_required
def settings():
    return _settings_page(PreferenceForm(obj=current_user))


@bp.post("/me/notifications")
@login_required
def save_settings():
    form = PreferenceForm()
    if not form.validate_on_submit():
        return _settings_page(form, 400)
    set_preference(current_user, form.push_preference.data)
    db.session.commit()
    flash(_("お知らせの受け取り方を保存しました。"))
    return redirect(url_for("push.settings"))


@bp.post("/me/notifications/test")
@login_required
@limiter.limit("5 per 10 minutes")
def send_test_message():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    count = send_test(
        current_user,
        _("ためしのお知らせです"),
        _("このお知らせが見えれば、受け取りの設定はできています。"),
        url_for("push.settings"),
    )
    db.session.commit()
    if count:
        flash(_("ためしのお知らせを送りました。少し待つと届きます。"))
    else:
        flash(
            _("この端末はまだ登録されていません。先に「この端末で受け取る」を押してください。"),
            "error",
        )
    return redirect(url_for("push.settings"))


@bp.post("/me/notifications/devices/<int:subscription_id>/delete")
@login_required
def delete_device(subscription_id: int):
    subscription = get_scoped_or_404(PushSubscription, subscription_id, current_user.association_id)
    if subscription.member_id != current_user.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    delete_subscription(current_user, subscription)
    db.session.commit()
    flash(_("その端末にはお知らせを送りません。"))
    return redirect(url_for("push.settings"))


@bp.get("/admin/push")
@login_required
def problems():
    if not can_view_delivery_problems(current_user):
        abort(403)
    since = utcnow() - timedelta(days=7)
    association_id = current_user.association_id
    return render_template(
        "push/problems.html",
        statuses=status_counts(association_id, since),
        problem_counts=problem_counts(association_id, since),
        problems=recent_problems(association_id),
    )


def nav_items(member) -> list[NavItem]:
    """Everyone's notification settings; the admins' delivery problems."""
    items = [NavItem(_("お知らせの受け取り設定"), url_for("push.settings"))]
    if can_view_delivery_problems(member):
        items.append(NavItem(_("通知の送信状況"), url_for("push.problems")))
    return items
