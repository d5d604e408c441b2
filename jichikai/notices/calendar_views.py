"""The calendar of events (行事), and the member's iCalendar feed and its settings."""

from datetime import date
from zoneinfo import ZoneInfo

from flask import Response, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import format_datetime, format_time, get_locale, get_timezone
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..database import utcnow
from ..extensions import db
from ..forms import ConfirmForm
from ..links import public_url
from ..reach.bearer import per_address
from . import bp, onetap_bp
from .calendar import feed_of, ical, member_of_token, month_view, parse_month, renew_feed, touch
from .calendar import revoke_feed as stop_feed
from .models import Notice

NEW_FEED_KEY = "calendar_feed_token"


def event_when(notice: Notice) -> str:
    """When an event is, in words: 2026年12月6日（日） 9:00〜11:00."""
    start = notice.event_starts_at
    if start is None:
        return ""
    if str(get_locale()).startswith("ja"):
        text = format_datetime(start, "y年M月d日（E） H:mm")
        same_day_end = "H:mm"
        other_day_end = "M月d日（E） H:mm"
    else:
        text = format_datetime(start, "EEE d MMM y, H:mm")
        same_day_end = "H:mm"
        other_day_end = "EEE d MMM, H:mm"
    end = notice.event_ends_at
    if end is not None and end > start:
        zone = get_timezone()
        same_day = start.astimezone(zone).date() == end.astimezone(zone).date()
        if same_day:
            text += "〜" + format_time(end, same_day_end)
        else:
            text += "〜" + format_datetime(end, other_day_end)
    return text


def first_day_in(notice: Notice, month) -> date:
    """The first day of an event inside the shown month (where the table's mark links to)."""
    return max(localdate(notice.event_starts_at), month.first)


def localdate(value) -> date:
    """A time's day in the association's time zone."""
    return value.astimezone(get_timezone()).date()


bp.add_app_template_filter(event_when, "event_when")
bp.add_app_template_filter(localdate, "localdate")
bp.add_app_template_filter(first_day_in, "first_day_in")


def _zone() -> ZoneInfo:
    return ZoneInfo(current_user.association.timezone)


@bp.get("/calendar")
@login_required
def calendar():
    """The month's events of the circulars the member can see: a table and a list."""
    zone = _zone()
    today = utcnow().astimezone(zone).date()
    first = parse_month(request.args.get("month"), today)
    return render_template(
        "notices/calendar.html", month=month_view(current_user, first, zone), today=today
    )


@bp.get("/calendar/feed")
@login_required
def calendar_feed_settings():
    """The member's calendar address for phones: make, renew or stop it."""
    token = session.pop(NEW_FEED_KEY, None)
    address = public_url("notices_onetap.calendar_feed", token=token) if token else None
    return render_template(
        "notices/calendar_feed.html",
        feed=feed_of(current_user),
        address=address,
        webcal=("webcal://" + address.split("://", 1)[1]) if address else None,
        form=ConfirmForm(),
    )


@bp.post("/calendar/feed")
@login_required
def renew_calendar_feed():
    """Make a new secret address; the previous one stops working."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    session[NEW_FEED_KEY] = renew_feed(current_user)
    db.session.commit()
    flash(_("カレンダーの住所を作りました。前の住所は使えなくなりました。"))
    return redirect(url_for("notices.calendar_feed_settings"), code=303)


@bp.post("/calendar/feed/stop")
@login_required
def stop_calendar_feed():
    """Stop the secret address (e.g. after a phone was lost)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    session.pop(NEW_FEED_KEY, None)
    if stop_feed(current_user):
        db.session.commit()
        flash(_("カレンダーの住所を止めました。"))
    return redirect(url_for("notices.calendar_feed_settings"), code=303)


@onetap_bp.get("/calendar/<token>.ics")
@per_address
def calendar_feed(token: str):
    """The member's events as iCalendar, for phone calendars (no login: the address is the key)."""
    member = member_of_token(token)
    if member is None:
        abort(404)
    body = ical(member, f"{member.association.name}（{_('行事')}）")
    touch(member)
    db.session.commit()
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": 'inline; filename="jichikai.ics"'},
    )
