"""Permission cases of the channel pages: the member's own, the confirmation link, the
officers' page of a member's channels and the block leader's list."""

from jichikai.extensions import db
from jichikai.reach.contacts import confirm_token
from jichikai.reach.models import SOURCE_MEMBER, STATE_UNCONFIRMED

from ..matrix import LOGIN, Case, everyone, expect, logged_in, officers_only
from .helpers import add_contact

_n = {"n": 0}


def _member_contact(world, state="working"):
    _n["n"] += 1  # the route check builds every URL in one world
    contact = add_contact(world.member, "email", f"hanako{_n['n']}@example.jp", state=state)
    db.session.commit()
    return contact


def _own_delete_url(world) -> str:
    return f"/me/channels/{_member_contact(world).id}/delete"


def _confirm_url(world) -> str:
    contact = _member_contact(world, STATE_UNCONFIRMED)
    contact.source = SOURCE_MEMBER
    db.session.commit()
    return f"/reach/confirm/{confirm_token(contact)}"


def _officer_delete_url(world) -> str:
    contact = _member_contact(world)
    return f"/admin/members/{world.member.id}/channels/{contact.id}/delete"


# Officers and admins; a member of another association does not find the member.
OFFICERS = officers_only(302, outsider=404)
LEADERS = expect(anonymous=LOGIN, leader=200, officer=200, admin=200, outsider=404, default=403)
LEADERS_POST = expect(
    anonymous=LOGIN, leader=302, officer=302, admin=302, outsider=404, default=403
)

CASES = [
    Case("GET", lambda w: "/me/channels/email", logged_in(200), id="reach-add-email-page"),
    Case(
        "POST",
        lambda w: "/me/channels/email",
        logged_in(302),
        form=lambda w: {"address": "mine@example.jp"},
        id="reach-add-email",
    ),
    Case(
        "POST",
        lambda w: "/me/channels/preferred",
        logged_in(302),
        form=lambda w: {"channel": "auto"},
        id="reach-own-preferred",
    ),
    Case(
        "POST",
        _own_delete_url,
        expect(anonymous=LOGIN, member=302, default=404),
        id="reach-own-delete",
    ),
    Case("GET", _confirm_url, everyone(200), id="reach-confirm-page"),
    Case("POST", _confirm_url, everyone(200), id="reach-confirm"),
    Case(
        "GET",
        lambda w: f"/admin/members/{w.member.id}/channels",
        officers_only(200, outsider=404),
        id="reach-member-channels",
    ),
    Case(
        "POST",
        lambda w: f"/admin/members/{w.member.id}/channels/email",
        OFFICERS,
        form=lambda w: {"address": "sato-ke@example.jp"},
        id="reach-member-email",
    ),
    Case("POST", _officer_delete_url, OFFICERS, id="reach-member-contact-delete"),
    Case(
        "POST",
        lambda w: f"/admin/members/{w.member.id}/channels/preferred",
        OFFICERS,
        form=lambda w: {"channel": "auto"},
        id="reach-member-preferred",
    ),
    Case("GET", lambda w: f"/blocks/{w.block.id}/channels", LEADERS, id="reach-block-channels"),
    Case(
        "POST",
        lambda w: f"/blocks/{w.block.id}/members/{w.member.id}/preferred",
        LEADERS_POST,
        form=lambda w: {"channel": "auto"},
        id="reach-block-preferred",
    ),
]
