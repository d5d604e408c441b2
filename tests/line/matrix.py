"""Permission cases of the LINE pages: settings for officers, the link page for each member,
and the webhook (no login; it answers only to a correctly signed request)."""

from ..matrix import LOGIN, Case, expect, logged_in, officers_only

CASES = [
    Case("GET", lambda w: "/line/settings", officers_only(), id="line-settings"),
    # Empty fields: a new account needs a token and secret, so the form is refused (400).
    Case(
        "POST",
        lambda w: "/line/settings",
        officers_only(400),
        form=lambda w: {"basic_id": "", "access_token": "", "channel_secret": ""},
        id="line-settings-save",
    ),
    Case("GET", lambda w: "/line/link", logged_in(), id="line-link"),
    # No account is set up in the test world: there is nothing to link to.
    Case("POST", lambda w: "/line/link", logged_in(400), id="line-link-code"),
    Case("POST", lambda w: "/line/link/stop", logged_in(302), id="line-link-stop"),
    # Unsigned, for an association without an account: nobody gets anything.
    Case(
        "POST",
        lambda w: f"/line/webhook/{w.association.id}",
        expect(default=404),
        id="line-webhook",
    ),
]

__all__ = ["CASES", "LOGIN"]
