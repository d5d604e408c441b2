"""A member's own channels: adding an address confirmed by its link, removing, choosing."""

from datetime import timedelta

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select

from jichikai.database import utcnow
from jichikai.emails import EmailError, normalize_email
from jichikai.extensions import db, limiter
from jichikai.push.models import Outbox
from jichikai.reach.contacts import (
    ADDS_PER_DAY,
    confirm_token,
    contact_for_token,
    contacts_of,
)
from jichikai.reach.models import (
    SOURCE_MEMBER,
    STATE_UNCONFIRMED,
    STATE_WORKING,
)

from .helpers import add_contact, add_push


def _confirm_rows(contact) -> list[Outbox]:
    return db.session.scalars(
        select(Outbox).where(Outbox.contact_id == contact.id, Outbox.kind == "confirm")
    ).all()


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("hanako@example.jp", "hanako@example.jp"),
        ("  Hanako@EXAMPLE.JP ", "Hanako@example.jp"),
        ("ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｊｐ", "hanako@example.jp"),  # full-width keyboard
        ("taro..yamada.@docomo.ne.jp", "taro..yamada.@docomo.ne.jp"),  # carriers deliver these
        ("kaichou@町内会.jp", "kaichou@xn--6oqt2dr18c.jp"),
    ],
)
def test_addresses_people_have_are_accepted(app, typed, stored):
    assert normalize_email(typed) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "hanako",
        "hanako@",
        "@example.jp",
        "hanako@example",
        "hana ko@example.jp",
        "hanako@exa_mple.jp",
        "hanako@-example.jp",
        "hanako@1.2.3.4",
        "a" * 65 + "@example.jp",
        "hanako@" + "a" * 250 + ".jp",
        "<hanako@example.jp>",
    ],
)
def test_what_cannot_be_an_address_is_refused(app, typed):
    with pytest.raises(EmailError):
        normalize_email(typed)


def test_adding_an_address_sends_a_confirmation_link_first(client, world, as_member):
    as_member(world.member)
    response = client.post("/me/channels/email", data={"address": "Hanako@Example.jp"})
    assert response.status_code == 302

    contact = contacts_of(world.member)[0]
    assert (contact.address, contact.state, contact.source) == (
        "Hanako@example.jp",
        STATE_UNCONFIRMED,
        SOURCE_MEMBER,
    )
    row = _confirm_rows(contact)[0]
    assert (row.channel, row.member_id, row.language, row.status) == (
        "email",
        world.member.id,
        "ja",
        "pending",
    )
    link = row.actions[0][1]
    assert link.startswith("http://localhost/reach/confirm/")
    assert link in row.body and "確認" in row.title
    assert world.association.name in row.body
    assert "hanako" not in link.lower()  # the address is not in the URL (logs)

    # An unconfirmed address carries no circulars.
    page = client.get("/me/notifications").get_data(as_text=True)
    assert "Hanako@example.jp" in page and "確認を待っています" in page
    assert 'value="email"' not in page  # cannot be chosen yet


def test_the_message_is_in_the_members_language(client, world, as_member):
    world.member.language = "en"
    db.session.commit()
    as_member(world.member)
    client.post("/me/channels/email", data={"address": "hanako@example.jp"})
    row = db.session.scalars(select(Outbox)).one()
    assert row.language == "en"
    assert row.title == "Confirm your email address"
    assert "open the following link within 3 days" in row.body


def test_the_link_asks_then_confirms(client, world):
    contact = add_contact(world.member, "email", "hanako@example.jp", state=STATE_UNCONFIRMED)
    db.session.commit()
    url = f"/reach/confirm/{confirm_token(contact)}"

    page = client.get(url)  # a mail scanner opening the link confirms nothing
    assert page.status_code == 200 and "確認する" in page.get_data(as_text=True)
    assert contact.state == STATE_UNCONFIRMED

    done = client.post(url)
    assert done.status_code == 200
    assert "確認できました" in done.get_data(as_text=True)
    assert contact.state == STATE_WORKING and contact.confirmed_at is not None
    assert client.post(url).status_code == 200  # twice: still fine


