"""Giving members channels in tests without going through a channel's own pages; one-tap links."""

import re

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


def with_line_account(association_id: int) -> None:
    """A LINE contact reaches someone only where the association has an account (reach
    routing asks the LINE feature): give the association one, unless it has one."""
    from sqlalchemy import select

    from jichikai.line.crypto import seal
    from jichikai.line.models import LineAccount

    if db.session.scalar(
        select(LineAccount.id).where(LineAccount.association_id == association_id)
    ):
        return
    db.session.add(
        LineAccount(
            association_id=association_id,
            basic_id="@jichikai",
            access_token=seal("test-token"),
            channel_secret=seal("test-secret"),
        )
    )
    db.session.flush()


def add_contact(member, channel: str, address: str, state: str = STATE_WORKING) -> Contact:
    if channel == "line" and state == STATE_WORKING:
        with_line_account(member.association_id)
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


def tampered(token: str) -> str:
    """A one-tap token with its signed part changed (the signature then no longer fits)."""
    payload, signature = token.split(".")
    return payload[:-1] + ("A" if payload[-1] != "A" else "B") + "." + signature


def press_without_referer(client, url: str, data: dict | None = None):
    """Over HTTPS: (a post without a CSRF token, the page's button pressed as a browser does
    under Referrer-Policy: no-referrer, i.e. with the page's token and no Referer)."""
    https = {"base_url": "https://localhost"}
    refused = client.post(url, data=data or {}, **https)
    html = client.get(url, **https).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)[1]
    return refused, client.post(url, data={**(data or {}), "csrf_token": token}, **https)


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
