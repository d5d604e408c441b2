"""The roster's メール column: each member's contact email, given by the association."""

import io

from sqlalchemy import select

from jichikai.audit.models import AuditEvent
from jichikai.extensions import db
from jichikai.org import roster
from jichikai.org.models import Member
from jichikai.reach.contacts import association_email
from jichikai.reach.models import SOURCE_ASSOCIATION, SOURCE_MEMBER, STATE_WORKING, Contact

from .helpers import add_contact

HEADER = "班,世帯,氏名,メール\n"


def _import(world, text: str) -> roster.RosterPlan:
    upload = roster.store_upload(world.association, world.officer, "r.csv", text, "utf-8")
    db.session.commit()
    plan = roster.apply_upload(world.association, upload, by=world.officer)
    db.session.commit()
    return plan


def _emails(member) -> list[tuple[str, str, str]]:
    return [
        (c.address, c.state, c.source)
        for c in db.session.scalars(
            select(Contact).where(Contact.member_id == member.id).order_by(Contact.id)
        )
    ]


def _member(name: str) -> Member:
    return db.session.scalars(select(Member).where(Member.name == name)).one()


def test_the_column_gives_new_and_listed_members_a_working_contact_email(app, world):
    plan = _import(
        world,
        HEADER
        + "1班,佐藤家,佐藤 花子,sato-ke@example.jp\n"
        + "1班,佐藤家,佐藤 一郎,sato-ke@example.jp\n"  # the household shares it
        + "3班,木村家,木村 正,tadashi..k.@docomo.ne.jp\n"
        + "3班,木村家,木村 洋子,\n",
    )
    assert plan.errors == []
    working = ("sato-ke@example.jp", STATE_WORKING, SOURCE_ASSOCIATION)
    assert _emails(world.member) == [working]
    assert _emails(world.housemate) == [working]
    assert _emails(_member("木村 正")) == [
        ("tadashi..k.@docomo.ne.jp", STATE_WORKING, SOURCE_ASSOCIATION)
    ]
    assert _emails(_member("木村 洋子")) == []
    # Login emails are the officers' own, set on the member's page only.
    assert world.member.email is None and _member("木村 正").email is None

    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "roster.import")).one()
    changed = {m["name"]: m["changes"] for m in audit.details["members"]}
    assert changed[world.member.name] == ["notify_email"]


def test_a_changed_address_replaces_the_old_one_and_an_empty_cell_keeps_it(app, world):
    _import(
        world, HEADER + "1班,佐藤家,佐藤 花子,old@example.jp\n1班,佐藤家,佐藤 一郎,a@example.jp\n"
    )
    own = add_contact(world.member, "email", "hanako@example.jp")
    own.source = SOURCE_MEMBER
    db.session.commit()

    plan = roster.plan(
        world.association,
        roster.parse(HEADER + "1班,佐藤家,佐藤 花子,new@example.jp\n1班,佐藤家,佐藤 一郎,\n"),
        by=world.officer,
    )
    updated = {
        m.name: changed for h in plan.blocks[0].households for m, changed in h.updated_members
    }
    assert updated == {world.member.name: {"notify_email": "new@example.jp"}}

    _import(world, HEADER + "1班,佐藤家,佐藤 花子,new@example.jp\n1班,佐藤家,佐藤 一郎,\n")
    assert [a for a, _s, _src in _emails(world.member)] == ["hanako@example.jp", "new@example.jp"]
    assert association_email(world.housemate).address == "a@example.jp"


def test_the_same_address_again_changes_nothing(app, world):
    _import(world, HEADER + "1班,佐藤家,佐藤 花子,sato@example.jp\n")
    plan = roster.plan(
        world.association,
        roster.parse(HEADER + "1班,佐藤家,佐藤 花子,sato@EXAMPLE.jp\n"),
        by=world.officer,
    )
    assert not plan.has_changes


def test_the_preview_says_what_the_column_does(client, world, as_member):
    as_member(world.officer)
    response = client.post(
        "/admin/roster",
        data={
            "file": (io.BytesIO((HEADER + "1班,佐藤家,佐藤 三郎,s@example.jp\n").encode()), "r.csv")
        },
        content_type="multipart/form-data",
    )
    preview = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "連絡用のメールアドレス" in preview and "空の欄は、いまの登録を変えません" in preview
    assert "連絡用メール" in preview
    help_text = client.get("/admin/roster/help").get_data(as_text=True)
    assert "連絡用" in help_text


def test_a_member_the_roster_reactivates_keeps_the_address_it_lists(app, world):
    from jichikai.org.services import set_member_active

    set_member_active(world.member, False, by=world.officer)
    db.session.commit()
    _import(world, HEADER + "1班,佐藤家,佐藤 花子,back@example.jp\n")
    assert world.member.active
    assert _emails(world.member) == [("back@example.jp", STATE_WORKING, SOURCE_ASSOCIATION)]
