"""The rules: whether a JMA message calls for disaster mode in one association."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .kinds import (
    LANDSLIDE,
    R06_CHOICES,
    R06_EVENT_KINDS,
    R06_LEVEL_CODES,
    R06_LIFTED,
    R06_MUNICIPAL,
    R06_SHARED_WITH_VPWW53,
    R06_TYPES,
    TSUNAMI_GRADES,
    TSUNAMI_NAMES,
    TSUNAMI_STARTS,
    VOLCANO_LEVEL_STARTS,
    VOLCANO_LEVELS,
    VOLCANO_NEW_CONDITIONS,
    VOLCANO_RESIDENTIAL_CODES,
    VOLCANO_RESIDENTIAL_NAMES,
    WEATHER_KINDS,
)
from .messages import (
    INTENSITY_LABELS,
    INTENSITY_SCALE,
    NOT_YET_RECEIVED,
    VFVO50,
    VPWW53,
    VTSE41,
    VXSE51,
    VXSE53,
    VXWW50,
    JmaMessage,
    SeismicCity,
    intensity_rank,
)
from .settings import JmaSettings

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
    # Always ask the officers, whatever the association's mode (津波注意報).
    ask: bool = False
    # Earthquakes: the intensity's place on the scale (an aftershock is compared with it).
    strength: int = 0


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
    if message.type_code == VTSE41:
        return _tsunami(message, settings, drill)
    if message.type_code == VFVO50:
        return _volcano(message, settings, drill)
    if message.type_code in R06_TYPES:
        return _r06_warning(message, settings, drill)
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
        strength=rank,
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


def tsunami_key(message: JmaMessage, drill: bool, grade: str = "") -> str:
    """One alert per earthquake (EventID) and grade: an upgrade is a new alert."""
    return alert_key(drill, "tsunami", message.event_id or report_time(message), grade)


def _tsunami(message: JmaMessage, settings: JmaSettings, drill: bool) -> Trigger | None:
    """VTSE41: 大津波警報 or 津波警報 for the association's 津波予報区 starts; 津波注意報 asks."""
    if not settings.tsunami_area_code:
        return None
    for item in message.tsunami:
        if item.area_code != settings.tsunami_area_code:
            continue
        grade = TSUNAMI_GRADES.get(item.kind_code)
        if grade is None:
            return None
        name = TSUNAMI_NAMES[grade]
        return Trigger(
            event_key=tsunami_key(message, drill, grade),
            kind="tsunami",
            title=f"{name}（{item.area_name}）",
            reason=f"{item.area_name}に{name}",
            drill=drill,
            ask=grade not in TSUNAMI_STARTS,
        )
    return None


def volcano_key(message: JmaMessage, drill: bool, *parts: str) -> str:
    """One alert per volcano (its EventID is the volcano's code) and level or warning."""
    return alert_key(drill, "volcano", message.event_id or message.head_title, *parts)


_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _volcano(message: JmaMessage, settings: JmaSettings, drill: bool) -> Trigger | None:
    """VFVO50: 噴火警戒レベル４ or more, or 噴火警報（居住地域）, for the municipality.

    The municipality is the association's city code (earthquakes) or its warning area code.
    """
    codes = {code for code in (settings.city_code, settings.warning_area_code) if code}
    if not codes:
        return None
    level, level_raised, volcano_name = 0, False, ""
    for item in message.volcano:
        if item.target == "volcano" and item.kind_code in VOLCANO_LEVELS:
            level = max(level, VOLCANO_LEVELS[item.kind_code])
            level_raised = level_raised or item.condition in VOLCANO_NEW_CONDITIONS
            volcano_name = volcano_name or (item.areas[0][1] if item.areas else "")
    for item in message.volcano:
        if item.target != "municipality":
            continue
        ours = [name for code, name in item.areas if code in codes]
        if not ours:
            continue
        residential = (
            item.kind_code in VOLCANO_RESIDENTIAL_CODES
            or item.kind_name in VOLCANO_RESIDENTIAL_NAMES
        )
        if not (residential or level >= VOLCANO_LEVEL_STARTS):
            continue
        if item.condition not in VOLCANO_NEW_CONDITIONS and not level_raised:
            continue  # 継続: already in force
        name = volcano_name or message.head_title
        what = (
            f"噴火警戒レベル{str(level).translate(_FULL_WIDTH)}"
            if level >= VOLCANO_LEVEL_STARTS
            else item.kind_name or "噴火警報"
        )
        return Trigger(
            event_key=volcano_key(message, drill, str(level), item.kind_code),
            kind="volcano",
            title=f"{what}（{name}）",
            reason=f"{ours[0]}に{item.kind_name or '噴火警報'}（{name}）",
            drill=drill,
        )
    return None


