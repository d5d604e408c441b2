"""Officers register members' contact emails; block leaders choose a channel for members who
ask them and see which channels exist, never the addresses; circulars follow the choice."""

from sqlalchemy import select

from jichikai.audit.models import AuditEvent
from jichikai.extensions import db
from jichikai.notices.models import Notice
from jichikai.notices.services import NoticeInput, create_notice
from jichikai.org.services import set_member_active
from jichikai.push.models import Outbox
from jichikai.reach.contacts import contacts_of
from jichikai.reach.models import (
    SOURCE_ASSOCIATION,
    SOURCE_MEMBER,
    STATE_UNCONFIRMED,
    STATE_WORKING,
)

from .helpers import add_contact, add_push, start_drill


def test_an_officer_registers_a_contact_email_that_works_at_once(client, world, as_member):
    as_member(world.officer)
    url = f"/admin/members/{world.member.id}/channels/email"
    assert client.post(url, data={"address": "sato-ke@example.jp"}).status_code == 302
    # The housemate shares the household's address: fine.
    other = f"/admin/members/{world.housemate.id}/channels/email"
    assert client.post(other, data={"address": "SATO-KE@Example.JP"}).status_code == 302

    (contact,) = contacts_of(world.member)
    assert (contact.address, contact.state, contact.source) == (
        "sato-ke@example.jp",
        STATE_WORKING,
        SOURCE_ASSOCIATION,
    )
    assert contact.confirmed_at is not None
    assert [c.address for c in contacts_of(world.housemate)] == ["SATO-KE@example.jp"]
    assert world.member.email is None  # the login email is not touched
    assert db.session.scalars(select(Outbox)).all() == []  # no confirmation needed

    page = client.get(f"/admin/members/{world.member.id}/channels").get_data(as_text=True)
    assert "sato-ke@example.jp" in page and "届きます" in page and "自治会が登録" in page
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "contact.set").order_by(AuditEvent.id)
    ).all()
    assert [(e.actor_id, e.target_id) for e in events] == [
        (world.officer.id, world.member.id),
        (world.officer.id, world.housemate.id),
    ]


def test_a_new_address_replaces_the_associations_old_one_only(client, world, as_member):
    add_contact(world.member, "email", "old@example.jp").source = SOURCE_ASSOCIATION
    own = add_contact(world.member, "email", "mine@example.jp")
    own.source = SOURCE_MEMBER
    db.session.commit()
    as_member(world.officer)
    client.post(
        f"/admin/members/{world.member.id}/channels/email", data={"address": "new@example.jp"}
    )
    assert sorted(c.address for c in contacts_of(world.member)) == [
        "mine@example.jp",
        "new@example.jp",
    ]


def test_the_association_vouching_confirms_an_address_the_member_added(client, world, as_member):
    waiting = add_contact(world.member, "email", "hanako@example.jp", state=STATE_UNCONFIRMED)
    waiting.source = SOURCE_MEMBER
    db.session.commit()
    as_member(world.officer)
    client.post(
        f"/admin/members/{world.member.id}/channels/email", data={"address": "hanako@example.jp"}
    )
    (contact,) = contacts_of(world.member)
    assert contact.state == STATE_WORKING and contact.source == SOURCE_ASSOCIATION


def test_a_wrong_address_is_shown_again_with_the_reason(client, world, as_member):
    as_member(world.officer)
    response = client.post(
        f"/admin/members/{world.member.id}/channels/email", data={"address": "sato@@example.jp"}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="sato@@example.jp"' in page and "使えない文字" in page
    assert contacts_of(world.member) == []


def test_an_officer_removes_a_contact_and_sets_the_preferred_channel(client, world, as_member):
    add_push(world.member)
    contact = add_contact(world.member, "line", "U" + "a" * 32)
    add_contact(world.housemate, "line", "U" + "b" * 32)
    db.session.commit()
    as_member(world.officer)
    base = f"/admin/members/{world.member.id}/channels"
    assert client.post(base + "/preferred", data={"channel": "line"}).status_code == 302
    assert world.member.preferred_channel == "line"

    other = contacts_of(world.housemate)[0]
    assert client.post(f"{base}/{other.id}/delete").status_code == 404  # not this member's
    assert client.post(f"{base}/{contact.id}/delete").status_code == 302
    assert contacts_of(world.member) == []
    assert world.member.preferred_channel is None


def test_an_officer_cannot_change_an_adminscontacts_of(client, world, as_member):
    as_member(world.officer)
    url = f"/admin/members/{world.admin.id}/channels"
    assert client.get(url).status_code == 403
    assert client.post(url + "/email", data={"address": "a@example.jp"}).status_code == 403


def test_the_leader_sees_channels_but_not_addresses(client, world, as_member):
    add_contact(world.member, "email", "hanako.secret@example.jp")
    add_contact(world.housemate, "line", "U" + "c" * 32)
    db.session.commit()
    as_member(world.leader)
    notices = client.get("/notices/blocks").get_data(as_text=True)
    assert f"/blocks/{world.block.id}/channels" in notices

    page = client.get(f"/blocks/{world.block.id}/channels").get_data(as_text=True)
    assert world.member.name in page and world.housemate.name in page
    assert "メール" in page and "LINE" in page
    assert "hanako.secret" not in page and "c" * 32 not in page
    assert "届く方法がありません" in page  # the paper household's member


def test_the_leader_sets_the_preferred_channel_for_their_block_only(client, world, as_member):
    add_push(world.member)
    add_contact(world.member, "email", "hanako@example.jp")
    add_contact(world.other_leader, "email", "tanaka@example.jp")
    db.session.commit()
    as_member(world.leader)
    own = f"/blocks/{world.block.id}/members/{world.member.id}/preferred"
    assert client.post(own, data={"channel": "email"}).status_code == 302
    assert world.member.preferred_channel == "email"
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "contact.preferred")
    ).one()
    assert event.actor_id == world.leader.id and event.details["channel"] == "email"

    # A member of another block, through the leader's own block or the other one.
    through_own = f"/blocks/{world.block.id}/members/{world.other_leader.id}/preferred"
    assert client.post(through_own, data={"channel": "email"}).status_code == 404
    other_block = f"/blocks/{world.other_block.id}/members/{world.other_leader.id}/preferred"
    assert client.post(other_block, data={"channel": "email"}).status_code == 403
    assert world.other_leader.preferred_channel is None

    # Only a working channel can be chosen.
    client.post(own, data={"channel": "line"})
    assert world.member.preferred_channel == "email"