def test_an_expired_link_is_refused(app, world):
    contact = add_contact(world.member, "email", "hanako@example.jp", state=STATE_UNCONFIRMED)
    token = confirm_token(contact)
    assert contact_for_token(token, now=utcnow() + timedelta(days=2, hours=23)) == contact
    assert contact_for_token(token, now=utcnow() + timedelta(days=3, minutes=1)) is None


def test_an_expired_link_shows_a_page_saying_so(client, world, app):
    contact = add_contact(world.member, "email", "hanako@example.jp", state=STATE_UNCONFIRMED)
    db.session.commit()
    salt = "jichikai.reach.confirm"
    payload = URLSafeTimedSerializer(app.secret_key, salt=salt).loads(confirm_token(contact))

    class FourDaysAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int((utcnow() - timedelta(days=4)).timestamp())

    # The same payload, signed four days ago.
    token = URLSafeTimedSerializer(app.secret_key, salt=salt, signer=FourDaysAgo).dumps(payload)
    response = client.post(f"/reach/confirm/{token}")
    assert response.status_code == 404
    assert "期限" in response.get_data(as_text=True)
    assert contact.state == STATE_UNCONFIRMED


@pytest.mark.parametrize("change", ["tamper", "other_key", "truncate"])
def test_a_tampered_link_confirms_nothing(client, world, app, change):
    contact = add_contact(world.member, "email", "hanako@example.jp", state=STATE_UNCONFIRMED)
    db.session.commit()
    token = confirm_token(contact)
    if change == "tamper":
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    elif change == "other_key":
        token = URLSafeTimedSerializer("another-secret", salt="jichikai.reach.confirm").dumps(
            [contact.id, world.member.id, "x"]
        )
    else:
        token = token[: len(token) // 2]
    assert client.post(f"/reach/confirm/{token}").status_code == 404
    assert contact.state == STATE_UNCONFIRMED


def test_a_link_is_bound_to_its_member_and_address(client, world, as_member):
    contact = add_contact(world.member, "email", "hanako@example.jp", state=STATE_UNCONFIRMED)
    other = add_contact(world.housemate, "email", "ichiro@example.jp", state=STATE_UNCONFIRMED)
    db.session.commit()
    token = confirm_token(contact)

    # Another member logged in following the link confirms the owner's address only.
    as_member(world.housemate)
    assert client.post(f"/reach/confirm/{token}").status_code == 200
    assert contact.state == STATE_WORKING
    assert other.state == STATE_UNCONFIRMED
    assert len(contacts_of(world.housemate)) == 1

    # The same contact row given another address (or to another member) voids old links.
    stale = add_contact(world.member, "email", "old@example.jp", state=STATE_UNCONFIRMED)
    old_token = confirm_token(stale)
    stale.address = "new@example.jp"
    db.session.commit()
    assert client.post(f"/reach/confirm/{old_token}").status_code == 404
    moved = confirm_token(other)
    other.member_id = world.member.id
    db.session.commit()
    assert client.post(f"/reach/confirm/{moved}").status_code == 404


def test_a_deleted_address_or_a_deactivated_member_voids_the_link(client, world):
    contact = add_contact(world.member, "email", "hanako@example.jp", state=STATE_UNCONFIRMED)
    db.session.commit()
    token = confirm_token(contact)
    world.member.active = False
    db.session.commit()
    assert client.post(f"/reach/confirm/{token}").status_code == 404
    db.session.delete(contact)
    db.session.commit()
    assert client.get(f"/reach/confirm/{token}").status_code == 404


def test_a_mistyped_address_is_shown_again_with_the_reason(client, world, as_member):
    as_member(world.member)
    response = client.post("/me/channels/email", data={"address": "hanako@example"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "@より後ろが正しくありません" in page and 'value="hanako@example"' in page
    assert contacts_of(world.member) == []


def test_an_address_already_working_is_not_added_twice(client, world, as_member):
    add_contact(world.member, "email", "hanako@example.jp")
    db.session.commit()
    as_member(world.member)
    response = client.post("/me/channels/email", data={"address": "hanako@example.jp"})
    assert response.status_code == 422
    assert "もう登録してあります" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Outbox.id))) == 0


