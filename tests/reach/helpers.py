"""Giving members channels in tests without going through a channel's own pages."""

from jichikai.extensions import db
from jichikai.push.models import PushSubscription
from jichikai.reach.models import STATE_WORKING, Contact

_n = {"n": 0}


def add_push(member) -> PushSubscription:
    _n["n"] += 1
    subscription = PushSubscription(
        association_id=member.association_id,
        member_id=member.id,
        endpoint=f"https://push.example/{_n['n']}",
        p256dh="k",
        auth="a",
    )
    db.session.add(subscription)
    db.session.flush()
    return subscription


def add_contact(member, channel: str, address: str, state: str = STATE_WORKING) -> Contact:
    contact = Contact(
        association_id=member.association_id,
        member_id=member.id,
        channel=channel,
        address=address,
        state=state,
    )
    db.session.add(contact)
    db.session.flush()
    return contact


def start_drill(world):
    """A disaster drill started by the world's officer (every member is notified)."""
    from jichikai.disaster.services import start_event

    return start_event(
        world.association,
        kind="earthquake",
        title="地震",
        message="",
        drill=True,
        started_by=world.officer,
    )
