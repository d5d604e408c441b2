"""The demo association watches JMA messages for さいたま市桜区 and starts automatically."""

from .settings import MODE_AUTO, JmaSettings, save_settings

DEMO_SETTINGS = JmaSettings(
    enabled=True,
    city_code="1110600",  # さいたま市桜区
    area_code="331",  # 埼玉県南部
    threshold="5-",
    warning_area_code="1110000",  # さいたま市
    mode=MODE_AUTO,
)


def seed(association) -> None:
    save_settings(association, DEMO_SETTINGS, by=None)