# -- 気象警報・注意報（Ｒ０６）: VPWW55-61 ---------------------------------------------------

_LEVEL_IN_NAME = re.compile(r"^レベル([2-5２-５])")
_HALF_WIDTH = str.maketrans("２３４５", "2345")


def r06_level(type_code: str, code: str, name: str) -> int:
    """The warning level of an R06 Kind (5 特別警報 ... 2 注意報), 0 when it has none."""
    match = _LEVEL_IN_NAME.match(name)
    if match:
        return int(match.group(1).translate(_HALF_WIDTH))
    return R06_LEVEL_CODES.get(type_code, {}).get(code, 0)


def r06_key(message: JmaMessage, drill: bool, area_code: str, kind_code: str) -> str:
    """One alert per municipality, kind and announcement; shared with VPWW53 where codes are."""
    shared = kind_code in R06_SHARED_WITH_VPWW53.get(message.type_code, ())
    type_code = VPWW53 if shared else message.type_code
    return alert_key(drill, "weather", type_code, area_code, kind_code, report_time(message))


def r06_key_prefixes(type_code: str, drill: bool, area_code: str) -> list[str]:
    """The event keys an R06 message's municipality may have alerts under."""
    prefixes = [alert_key(drill, "weather", type_code, area_code, "")]
    for code in R06_SHARED_WITH_VPWW53.get(type_code, ()):
        prefixes.append(alert_key(drill, "weather", VPWW53, area_code, code, ""))
    return prefixes


def _r06_items(message: JmaMessage, area_code: str):
    for item in message.warnings:
        if item.warning_type == R06_MUNICIPAL and item.area_code == area_code:
            yield item


def _r06_warning(message: JmaMessage, settings: JmaSettings, drill: bool) -> Trigger | None:
    """VPWW55-61: a chosen level newly reached (issued or raised) in the municipality.

    A kind still in force (継続), lowered (特別警報から危険警報) or lifted (解除) does nothing.
    """
    if not settings.warning_area_code:
        return None
    levels = [
        R06_CHOICES[choice][1]
        for choice in settings.weather_kinds
        if choice in R06_CHOICES and R06_CHOICES[choice][0] == message.type_code
    ]
    if not levels:
        return None
    lowest = min(levels)
    for item in _r06_items(message, settings.warning_area_code):
        for kind in item.kinds:
            if kind.status == R06_LIFTED:
                continue
            level = r06_level(message.type_code, kind.code, kind.name)
            before = r06_level(message.type_code, kind.last_code, kind.last_name)
            if level < lowest or level <= before:
                continue
            return Trigger(
                event_key=r06_key(message, drill, item.area_code, kind.code),
                kind=R06_EVENT_KINDS.get(message.type_code, "other"),
                title=f"{kind.name}（{item.area_name}）",
                reason=f"{item.area_name}に{kind.name}",
                drill=drill,
            )
    return None


def r06_lifted(message: JmaMessage, settings: JmaSettings) -> list[str]:
    """The names of the kinds an R06 message lifts (解除) in the association's municipality."""
    if message.type_code not in R06_TYPES or not settings.warning_area_code:
        return []
    return [
        kind.name
        for item in _r06_items(message, settings.warning_area_code)
        for kind in item.kinds
        if kind.status == R06_LIFTED
    ]
