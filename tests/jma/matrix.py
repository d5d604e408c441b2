"""Permission cases of the JMA settings and alert pages: officers only."""

from jichikai.jma.models import ACTION_PROPOSED, ACTION_STARTED

from ..matrix import Case, officers_only
from .factories import make_alert


def _alert_url(action: str, suffix: str = ""):
    def url(world) -> str:
        alert = make_alert(world.association, action)
        return f"/admin/jma/alerts/{alert.id}{suffix}"

    return url


SETTINGS_FORM = {
    "enabled": "y",
    "city_code": "1110600",
    "area_code": "331",
    "threshold": "5-",
    "warning_area_code": "1110000",
    "weather_kinds": ["33", "landslide"],
    "mode": "ask",
}

CASES = [
    Case("GET", lambda w: "/admin/jma/", officers_only(), id="jma-settings"),
    Case(
        "POST",
        lambda w: "/admin/jma/",
        officers_only(302),
        form=lambda w: SETTINGS_FORM,
        id="jma-settings-save",
    ),
    Case("GET", _alert_url(ACTION_PROPOSED), officers_only(), id="jma-alert"),
    # A started alert: the tap answers without starting anything again.
    Case("POST", _alert_url(ACTION_STARTED, "/start"), officers_only(302), id="jma-alert-start"),
    Case(
        "POST", _alert_url(ACTION_PROPOSED, "/dismiss"), officers_only(302), id="jma-alert-dismiss"
    ),
]
