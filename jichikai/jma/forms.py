"""The officers' form for the JMA settings."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import PageForm
from .settings import LANDSLIDE, MODE_ASK, MODE_AUTO, WEATHER_KINDS, JmaSettings

THRESHOLD_CHOICES = [
    SelectChoice("3", _l("震度３")),
    SelectChoice("4", _l("震度４")),
    SelectChoice("5-", _l("震度５弱")),
    SelectChoice("5+", _l("震度５強")),
    SelectChoice("6-", _l("震度６弱")),
    SelectChoice("6+", _l("震度６強")),
    SelectChoice("7", _l("震度７")),
]
WEATHER_LABELS = {
    "33": _l("大雨特別警報"),
    "35": _l("暴風特別警報"),
    "38": _l("高潮特別警報"),
    "43": _l("大雨危険警報（レベル４）"),
    "03": _l("大雨警報"),
    "04": _l("洪水警報"),
    LANDSLIDE: _l("土砂災害警戒情報"),
}


class CheckboxesField(SelectMultipleField):
    """Several choices as check boxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _code(digits: str):
    return [
        Optional(),
        Regexp(rf"^\d{{{digits}}}$", message=_l("数字だけで、決まったけた数で入れてください。")),
    ]


class JmaSettingsForm(PageForm):
    enabled = BooleanField(_l("気象庁の情報で安否確認を始める"))
    city_code = StringField(
        _l("市区町村のコード（地震）"), validators=_code("6,7"), filters=[_strip]
    )
    area_code = StringField(_l("地域のコード（地震）"), validators=_code("3"), filters=[_strip])
    threshold = SelectField(_l("この震度から始める"), choices=THRESHOLD_CHOICES, default="5-")
    warning_area_code = StringField(
        _l("市区町村のコード（大雨などの警報）"), validators=_code("6,7"), filters=[_strip]
    )
    tsunami_area_code = StringField(
        _l("津波予報区のコード（海の近くの自治会）"), validators=_code("3"), filters=[_strip]
    )
    weather_kinds = CheckboxesField(
        _l("始める気象情報"),
        choices=[SelectChoice(code, WEATHER_LABELS[code]) for code in WEATHER_KINDS],
    )
    mode = RadioField(
        _l("始め方"),
        choices=[
            SelectChoice(MODE_AUTO, _l("すぐに始める")),
            SelectChoice(MODE_ASK, _l("役員に知らせて、役員が始める")),
        ],
        default=MODE_ASK,
    )
    drill_from_training = BooleanField(_l("気象庁の訓練の情報で、訓練を始める"))

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if self.enabled.data and not (
            self.city_code.data
            or self.area_code.data
            or self.warning_area_code.data
            or self.tsunami_area_code.data
        ):
            self.city_code.errors.append(_l("コードを一つ以上入れてください。"))
            return False
        return True

    def to_settings(self) -> JmaSettings:
        chosen = set(self.weather_kinds.data or [])
        return JmaSettings(
            enabled=self.enabled.data,
            city_code=(self.city_code.data or "").strip(),
            area_code=(self.area_code.data or "").strip(),
            threshold=self.threshold.data,
            warning_area_code=(self.warning_area_code.data or "").strip(),
            tsunami_area_code=(self.tsunami_area_code.data or "").strip(),
            weather_kinds=[code for code in WEATHER_KINDS if code in chosen],
            mode=self.mode.data,
            drill_from_training=self.drill_from_training.data,
        )