def test_adding_again_replaces_the_waiting_confirmation(client, world, as_member):
    as_member(world.member)
    client.post("/me/channels/email", data={"address": "hanako@example.jp"})
    client.post("/me/channels/email", data={"address": "hanako@example.jp"})
    contact = contacts_of(world.member)[0]
    assert len(contacts_of(world.member)) == 1
    assert len(_confirm_rows(contact)) == 1


def test_adding_addresses_is_limited_per_member_and_day(client, world, as_member):
    limiter.enabled = True
    as_member(world.member)
    assert client.post("/me/channels/email", data={"address": "x@"}).status_code == 422
    for n in range(ADDS_PER_DAY):
        response = client.post("/me/channels/email", data={"address": f"a{n}@example.jp"})
        assert response.status_code == 302
    refused = client.post("/me/channels/email", data={"address": "more@example.jp"})
    assert refused.status_code == 429
    assert len(contacts_of(world.member)) == ADDS_PER_DAY  # the mistyped one did not count

    as_member(world.housemate)  # each member has their own allowance
    assert client.post("/me/channels/email", data={"address": "b@example.jp"}).status_code == 302


def test_a_member_removes_their_own_address_only(client, world, as_member):
    mine = add_contact(world.member, "email", "hanako@example.jp")
    theirs = add_contact(world.housemate, "email", "ichiro@example.jp")
    world.member.preferred_channel = "email"
    db.session.commit()
    as_member(world.member)
    assert client.post(f"/me/channels/{theirs.id}/delete").status_code == 404
    assert client.post(f"/me/channels/{mine.id}/delete").status_code == 302
    assert contacts_of(world.member) == []
    assert len(contacts_of(world.housemate)) == 1
    assert world.member.preferred_channel is None  # back to automatic


def test_the_settings_section_lists_channels_and_offers_only_working_ones(client, world, as_member):
    add_push(world.member)
    add_contact(world.member, "email", "hanako@example.jp")
    add_contact(world.member, "line", "U" + "0" * 32, state="failed")
    db.session.commit()
    as_member(world.member)
    page = client.get("/me/notifications").get_data(as_text=True)
    assert "お知らせの受け取り方" in page and "回覧を受け取る方法" in page
    assert "hanako@example.jp" in page and "届きません" in page
    assert 'value="auto"' in page and 'value="push"' in page and 'value="email"' in page
    assert 'value="line"' not in page
    assert "/line/link" not in page  # the association has no LINE account

    assert client.post("/me/channels/preferred", data={"channel": "email"}).status_code == 302
    assert world.member.preferred_channel == "email"
    client.post("/me/channels/preferred", data={"channel": "line"})
    assert world.member.preferred_channel == "email"  # not a working channel: refused
    client.post("/me/channels/preferred", data={"channel": "auto"})
    assert world.member.preferred_channel is None


def test_unconfirmed_addresses_are_forgotten_after_their_link_expired(app, world):
    from jichikai.reach.jobs import JOBS, prune_contacts
    from jichikai.scheduling import all_jobs

    assert JOBS[0] in all_jobs()
    stale = add_contact(world.member, "email", "typo@example.jp", state=STATE_UNCONFIRMED)
    stale.source = SOURCE_MEMBER
    fresh = add_contact(world.member, "email", "new@example.jp", state=STATE_UNCONFIRMED)
    fresh.source = SOURCE_MEMBER
    working = add_contact(world.member, "email", "ok@example.jp")
    stale.created_at = utcnow() - timedelta(days=4, hours=1)
    working.created_at = utcnow() - timedelta(days=30)
    db.session.commit()

    assert prune_contacts(utcnow()) == {"unconfirmed": 1}
    assert [c.address for c in contacts_of(world.member)] == ["new@example.jp", "ok@example.jp"]


def test_removing_an_address_drops_its_queued_confirmation(client, world, as_member):
    as_member(world.member)
    client.post("/me/channels/email", data={"address": "hanako@example.jp"})
    contact = contacts_of(world.member)[0]
    assert client.post(f"/me/channels/{contact.id}/delete").status_code == 302
    assert db.session.scalar(select(func.count(Outbox.id))) == 0