def _post_circular(client, world) -> Notice:
    response = client.post(
        "/notices/new",
        data={"title": "清掃のお知らせ", "body": "日曜の朝です。", "category": "general"},
    )
    assert response.status_code == 303
    return db.session.scalars(select(Notice)).one()


def test_a_posted_circular_goes_by_the_channel_chosen(client, world, as_member):
    add_push(world.member)
    add_contact(world.member, "email", "hanako@example.jp")
    add_push(world.housemate)
    add_contact(world.housemate, "line", "U" + "d" * 32)
    db.session.commit()
    as_member(world.leader)
    client.post(
        f"/blocks/{world.block.id}/members/{world.member.id}/preferred", data={"channel": "email"}
    )
    as_member(world.housemate)
    client.post("/me/channels/preferred", data={"channel": "line"})

    as_member(world.officer)
    notice = _post_circular(client, world)
    rows = db.session.scalars(select(Outbox).where(Outbox.notice_id == notice.id)).all()
    by_member = {(row.member_id, row.channel) for row in rows}
    assert (world.member.id, "email") in by_member
    assert (world.housemate.id, "line") in by_member
    assert not {(world.member.id, "push"), (world.housemate.id, "push")} & by_member

    # Disaster messages go by every working channel whatever the choice.
    event = start_drill(world)
    db.session.commit()
    channels = {
        row.channel
        for row in db.session.scalars(
            select(Outbox).where(Outbox.event_id == event.id, Outbox.member_id == world.member.id)
        )
    }
    assert channels == {"push", "email"}


def test_deactivation_removes_the_members_channels_and_queued_messages(app, world):
    add_contact(world.member, "email", "hanako@example.jp")
    add_contact(world.member, "line", "U" + "e" * 32)
    add_contact(world.housemate, "email", "hanako@example.jp")  # the household's address
    world.member.preferred_channel = "email"
    db.session.commit()
    create_notice(world.association, world.officer, NoticeInput(title="清掃"))
    db.session.commit()
    assert db.session.scalars(select(Outbox).where(Outbox.member_id == world.member.id)).all()

    set_member_active(world.member, False, by=world.officer)
    db.session.commit()
    assert contacts_of(world.member) == []
    assert db.session.scalars(select(Outbox).where(Outbox.member_id == world.member.id)).all() == []
    assert world.member.preferred_channel is None
    # The housemate keeps the shared address and their queued copy.
    assert len(contacts_of(world.housemate)) == 1
    assert db.session.scalars(select(Outbox).where(Outbox.member_id == world.housemate.id)).all()


def test_roll_call_and_circular_pages_show_no_addresses(client, world, as_member):
    add_contact(world.member, "email", "hanako.secret@example.jp")
    db.session.commit()
    notice = create_notice(world.association, world.officer, NoticeInput(title="清掃"))
    start_drill(world)
    db.session.commit()
    as_member(world.leader)
    pages = [
        f"/notices/{notice.id}/blocks/{world.block.id}",
        f"/notices/{notice.id}/blocks/{world.block.id}/print",
        "/disaster/rollcall",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "hanako.secret" not in response.get_data(as_text=True), url


def test_no_address_is_registered_for_a_member_whose_use_was_stopped(client, world, as_member):
    set_member_active(world.member, False, by=world.officer)
    db.session.commit()
    as_member(world.officer)
    response = client.post(
        f"/admin/members/{world.member.id}/channels/email", data={"address": "a@example.jp"}
    )
    assert response.status_code == 422
    assert "利用を止めている人" in response.get_data(as_text=True)
    assert contacts_of(world.member) == []


def test_an_address_given_again_after_it_failed_is_tried_again(client, world, as_member):
    failed = add_contact(world.member, "email", "full@example.jp", state="failed")
    failed.last_error = "550 5.1.1 User unknown"
    failed.failures = 3
    stopped = add_contact(world.housemate, "email", "off@example.jp", state="stopped")
    db.session.commit()
    as_member(world.officer)
    client.post(
        f"/admin/members/{world.member.id}/channels/email", data={"address": "full@example.jp"}
    )
    client.post(
        f"/admin/members/{world.housemate.id}/channels/email", data={"address": "off@example.jp"}
    )
    assert (failed.state, failed.failures, failed.last_error) == (STATE_WORKING, 0, "")
    assert stopped.state == "stopped"  # the member turned it off
