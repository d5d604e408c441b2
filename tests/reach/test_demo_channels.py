"""The demo's members reach by a realistic mix of channels."""

from collections import Counter

from sqlalchemy import select

from jichikai.extensions import db
from jichikai.org.models import Household, Member
from jichikai.push.models import PushSubscription
from jichikai.reach.models import Contact


def test_the_demo_has_every_kind_of_member(runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    members = db.session.scalars(select(Member).join(Household)).all()
    pushes = set(db.session.scalars(select(PushSubscription.member_id)))
    contacts = db.session.scalars(select(Contact)).all()
    channels: dict[int, set[str]] = {m.id: set() for m in members}
    for member_id in pushes:
        channels[member_id].add("push")
    for contact in contacts:
        if contact.state == "working":
            channels[contact.member_id].add(contact.channel)
    kinds = Counter(frozenset(found) for found in channels.values())
    assert kinds[frozenset({"push"})] > 0
    assert kinds[frozenset({"email"})] > 0
    assert kinds[frozenset({"line"})] > 0
    assert kinds[frozenset({"push", "email"})] > 0 and kinds[frozenset({"push", "line"})] > 0
    assert kinds[frozenset()] > 0
    paper = [m for m in members if m.household.paper_only]
    assert paper and all(not channels[m.id] for m in paper)

    addresses = [c.address for c in contacts if c.channel == "email"]
    assert sum(a.endswith("@docomo.ne.jp") for a in addresses) == 1
    assert all(a.endswith(("@example.jp", "@docomo.ne.jp")) for a in addresses)
    line_ids = [c.address for c in contacts if c.channel == "line"]
    assert all(len(u) == 33 and u[0] == "U" for u in line_ids)
    assert {c.state for c in contacts} >= {"working", "unconfirmed", "failed"}
    # The household address is shared; the first member prefers it.
    assert Counter(addresses).most_common(1)[0][1] > 1
