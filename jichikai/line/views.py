"""Pages: the officers' LINE settings, a member's link page, and the account's webhook."""

import logging
from urllib.parse import quote

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from ..extensions import csrf, db
from ..forms import ConfirmForm
from ..links import absolute, qr_data_uri
from ..org.models import Association
from ..ui import NavItem
from . import bp, linking, webhook
from .client import LineClient
from .delivery import waiting_count
from .forms import LineSettingsForm
from .models import ACCOUNT_OFF, ACCOUNT_WORKING
from .permissions import can_link_line, can_manage_line
from .services import allowance, refresh_quota
from .settings import (
    Credentials,
    LineSettingsError,
    account_of,
    account_secret,
    account_token,
    save_account,
)

log = logging.getLogger(__name__)


def add_friend_url(basic_id: str) -> str:
    return f"https://line.me/R/ti/p/{quote(basic_id)}"


def prefilled_message_url(basic_id: str, message: str) -> str:
    """Opens the account's chat with `message` typed in (the member taps send)."""
    return f"https://line.me/R/oaMessage/{quote(basic_id)}/?{quote(message)}"


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    if not can_manage_line(current_user):
        abort(403)
    association = current_user.association
    account = account_of(association.id)
    form = LineSettingsForm(basic_id=account.basic_id if account else "")
    if form.validate_on_submit():
        credentials = Credentials(
            form.basic_id.data or "", form.access_token.data or "", form.channel_secret.data or ""
        )
        try:
            account = save_account(
                association,
                credentials,
                by=current_user._get_current_object(),
                ip=request.remote_addr or "",
            )
        except LineSettingsError as error:
            db.session.rollback()
            form.access_token.errors.append(str(error))
        else:
            refresh_quota(account, force=True)
            db.session.commit()
            flash(_("LINEの設定を保存しました。"))
            return redirect(url_for("line.settings"))
    elif account is not None and request.method == "GET" and account.state != ACCOUNT_OFF:
        refresh_quota(account)
        db.session.commit()
    status = 400 if form.is_submitted() else 200
    return render_template(
        "line/settings.html",
        form=form,
        account=account,
        readable=account is not None
        and account_token(account) is not None
        and account_secret(account) is not None,
        allowance=allowance(association),
        waiting=waiting_count(association.id),
        webhook_url=absolute(url_for("line.webhook_endpoint", association_id=association.id)),
    ), status


@bp.route("/link", methods=["GET", "POST"])
@login_required
def link():
    """A member's page: add the account, send the code shown here."""
    if not can_link_line(current_user):
        abort(403)
    member = current_user._get_current_object()
    account = account_of(member.association_id)
    form = ConfirmForm()
    code = None
    if request.method == "POST":
        if account is None or not form.validate_on_submit():
            abort(400)
        code = linking.new_link_code(member)
        db.session.commit()
    basic_id = account.basic_id if account else ""
    return render_template(
        "line/link.html",
        account=account,
        contact=linking.linked_contact(member),
        form=form,
        code=code,
        add_friend=add_friend_url(basic_id) if basic_id else "",
        add_friend_qr=qr_data_uri(add_friend_url(basic_id)) if basic_id else "",
        send_code=prefilled_message_url(basic_id, code) if basic_id and code else "",
    )


@bp.post("/link/stop")
@login_required
def stop():
    """The member stops LINE messages (they may also just block the account)."""
    if not can_link_line(current_user):
        abort(403)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if linking.unlink(current_user._get_current_object()):
        flash(_("LINEへの知らせを止めました。"))
    db.session.commit()
    return redirect(url_for("line.link"))


@bp.post("/webhook/<int:association_id>")
@csrf.exempt
def webhook_endpoint(association_id: int):
    """LINE's webhook for one association's account: signed with its channel secret."""
    association = db.session.get(Association, association_id)
    account = account_of(association.id) if association is not None else None
    if account is None:
        abort(404)
    body = request.get_data(as_text=True)
    try:
        events = webhook.parse(account, body, request.headers.get("X-Line-Signature", ""))
    except webhook.BadSignature:
        abort(400)
    handled = webhook.handle(account, events)
    db.session.commit()
    token = account_token(account) if handled.replies else None
    if token is not None:
        client = LineClient(token)
        try:
            for reply_token, messages in handled.replies:
                client.reply(reply_token, messages)
        finally:
            client.close()
    return {"events": handled.events, "duplicates": handled.duplicates}


def nav_items(member) -> list[NavItem]:
    if not can_manage_line(member):
        return []
    return [NavItem(_("LINEの設定"), url_for("line.settings"))]


def link_offer(member) -> tuple[str, str] | None:
    """The members' settings offer LINE once the association's account is set up."""
    if not can_link_line(member):
        return None
    account = account_of(member.association_id)
    if account is None or account.state != ACCOUNT_WORKING:
        return None
    return _("LINEでも受け取る"), url_for("line.link")


def off_banner(member) -> Markup | None:
    """Officers see on every page that LINE stopped sending."""
    if not can_manage_line(member):
        return None
    account = account_of(member.association_id)
    if account is None or account.state != ACCOUNT_OFF:
        return None
    return Markup('<div class="banner" role="alert"><a href="{}">{}</a></div>').format(
        url_for("line.settings"),
        _("LINEで知らせを送れなくなっています。LINEの設定を確かめてください。"),
    )
