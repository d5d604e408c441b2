"""What every page's layout shows: language, text size, menu entries and banners.

Features add menu entries and banners with `add_nav` and `add_banner`, and sections of
another feature's page with `add_section`, so the layout does not need to know which
features exist.
"""

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str


@dataclass(frozen=True)
class Tab:
    """A destination of the phones' bottom bar: words, an icon (templates/_icons.html) and
    the paths it stands for (the tab is marked current on them)."""

    label: str
    url: str
    icon: str
    paths: tuple[str, ...] = ()
    order: int = 50

    def is_current(self, path: str) -> bool:
        return path == self.url or any(path.startswith(prefix) for prefix in self.paths)


# The bottom bar holds at most this many destinations (words stay readable at 360 px).
MAX_TABS = 4


def add_tab(app: Flask, provider: Callable[[object], Tab | None]) -> None:
    """Register a function giving one destination of the bottom bar (or None)."""
    app.extensions.setdefault("jichikai.tabs", []).append(provider)


def tabs_for(member) -> list[Tab]:
    """The bottom bar: ホーム first, the features' tabs, 設定 last; at most MAX_TABS."""
    home = Tab(_("ホーム"), url_for("home.index"), "home", order=0)
    settings = Tab(_("設定"), url_for("auth.settings"), "settings", paths=("/me/",), order=100)
    added = [tab for p in current_app.extensions.get("jichikai.tabs", []) if (tab := p(member))]
    added.sort(key=lambda tab: tab.order)
    return [home, *added[: MAX_TABS - 2], settings]


def add_nav(app: Flask, provider: Callable[[object], list[NavItem]]) -> None:
    """Register a function giving the logged-in member's menu entries of one feature."""
    app.extensions.setdefault("jichikai.nav", []).append(provider)


def add_banner(app: Flask, provider: Callable[[object], Markup | None]) -> None:
    """Register a function giving a banner shown at the top of every page (or None)."""
    app.extensions.setdefault("jichikai.banners", []).append(provider)


def add_section(app: Flask, page: str, provider: Callable[[object], Markup | None]) -> None:
    """Register a function giving a section of another feature's page for the logged-in
    member (or None): the member's settings page shows each feature's part of it."""
    app.extensions.setdefault("jichikai.sections", {}).setdefault(page, []).append(provider)


def page_sections(page: str) -> list[Markup]:
    """The sections features added to `page` for the logged-in member."""
    if not current_user.is_authenticated:
        return []
    providers = current_app.extensions.get("jichikai.sections", {}).get(page, [])
    return [section for provider in providers if (section := provider(current_user))]


def add_home_page(app: Flask, provider: Callable[[object], object | None], priority: int) -> None:
    """Register a function that may answer the home page for a member (None = pass).

    The provider with the highest priority that answers wins: disaster mode's check-in comes
    before the circulars' feed.
    """
    providers = app.extensions.setdefault("jichikai.home", [])
    providers.append((priority, provider))
    providers.sort(key=lambda entry: -entry[0])


def home_page_for(member):
    """The first answer of the registered home page providers, or None."""
    for _priority, provider in current_app.extensions.get("jichikai.home", []):
        response = provider(member)
        if response is not None:
            return response
    return None


def layout_context() -> dict:
    """Template variables of the base layout."""
    nav: list[NavItem] = []
    banners: list[Markup] = []
    tabs: list[Tab] = []
    if current_user.is_authenticated:
        tabs = tabs_for(current_user)
        for provider in current_app.extensions.get("jichikai.nav", []):
            nav.extend(provider(current_user))
        for provider in current_app.extensions.get("jichikai.banners", []):
            banner = provider(current_user)
            if banner:
                banners.append(banner)
    large = current_user.is_authenticated and current_user.text_size == "large"
    return {
        "current_locale": str(get_locale()),
        "large_text": large,
        "nav_items": nav,
        "banners": banners,
        "tabs": tabs,
        "current_tab": next((t for t in tabs if t.is_current(request.path)), None),
    }


def init_app(app: Flask) -> None:
    app.context_processor(layout_context)
    app.add_template_global(page_sections)
