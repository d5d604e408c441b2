"""Acting on a trigger (start the event or ask the officers), cancellations and liftings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from ..audit.services import record
from ..database import utcnow
from ..extensions import db
from ..org.models import Association, Member
from ..org.services import officers_of
from ..push.services import DISASTER_TTL, KIND_DISASTER, KIND_URGENT
from ..reach.services import Composer, Message, notify, simple
from . import URL_PREFIX
from .kinds import R06_SHARED_WITH_VPWW53, R06_TYPES
from .messages import (
    VFVO50,
    VPWW53,
    VTSE41,
    VXSE51,
    VXSE53,
    VXWW50,
    JmaMessage,
)
from .models import (
    ACTION_BULLETIN,
    ACTION_DISMISSED,
    ACTION_NOT_STARTED,
    ACTION_NOTED,
    ACTION_PROPOSED,
    ACTION_STARTED,
    JmaAlert,
)
from .rules import (
    Trigger,
    alert_key,
    drill_for,
    earthquake_key,
    r06_key_prefixes,
    r06_lifted,
    report_time,
    tsunami_key,
    volcano_key,
)
from .settings import MODE_AUTO, JmaError, JmaSettings

CANCEL_WINDOW = timedelta(hours=24)


class EventNotStarted(Exception):
    """Disaster mode could not be started (for example: an event is already running)."""


def start_disaster_event(
    association: Association,
    *,
    kind: str,
    title: str,
    message: str,
    drill: bool,
    started_by: Member | None = None,
    source: dict | None = None,
):
    """Start disaster mode through the disaster feature; EventNotStarted when it refuses."""
    from ..disaster import services as disaster

    try:
        return disaster.start_event(
            association,
            kind=kind,
            title=title,
            message=message,
            drill=drill,
            started_by=started_by,
            source=source,
        )
    except disaster.DisasterError as error:
        raise EventNotStarted(str(error)) from error


def running_event(association: Association, drill: bool):
    """The association's running event of the same kind of seriousness (real or drill), if any.

    A real alert during a drill is not folded into the drill: it is handled as before (the
    officers are told that it could not start).
    """
    from ..disaster import services as disaster

    event = disaster.active_event(association.id)
    if event is None or event.drill != drill:
        return None
    return event


def post_alert_bulletin(event, alert: JmaAlert) -> None:
    """Tell the running event's members about a new official alert, in a bulletin."""
    from ..disaster import bulletins

    bulletins.post_bulletin(
        event,
        template="official",
        params={
            "title": alert.title,
            "headline": (alert.source.get("headline") or "")[:1000],
        },
        source=bulletins.SOURCE_JMA,
    )


def _stronger(trigger: Trigger, event) -> bool:
    """Whether an earthquake shook harder than every earthquake already alerted in the event.

    Other alerts (a tsunami or volcano warning, a weather warning, an upgrade) always count.
    """
    if trigger.kind != "earthquake":
        return True
    earlier = db.session.scalars(
        select(JmaAlert.source).where(
            JmaAlert.association_id == event.association_id,
            JmaAlert.disaster_event_id == event.id,
            JmaAlert.kind == "earthquake",
        )
    )
    strongest = max((s.get("strength", 0) for s in earlier if s), default=-1)
    return trigger.strength > strongest


def alert_path(alert: JmaAlert) -> str:
    """The officers' page of an alert (a path: push messages open it in the app)."""
    return f"{URL_PREFIX}/alerts/{alert.id}"


def source_of(message: JmaMessage, link: str) -> dict:
    """What the event records about the JMA message that caused it."""
    return {
        "type": message.type_code,
        "event_id": message.event_id,
        "link": link,
        "headline": message.headline,
        "title": message.head_title,
        "report_datetime": report_time(message),
        "status": message.status,
        "info_type": message.info_type,
    }


