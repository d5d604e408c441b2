"""Permission cases of the officers' page of undeliverable email addresses."""

from jichikai.extensions import db
from jichikai.reach.models import STATE_FAILED

from ..matrix import Case, officers_only
from ..reach.helpers import add_contact


def _fixed_url(world) -> str:
    contact = add_contact(world.member, "email", "nobody@example.jp", state=STATE_FAILED)
    db.session.commit()
    return f"/admin/mail/contacts/{contact.id}/fixed"


CASES = [
    Case("GET", lambda w: "/admin/mail", officers_only(), id="mail-undeliverable"),
    Case("POST", _fixed_url, officers_only(302), id="mail-mark-fixed"),
]
