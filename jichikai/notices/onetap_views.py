"""The 読みました page of a circular sent by email or LINE (/r/<token>), no login.

GET shows the circular and never stores (mail scanners open links); its button posts the
receipt, with the channel the circular went by. See reach/bearer.py for what every bearer page
does (headers, limits, CSRF). Attachments need the app: their links are not shown here.
"""

from functools import wraps

from flask import flash, redirect, render_template, request
from flask_babel import gettext as _

from ..database import utcnow
from ..extensions import db
from ..forms import ConfirmForm
from ..org.models import Member
from ..reach import tokens
from ..reach.bearer import bearer_target, in_language_of, invalid_link, per_address
from . import onetap_bp
from .models import Notice
from .permissions import is_recipient
from .services import mark_read, member_read_at


def _reader(token: str) -> tuple[Member, Notice, str] | None:
    """The member, circular and channel of a valid link, the member in the audience; else None."""
    found = bearer_target(tokens.READ, token, Notice)
    if found is None:
        return None
    member, notice, _channel = found
    if notice.published_at is None or not is_recipient(member, notice):
        return None
    return found


def _gone():
    """Withdrawn or expired: a polite page, nothing stored."""
    return render_template("notices/onetap_gone.html"), 410


def _page(member: Member, notice: Notice, error: str = ""):
    return render_template(
        "notices/onetap.html",
        member=member,
        notice=notice,
        read_at=member_read_at(notice, member),
        error=error,
    )


def read_link(view):
    """Run `view(member, notice, channel, now)` in the member's language for a valid link of
    a live circular; the 404 page for any other link, a polite page once it is withdrawn."""

    @wraps(view)
    def open_link(token: str):
        found = _reader(token)
        if found is None:
            return invalid_link()
        member, notice, channel = found
        with in_language_of(member):
            now = utcnow()
            if not notice.is_live(now):
                return _gone()
            return view(member, notice, channel, now)

    return open_link


@onetap_bp.get("/r/<token>")
@per_address
@read_link
def read(member: Member, notice: Notice, _channel: str, _now):
    """The circular's text and one 読みました button."""
    return _page(member, notice)


@onetap_bp.post("/r/<token>")
@per_address
@read_link
def mark(member: Member, notice: Notice, channel: str, now):
    """Record the receipt (once) with the link's channel."""
    if not ConfirmForm().validate_on_submit():
        return _page(member, notice, _("画面の有効期限が切れました。もう一度押してください。")), 400
    mark_read(notice, member, via=channel, now=now)
    db.session.commit()
    flash(_("読んだことを伝えました。ありがとうございます。"))
    return redirect(request.path, 303)
