"""An association's choices about JMA messages, kept in Association.settings["jma"]."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..audit.services import record
from ..org.models import Association, Member
from .kinds import DEFAULT_WEATHER_KINDS, LANDSLIDE, WEATHER_KINDS
from .messages import INTENSITY_SCALE

__all__ = ["DEFAULT_WEATHER_KINDS", "LANDSLIDE", "WEATHER_KINDS"]

MODE_AUTO = "auto"
MODE_ASK = "ask"
MODES = (MODE_AUTO, MODE_ASK)


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
    # 津波予報区 for VTSE41 (coastal associations), e.g. 220 宮城県.
    tsunami_area_code: str = ""
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
            ("tsunami_area_code", self.tsunami_area_code, (3,)),
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
        areas = (self.city_code, self.area_code, self.warning_area_code, self.tsunami_area_code)
        if self.enabled and not any(areas):
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
