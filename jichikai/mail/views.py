"""The officers' page of email addresses that do not work."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..database import get_scoped_or_404
from ..extensions import db
from ..forms import ConfirmForm
from ..reach.models import CHANNEL_EMAIL, Contact
from ..ui import NavItem
from . import bp
from .permissions import can_manage_undeliverable
from .services import NotFailed, mark_fixed, undeliverable


def _require_officer() -> None:
    if not can_manage_undeliverable(current_user):
        abort(403)


@bp.get("/admin/mail")
@login_required
def undeliverable_list():
    _require_officer()
    return render_template(
        "mail/undeliverable.html",
        addresses=undeliverable(current_user.association_id),
        confirm=ConfirmForm(),
    )


@bp.post("/admin/mail/contacts/<int:contact_id>/fixed")
@login_required
def mark_contact_fixed(contact_id: int):
    _require_officer()
    contact = get_scoped_or_404(Contact, contact_id, current_user.association_id)
    if contact.channel != CHANNEL_EMAIL:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        mark_fixed(contact, current_user)
    except NotFailed:
        flash(_("このアドレスは、もう直してあります。"))
        return redirect(url_for("mail.undeliverable_list"))
    db.session.commit()
    flash(_("%(address)s に、またメールを送ります。", address=contact.address))
    return redirect(url_for("mail.undeliverable_list"))


def nav_items(member) -> list[NavItem]:
    """The officers' list of undeliverable addresses."""
    if not can_manage_undeliverable(member):
        return []
    return [NavItem(_("届かないメールアドレス"), url_for("mail.undeliverable_list"))]
