"""The officers' page of undeliverable addresses: what it lists, and marking one fixed."""

from sqlalchemy import select

from jichikai.audit.models import AuditEvent
from jichikai.database import utcnow
from jichikai.extensions import db
from jichikai.mail.services import mark_undeliverable
from jichikai.reach.models import STATE_FAILED, STATE_WORKING

from .helpers import give_email


def _fail(contact, error="550 5.1.1 User unknown"):
    mark_undeliverable({contact.id: error}, utcnow())
    db.session.commit()


def test_the_page_lists_failed_addresses_of_this_association_only(app, world, as_member):
    _fail(give_email(world.member, "nobody@example.jp"))
    give_email(world.housemate, "fine@example.jp")
    _fail(give_email(world.outsider, "outsider@example.jp"))
    db.session.commit()

    page = as_member(world.officer).get("/admin/mail").get_data(as_text=True)

    assert "nobody@example.jp" in page and "佐藤 花子" in page
    assert "550 5.1.1 User unknown" in page
    assert "fine@example.jp" not in page
    assert "outsider@example.jp" not in page


def test_marking_an_address_fixed_sends_there_again_and_is_audited(app, world, as_member):
    contact = give_email(world.member, "nobody@example.jp")
    _fail(contact)

    response = as_member(world.officer).post(f"/admin/mail/contacts/{contact.id}/fixed")

    assert response.status_code == 302
    db.session.refresh(contact)
    assert contact.state == STATE_WORKING and contact.last_error == ""
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "mail.address_fixed"))
    assert audit.actor_id == world.officer.id and audit.details["address"] == "nobody@example.jp"
    page = as_member(world.officer).get("/admin/mail").get_data(as_text=True)
    assert "届かないアドレスはありません" in page


def test_fixing_twice_changes_nothing(app, world, as_member):
    contact = give_email(world.member, "nobody@example.jp")
    _fail(contact)
    client = as_member(world.officer)
    client.post(f"/admin/mail/contacts/{contact.id}/fixed")

    response = client.post(f"/admin/mail/contacts/{contact.id}/fixed", follow_redirects=True)

    assert "もう直してあります" in response.get_data(as_text=True)
    assert (
        db.session.scalar(
            select(AuditEvent.id).where(AuditEvent.action == "mail.address_fixed").offset(1)
        )
        is None
    )


def test_another_associations_contact_is_not_found(app, world, as_member):
    contact = give_email(world.outsider, "outsider@example.jp")
    _fail(contact)

    response = as_member(world.officer).post(f"/admin/mail/contacts/{contact.id}/fixed")

    assert response.status_code == 404
    db.session.refresh(contact)
    assert contact.state == STATE_FAILED


def test_officers_see_the_page_in_their_menu(app, world, as_member):
    page = as_member(world.officer).get("/admin/mail").get_data(as_text=True)
    assert 'href="/admin/mail"' in page
    member_page = as_member(world.member).get("/me/notifications").get_data(as_text=True)
    assert 'href="/admin/mail"' not in member_page
