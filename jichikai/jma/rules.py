"""The rules: whether a JMA message calls for disaster mode in one association."""

from __future__ import annotations

from dataclasses import dataclass

from .messages import (
    INTENSITY_LABELS,
    INTENSITY_SCALE,
    NOT_YET_RECEIVED,
    VPWW53,
    VXSE51,
    VXSE53,
    VXWW50,
    JmaMessage,
    SeismicCity,
    intensity_rank,
)
from .settings import LANDSLIDE, WEATHER_KINDS, JmaSettings

FIVE_LOWER = INTENSITY_SCALE.index("5-")

STATUS_NORMAL = "通常"
STATUS_TRAINING = "訓練"
INFO_ISSUED = ("発表", "訂正")
INFO_CANCELLED = "取消"
WARNING_ISSUED = "発表"


@dataclass(frozen=True)
class Trigger:
    """A message that calls for disaster mode in one association."""

    event_key: str
    kind: str
    title: str
    reason: str
    drill: bool


def evaluate(message: JmaMessage, settings: JmaSettings) -> Trigger | None:
    """Whether `message` calls for disaster mode under `settings` (a cancellation never does)."""
    if not settings.enabled or message.info_type not in INFO_ISSUED:
        return None
    drill = drill_for(message, settings)
    if drill is None:
        return None
    if message.type_code == VXSE53:
        return _earthquake(message, settings, drill, use_city=True)
    if message.type_code == VXSE51:
        return _earthquake(message, settings, drill, use_city=False)
    if message.type_code == VPWW53:
        return _weather_warning(message, settings, drill)
    if message.type_code == VXWW50:
        return _landslide(message, settings, drill)
    return None


def drill_for(message: JmaMessage, settings: JmaSettings) -> bool | None:
    """False for a real message, True for a drill the association wants, else None."""
    if message.status == STATUS_NORMAL:
        return False
    if message.status == STATUS_TRAINING and settings.drill_from_training:
        return True
    return None


def alert_key(drill: bool, *parts: str) -> str:
    return ("drill:" if drill else "") + ":".join(parts)


def earthquake_key(message: JmaMessage, drill: bool) -> str:
    return alert_key(drill, "earthquake", message.event_id or message.head_title)


def _earthquake(
    message: JmaMessage, settings: JmaSettings, drill: bool, use_city: bool
) -> Trigger | None:
    """VXSE53: the city, else its area when the city is not listed. VXSE51: the area."""
    city = _find_city(message, settings.city_code) if use_city and settings.city_code else None
    area = message.areas.get(settings.area_code) if settings.area_code else None
    if city is not None:
        value = city.max_int
        reason = f"{city.name}で{INTENSITY_LABELS.get(value or '', '')}"
        if city.condition == NOT_YET_RECEIVED and (intensity_rank(value) or -1) < FIVE_LOWER:
            value, reason = "5-", f"{city.name}で震度５弱以上の見込み（未入電）"
    elif area is not None:
        value = area.max_int
        reason = f"{area.name}で{INTENSITY_LABELS.get(value or '', '')}"
    else:
        return None

    rank = intensity_rank(value)
    if rank is None or rank < intensity_rank(settings.threshold):
        return None
    return Trigger(
        event_key=earthquake_key(message, drill),
        kind="earthquake",
        title=f"地震（{reason}）",
        reason=reason,
        drill=drill,
    )


def _find_city(message: JmaMessage, city_code: str) -> SeismicCity | None:
    for area in message.areas.values():
        if city_code in area.cities:
            return area.cities[city_code]
    return None


def _weather_warning(message: JmaMessage, settings: JmaSettings, drill: bool) -> Trigger | None:
    """VPWW53: a chosen Kind/Code newly issued (Status 発表) for the warning area."""
    if not settings.warning_area_code:
        return None
    chosen = [code for code in settings.weather_kinds if code != LANDSLIDE]
    for item in message.warnings:
        if item.area_code != settings.warning_area_code:
            continue
        issued = {k.code: k for k in item.kinds if k.status == WARNING_ISSUED}
        for code in chosen:  # in the order of WEATHER_KINDS: the gravest first
            if code in issued:
                name = issued[code].name or WEATHER_KINDS[code][0]
                reason = f"{item.area_name}に{name}"
                return Trigger(
                    event_key=alert_key(
                        drill, "weather", VPWW53, item.area_code, code, report_time(message)
                    ),
                    kind=WEATHER_KINDS[code][1],
                    title=f"{name}（{item.area_name}）",
                    reason=reason,
                    drill=drill,
                )
    return None


def _landslide(message: JmaMessage, settings: JmaSettings, drill: bool) -> Trigger | None:
    """VXWW50: 土砂災害警戒情報 newly issued (Status 発表) for the warning area."""
    if LANDSLIDE not in settings.weather_kinds or not settings.warning_area_code:
        return None
    for item in message.warnings:
        if item.area_code != settings.warning_area_code:
            continue
        if any(k.status == WARNING_ISSUED for k in item.kinds):
            return Trigger(
                event_key=alert_key(drill, "weather", VXWW50, item.area_code, report_time(message)),
                kind="landslide",
                title=f"土砂災害警戒情報（{item.area_name}）",
                reason=f"{item.area_name}に土砂災害警戒情報",
                drill=drill,
            )
    return None


def report_time(message: JmaMessage) -> str:
    return message.report_datetime.isoformat() if message.report_datetime else ""
