"""Pages opened by a one-tap link (reach.tokens): no login, the link itself is the key.

A link is a bearer secret: whoever holds it may answer for one member in one event, or say
that one member has read one circular, and nothing else. Its pages therefore:

- are never stored by a cache (`no-store`), never sent on as a Referer (`no-referrer`), never
  indexed (`X-Robots-Tag`);
- store nothing on GET (mail scanners open links): a button posts, with a CSRF token;
- count refused links per client address (Flask-Limiter), as the login pages count failures.

Because the page sends no Referer, Flask-WTF's HTTPS check of the Referer would refuse every
button on it; the blueprints are exempt from that global check and each posted form checks its
own CSRF token (`ConfirmForm().validate_on_submit()`), which is bound to the browser's session.
"""

from contextlib import contextmanager

from flask import Blueprint, current_app, render_template
from flask.wrappers import Response
from flask_babel import force_locale

from ..extensions import csrf, db, limiter
from ..i18n import member_language
from ..org.models import Member
from . import tokens
from .models import CHANNEL_PUSH

NOT_INDEXED = "noindex, nofollow, noarchive"


def link_limit() -> str:
    return current_app.config["BEARER_LINK_RATE_LIMIT"]


def refused(response: Response) -> bool:
    """A link that is forged, cut or no longer anyone's (404), or a refused form (400)."""
    return response.status_code in (400, 404)


# Every bearer page shares one count of refused links per client address.
per_address = limiter.shared_limit(link_limit, scope="bearer-link", deduct_when=refused)


def private(response: Response) -> Response:
    """The headers of every bearer page, error pages included."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = NOT_INDEXED
    return response


def bearer_blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint of bearer pages: private headers; forms check their own CSRF token."""
    bp = Blueprint(name, import_name)
    bp.after_request(private)
    csrf.exempt(bp)
    return bp


def bearer_member(purpose: str, token: str) -> tuple[Member, tokens.Bearer] | None:
    """The active member a valid link of `purpose` names, with what the link says; else None.

    Links only ever go by email or LINE; a push link would be a forgery.
    """
    bearer = tokens.load(purpose, token)
    if bearer is None or bearer.channel == CHANNEL_PUSH:
        return None
    member = db.session.get(Member, bearer.member_id)
    if member is None or not member.active:
        return None
    return member, bearer


def bearer_target(purpose: str, token: str, model) -> tuple[Member, object, str] | None:
    """(member, row of `model`, channel) for a valid link whose row is in the member's
    association; else None (a link naming another association's row is refused like a forgery).
    """
    found = bearer_member(purpose, token)
    if found is None:
        return None
    member, bearer = found
    target = db.session.get(model, bearer.target_id)
    if target is None or target.association_id != member.association_id:
        return None
    return member, target, bearer.channel


def invalid_link():
    """The page of a link that cannot be used (404), saying nothing of whose it was."""
    return render_template("reach/link_invalid.html"), 404


@contextmanager
def in_language_of(member: Member):
    """Render in the member's language, as their message was written."""
    with force_locale(member_language(member)):
        yield
