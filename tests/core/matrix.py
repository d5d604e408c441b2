"""Permission cases of the home page, the language switch and the API document."""

from ..matrix import LOGIN, Case, everyone, expect, logged_in

CASES = [
    Case("GET", lambda w: "/", logged_in(200), id="home"),
    Case("POST", lambda w: "/language/en", everyone(302), form=lambda w: {"next": "/"}, id="lang"),
    Case("GET", lambda w: "/api/v1/openapi.json", everyone(200), id="openapi"),
]

__all__ = ["CASES", "LOGIN", "expect"]