def act(
    association: Association,
    trigger: Trigger,
    message: JmaMessage,
    link: str,
    *,
    mode: str,
    now: datetime,
) -> JmaAlert | None:
    """Start the event or ask the officers; None when this event was already handled."""
    exists = db.session.scalar(
        select(JmaAlert.id).where(
            JmaAlert.association_id == association.id, JmaAlert.event_key == trigger.event_key
        )
    )
    if exists:
        return None
    alert = JmaAlert(
        association_id=association.id,
        event_key=trigger.event_key,
        action=ACTION_PROPOSED,
        kind=trigger.kind,
        drill=trigger.drill,
        title=trigger.title,
        reason=trigger.reason,
        source=source_of(message, link)
        | ({"strength": trigger.strength} if trigger.strength else {}),
        created_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(alert)
            db.session.flush()
    except IntegrityError:  # another poll recorded the same event a moment ago
        return None

    running = running_event(association, trigger.drill)
    if running is not None and not _stronger(trigger, running):
        alert.action = ACTION_NOTED
        alert.disaster_event_id = running.id
    elif running is not None:
        # A stronger aftershock, an upgraded warning: one event, and a bulletin in it.
        post_alert_bulletin(running, alert)
        alert.action = ACTION_BULLETIN
        alert.disaster_event_id = running.id
    elif mode == MODE_AUTO and not trigger.ask:
        try:
            _start(alert, association, by=None, now=now)
        except EventNotStarted as error:
            alert.action = ACTION_NOT_STARTED
            alert.note = str(error)[:300]
            _tell_not_started(alert)
    else:
        notify(
            officers_of(association.id),
            Message(
                kind=KIND_DISASTER,
                compose=_to_officers(
                    alert,
                    lambda: (
                        (_("【訓練】") if alert.drill else "")
                        + _("気象庁：%(title)s", title=alert.title)
                    ),
                    lambda: message.headline + "\n" + _("安否確認を始めますか。"),
                ),
                every_channel=True,
                tag=f"jma-{alert.id}",
                urgency="high",
                ttl=DISASTER_TTL,
                label="jma",
            ),
        )
    record(
        f"jma.{alert.action}",
        association_id=association.id,
        target=alert,
        event_key=alert.event_key,
        link=link,
    )
    return alert


def _to_officers(alert: JmaAlert, title: Callable[[], str], body: Callable[[], str]) -> Composer:
    """A message to the officers whose fixed words are put in each officer's language."""
    return lambda member, channel: simple(title(), body(), alert_path(alert))(member, channel)


def _start(alert: JmaAlert, association: Association, by: Member | None, now: datetime) -> None:
    """Start the alert's event; EventNotStarted leaves the alert as it was."""
    event = start_disaster_event(
        association,
        kind=alert.kind,
        title=alert.title,
        message=alert.source.get("headline") or alert.title,
        drill=alert.drill,
        started_by=by,
        source=alert.source,
    )
    alert.action = ACTION_STARTED
    alert.disaster_event_id = getattr(event, "id", None)
    alert.decided_by_id = by.id if by else None
    alert.decided_at = now


def _tell_not_started(alert: JmaAlert) -> None:
    notify(
        officers_of(alert.association_id),
        Message(
            kind=KIND_URGENT,
            compose=_to_officers(
                alert,
                lambda: _("気象庁：%(title)s", title=alert.title),
                lambda: _(
                    "安否確認を始められませんでした。すでに始まっている安否確認をお確かめください。"
                ),
            ),
            every_channel=True,
            tag=f"jma-{alert.id}",
            urgency="high",
            ttl=DISASTER_TTL,
            label="jma",
        ),
    )


def start_proposed(alert: JmaAlert, by: Member, now: datetime | None = None) -> None:
    """An officer's one tap: start the event the alert proposed (EventNotStarted if refused)."""
    if alert.action != ACTION_PROPOSED:
        raise JmaError("already decided")
    association = db.session.get(Association, alert.association_id)
    _start(alert, association, by=by, now=now or utcnow())
    record("jma.started", association_id=alert.association_id, actor=by, target=alert)


def dismiss(alert: JmaAlert, by: Member, now: datetime | None = None) -> None:
    """An officer decides not to start the event an alert proposed."""
    if alert.action != ACTION_PROPOSED:
        raise JmaError("already decided")
    alert.action = ACTION_DISMISSED
    alert.decided_by_id = by.id
    alert.decided_at = now or utcnow()
    record("jma.dismissed", association_id=alert.association_id, actor=by, target=alert)


def pending_alerts(association_id: int) -> list[JmaAlert]:
    """Alerts waiting for an officer's decision, newest first."""
    return list(
        db.session.scalars(
            select(JmaAlert)
            .where(JmaAlert.association_id == association_id, JmaAlert.action == ACTION_PROPOSED)
            .order_by(JmaAlert.created_at.desc(), JmaAlert.id.desc())
        )
    )


def recent_alerts(association_id: int, limit: int = 20) -> list[JmaAlert]:
    return list(
        db.session.scalars(
            select(JmaAlert)
            .where(JmaAlert.association_id == association_id)
            .order_by(JmaAlert.created_at.desc(), JmaAlert.id.desc())
            .limit(limit)
        )
    )


# -- cancellations --------------------------------------------------------------------------


def cancelled_alerts(
    association: Association, message: JmaMessage, now: datetime
) -> list[JmaAlert]:
    """The association's alerts a 取消 message takes back: same EventID, or same weather type."""
    settings = JmaSettings.of(association)
    drill = drill_for(message, settings)
    if drill is None:
        return []
    query = select(JmaAlert).where(
        JmaAlert.association_id == association.id,
        JmaAlert.cancelled_at.is_(None),
        JmaAlert.action != ACTION_DISMISSED,
    )
    if message.type_code in (VXSE51, VXSE53):
        query = query.where(JmaAlert.event_key == earthquake_key(message, drill))
    elif message.type_code == VTSE41:
        query = query.where(
            JmaAlert.event_key.startswith(tsunami_key(message, drill), autoescape=True)
        )
    elif message.type_code == VFVO50:
        query = query.where(
            JmaAlert.event_key.startswith(volcano_key(message, drill, ""), autoescape=True),
            JmaAlert.created_at >= now - CANCEL_WINDOW,
        )
    elif message.type_code in (VPWW53, VXWW50):
        prefix = alert_key(drill, "weather", message.type_code, "")
        query = query.where(
            JmaAlert.event_key.startswith(prefix, autoescape=True),
            JmaAlert.created_at >= now - CANCEL_WINDOW,
        )
    elif message.type_code in R06_TYPES:
        return _r06_cancelled(
            message, drill, query.where(JmaAlert.created_at >= now - CANCEL_WINDOW)
        )
    else:
        return []
    return list(db.session.scalars(query))


def _r06_cancelled(message: JmaMessage, drill: bool, query) -> list[JmaAlert]:
    """Alerts of the same R06 type, and those it shares with VPWW53 (the same codes)."""
    own = alert_key(drill, "weather", message.type_code, "")
    shared_prefix = alert_key(drill, "weather", VPWW53, "")
    shared = R06_SHARED_WITH_VPWW53.get(message.type_code, ())
    found = []
    for alert in db.session.scalars(
        query.where(
            or_(
                JmaAlert.event_key.startswith(own, autoescape=True),
                JmaAlert.event_key.startswith(shared_prefix, autoescape=True),
            )
        )
    ):
        # weather:VPWW53:<area>:<code>:<report time>
        parts = alert.event_key.removeprefix(shared_prefix).split(":")
        if alert.event_key.startswith(own) or (len(parts) > 1 and parts[1] in shared):
            found.append(alert)
    return found


def tell_cancelled(alert: JmaAlert, message: JmaMessage, now: datetime) -> None:
    """Record a cancellation and tell the officers; it ends nothing by itself."""
    alert.cancelled_at = now
    alert.cancel_headline = message.headline
    started = alert.action == ACTION_STARTED

    def body() -> str:
        if started:
            return _(
                "気象庁が情報を取り消しました。安否確認は続いています。"
                "終えるかどうか決めてください。"
            )
        return _("気象庁が情報を取り消しました。")

    notify(
        officers_of(alert.association_id),
        Message(
            kind=KIND_URGENT,
            compose=_to_officers(alert, lambda: _("取消：%(title)s", title=alert.title), body),
            every_channel=True,
            tag=f"jma-{alert.id}",
            urgency="high",
            ttl=DISASTER_TTL,
            label="jma",
        ),
    )
    record("jma.cancelled", association_id=alert.association_id, target=alert)


# -- liftings (解除) of R06 warnings ---------------------------------------------------------


def lifted_alerts(association: Association, message: JmaMessage, now: datetime) -> list[JmaAlert]:
    """The association's alerts an R06 message lifts (解除 in its municipality), not yet told."""
    settings = JmaSettings.of(association)
    drill = drill_for(message, settings)
    if drill is None or not r06_lifted(message, settings):
        return []
    prefixes = r06_key_prefixes(message.type_code, drill, settings.warning_area_code)
    candidates = db.session.scalars(
        select(JmaAlert).where(
            JmaAlert.association_id == association.id,
            JmaAlert.cancelled_at.is_(None),
            JmaAlert.action != ACTION_DISMISSED,
            JmaAlert.created_at >= now - CANCEL_WINDOW,
            or_(*(JmaAlert.event_key.startswith(p, autoescape=True) for p in prefixes)),
        )
    )
    return [alert for alert in candidates if not (alert.source or {}).get("lifted_at")]


def tell_lifted(alert: JmaAlert, message: JmaMessage, now: datetime) -> None:
    """Record that JMA lifted the alert's warning and tell the officers; it ends nothing."""
    alert.source = (alert.source or {}) | {
        "lifted_at": now.isoformat(),
        "lifted_headline": message.headline[:1000],
    }
    started = alert.action == ACTION_STARTED

    def body() -> str:
        if started:
            return _(
                "気象庁が警報などを解除しました。安否確認は続いています。"
                "終えるかどうか決めてください。"
            )
        return _("気象庁が警報などを解除しました。")

    notify(
        officers_of(alert.association_id),
        Message(
            kind=KIND_URGENT,
            compose=_to_officers(alert, lambda: _("解除：%(title)s", title=alert.title), body),
            every_channel=True,
            tag=f"jma-{alert.id}",
            urgency="high",
            ttl=DISASTER_TTL,
            label="jma",
        ),
    )
    record("jma.lifted", association_id=alert.association_id, target=alert)
