"""Reach: every member by some channel (Web Push, email, LINE), or a named person knows.

The channels a member has (`models.Contact` for email and LINE; push subscriptions for Web
Push), the choice of channel for each message (`services.notify`), and the signed one-tap links
that messages carry (`tokens`). Each channel's sending lives in its own feature and takes its
rows from the one outbox (`push.models.Outbox`), with the same claim, lease and retry machinery.
Members, officers and block leaders manage the channels on the pages of `views`
(`contacts` holds what they do).
"""

from flask import Blueprint

bp = Blueprint("reach", __name__)

from . import views  # noqa: E402,F401
