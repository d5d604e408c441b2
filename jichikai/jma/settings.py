"""An association's choices about JMA messages, kept in Association.settings["jma"]."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..audit.services import record
from ..org.models import Association, Member
from .messages import INTENSITY_SCALE

MODE_AUTO = "auto"
MODE_ASK = "ask"
MODES = (MODE_AUTO, MODE_ASK)

LANDSLIDE = "landslide"
# Weather kinds an association may choose: VPWW53 Kind/Code (or VXWW50) -> (name, event kind).
WEATHER_KINDS: dict[str, tuple[str, str]] = {
    "33": ("大雨特別警報", "flood"),
    "35": ("暴風特別警報", "other"),
    "38": ("高潮特別警報", "flood"),
    "03": ("大雨警報", "flood"),
    "04": ("洪水警報", "flood"),
    LANDSLIDE: ("土砂災害警戒情報", "landslide"),
}
DEFAULT_WEATHER_KINDS = ("33", LANDSLIDE)


class JmaError(ValueError):
    """A request that cannot be carried out, with a message for the person who asked."""


@dataclass
class JmaSettings:
    """An association's choices, kept in Association.settings["jma"]."""

    enabled: bool = False
    city_code: str = ""
    area_code: str = ""
    threshold: str = "5-"
    warning_area_code: str = ""
    weather_kinds: list[str] = field(default_factory=lambda: list(DEFAULT_WEATHER_KINDS))
    mode: str = MODE_ASK
    drill_from_training: bool = False

    @classmethod
    def of(cls, association: Association) -> JmaSettings:
        """The association's settings, with defaults for anything not set."""
        stored = (association.settings or {}).get("jma") or {}
        known = {k: v for k, v in stored.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def problems(self) -> list[str]:
        """What is wrong with these settings (empty when they can be saved)."""
        found = []
        for name, value, digits in (
            ("city_code", self.city_code, (6, 7)),
            ("area_code", self.area_code, (3,)),
            ("warning_area_code", self.warning_area_code, (6, 7)),
        ):
            if value and not (value.isascii() and value.isdigit() and len(value) in digits):
                found.append(f"{name}: {value!r} is not a JMA code")
        if self.threshold not in INTENSITY_SCALE:
            found.append(f"threshold: {self.threshold!r} is not on the scale")
        if self.mode not in MODES:
            found.append(f"mode: {self.mode!r}")
        unknown = [k for k in self.weather_kinds if k not in WEATHER_KINDS]
        if unknown:
            found.append(f"weather_kinds: {unknown}")
        if self.enabled and not (self.city_code or self.area_code or self.warning_area_code):
            found.append("enabled without any area")
        return found


def save_settings(association: Association, settings: JmaSettings, by: Member | None) -> None:
    """Store the settings; invalid ones raise JmaError and change nothing."""
    problems = settings.problems()
    if problems:
        raise JmaError("; ".join(problems))
    association.settings = {**(association.settings or {}), "jma": asdict(settings)}
    record(
        "jma.settings",
        association_id=association.id,
        actor=by,
        target=association,
        **asdict(settings),
    )
