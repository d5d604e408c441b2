"""Telling a member's devices apart: a readable name, and the browser's own key.

A device is named from its browser's User-Agent (iPhone, Android, a PC and the browser) with
the user-agents library. A browser also keeps a random key in a long-lived cookie: logging in
again from it takes over its device instead of listing the same browser twice.
"""

import re
import secrets

from flask_babel import gettext as _

BROWSER_COOKIE = "browser"
BROWSER_COOKIE_DAYS = 400  # the longest a browser keeps a cookie (Chrome)
_KEY = re.compile(r"^[A-Za-z0-9_-]{32,64}$")

# What the parser calls the browsers on phones, shortened to the name people know.
_BROWSERS = {
    "Mobile Safari": "Safari",
    "Mobile Safari UI/WKWebView": "Safari",
    "Chrome Mobile": "Chrome",
    "Chrome Mobile iOS": "Chrome",
    "Chrome Mobile WebView": "Chrome",
    "Firefox Mobile": "Firefox",
    "Firefox iOS": "Firefox",
    "Edge Mobile": "Edge",
    "Samsung Internet": "Samsung Internet",
}


def new_browser_key() -> str:
    return secrets.token_urlsafe(32)


def browser_key(cookie: str | None) -> str | None:
    """The browser's key from its cookie, if it is one this site handed out."""
    return cookie if cookie and _KEY.match(cookie) else None


def device_name(user_agent: str | None) -> str:
    """A name a member recognises: "iPhone（Safari）", "パソコン（Windows・Edge）"..."""
    # Imported when first needed: loading the parser's patterns takes a second, which would
    # slow every worker's start for a page few members open.
    from user_agents import parse

    agent = parse(user_agent or "")
    os_family = agent.os.family
    browser = agent.browser.family
    browser = _BROWSERS.get(browser, browser)
    system = None
    if agent.device.family in ("iPhone", "iPad"):
        kind = agent.device.family
    elif os_family == "iOS":
        kind = "iPhone"
    elif os_family == "Android":
        kind = _("Android のタブレット") if agent.is_tablet else "Android"
    elif agent.is_pc or os_family in ("Windows", "Mac OS X", "Linux", "Chrome OS", "Ubuntu"):
        kind = _("パソコン")
        system = {"Mac OS X": "Mac", "Other": None}.get(os_family, os_family)
    else:
        return _("不明な端末")
    browser = None if browser == "Other" else browser
    if system and browser:
        return _("%(kind)s（%(system)s・%(browser)s）", kind=kind, system=system, browser=browser)
    if system or browser:
        return _("%(kind)s（%(detail)s）", kind=kind, detail=system or browser)
    return kind
