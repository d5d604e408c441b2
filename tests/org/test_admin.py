"""Officer administration pages: behaviour, validation, tenant isolation."""

import re

import pytest
from sqlalchemy import func, select

from jichikai.audit.models import AuditEvent
from jichikai.audit.services import record
from jichikai.auth.models import LoginCard
from jichikai.auth.services import member_for_code, member_for_password, start_device
from jichikai.extensions import db
from jichikai.org.models import Block, Member, RoleAssignment
from jichikai.org.services import OrgError, count_admins, end_role, set_member_active

from ..factories import make_block, make_household


def _outsider_admin(world) -> Member:
    return db.session.scalars(
        select(Member)
        .join(RoleAssignment, RoleAssignment.member_id == Member.id)
        .where(
            Member.association_id == world.outsider_association.id,
            RoleAssignment.role == "admin",
        )
    ).one()


# Another association's objects answer 404, even to its admin.


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", lambda w: f"/admin/blocks/{w.block.id}/edit"),
        ("POST", lambda w: f"/admin/blocks/{w.block.id}/delete"),
        ("GET", lambda w: f"/admin/households/{w.household.id}/edit"),
        ("GET", lambda w: f"/admin/households?block={w.block.id}"),
        ("GET", lambda w: f"/admin/members/{w.member.id}/edit"),
        ("POST", lambda w: f"/admin/members/{w.member.id}/deactivate"),
        ("GET", lambda w: f"/admin/members/{w.member.id}/roles"),
        ("POST", lambda w: f"/admin/roles/{w.leader.active_roles[0].id}/end"),
        ("POST", lambda w: f"/admin/members/{w.member.id}/card"),
        ("POST", lambda w: f"/admin/blocks/{w.block.id}/cards"),
        ("GET", lambda w: f"/admin/members/{w.member.id}/devices"),
        ("GET", lambda w: f"/admin/members/{w.officer.id}/password"),
    ],
)
def test_another_associations_objects_answer_404(client, world, as_member, method, url):
    as_member(_outsider_admin(world))
    response = client.open(url(world), method=method)
    assert response.status_code == 404


def test_a_household_of_another_association_cannot_be_chosen(client, world, as_member):
    as_member(world.officer)
    response = client.post(
        f"/admin/members/{world.member.id}/edit",
        data={"household_id": world.outsider_household.id, "name": "佐藤 花子"},
    )
    assert response.status_code == 422
    assert world.member.household_id == world.household.id


# Blocks


def test_add_block_with_a_taken_name_says_so(client, world, as_member):
    as_member(world.officer)
    response = client.post("/admin/blocks", data={"name": "1班"})
    assert response.status_code == 422
    assert "「1班」という班はもうあります。" in response.get_data(as_text=True)


def test_blocks_move_up_and_down(client, world, as_member):
    as_member(world.officer)
    client.post(f"/admin/blocks/{world.other_block.id}/move", data={"direction": "up"})
    names = db.session.scalars(
        select(Block.name)
        .where(Block.association_id == world.association.id)
        .order_by(Block.position)
    ).all()
    assert names == ["2班", "1班"]


def test_a_block_with_households_is_not_deleted(client, world, as_member):
    as_member(world.officer)
    response = client.post(f"/admin/blocks/{world.block.id}/delete", follow_redirects=True)
    assert "世帯がある班は削除できません" in response.get_data(as_text=True)
    assert db.session.get(Block, world.block.id) is not None


def test_an_empty_block_is_deleted(client, world, as_member):
    block = make_block(world.association, "3班")
    db.session.commit()
    as_member(world.officer)
    block_id = block.id
    client.post(f"/admin/blocks/{block_id}/delete")
    assert db.session.scalar(select(Block.id).where(Block.id == block_id)) is None


# Households


def test_household_moves_to_the_end_of_another_block(client, world, as_member):
    as_member(world.officer)
    response = client.post(
        f"/admin/households/{world.household.id}/edit",
        data={
            "block_id": world.other_block.id,
            "name": "佐藤家",
            "people_count": "3",
            "paper_only": "y",
            "needs_assistance": "y",
            "assistance_note": "耳が遠いです",
        },
    )
    assert response.status_code == 302
    household = world.household
    assert household.block_id == world.other_block.id
    assert household.position == max(h.position for h in world.other_block.households)
    assert household.paper_only and household.needs_assistance
    assert household.assistance_note == "耳が遠いです"


def test_an_assistance_note_needs_the_mark(client, world, as_member):
    as_member(world.officer)
    response = client.post(
        f"/admin/households/{world.household.id}/edit",
        data={"block_id": world.block.id, "name": "佐藤家", "people_count": "2",
              "assistance_note": "耳が遠いです"},
    )  # fmt: skip
    assert response.status_code == 422
    assert "印をつけてください" in response.get_data(as_text=True)
    assert world.household.assistance_note == ""


def test_household_list_marks_paper_only_and_assistance(client, world, as_member):
    world.paper_household.needs_assistance = True
    db.session.commit()
    as_member(world.officer)
    page = client.get(f"/admin/households?block={world.block.id}").get_data(as_text=True)
    assert "鈴木家" in page and "tag-urgent" in page


# Members


def test_member_email_must_be_unique(client, world, as_member):
    as_member(world.officer)
    response = client.post(
        "/admin/members/new",
        data={
            "household_id": world.household.id,
            "name": "佐藤 次郎",
            "email": "Officer@example.jp",
        },
    )
    assert response.status_code == 422
    assert "ほかの人が使っています" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).where(Member.name == "佐藤 次郎")) == 0


def test_a_deactivated_member_is_logged_out_and_audited(client, world, as_member):
    device = start_device(world.member, "test")
    db.session.commit()
    as_member(world.officer)
    client.post(f"/admin/members/{world.member.id}/deactivate")
    assert world.member.active is False
    from jichikai.auth.services import member_for_session

    assert member_for_session(device.session_id) is None
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "member.deactivate"))


def test_nobody_deactivates_themselves(world):
    with pytest.raises(OrgError):
        set_member_active(world.officer, False, by=world.officer)


def test_the_last_admin_role_cannot_end(world):
    assert count_admins(world.association.id) == 1
    with pytest.raises(OrgError):
        end_role(world.admin.active_roles[0], by=world.admin)


# Roles


def test_officer_appoints_a_leader_and_ending_keeps_history(client, world, as_member):
    as_member(world.officer)
    client.post(
        f"/admin/members/{world.member.id}/roles",
        data={"role": "leader", "block_id": world.block.id},
    )
    assert world.member.led_block_ids == {world.block.id}
    assignment = world.member.active_roles[0]
    client.post(f"/admin/roles/{assignment.id}/end")
    assert world.member.led_block_ids == set()
    page = client.get(f"/admin/members/{world.member.id}/roles").get_data(as_text=True)
    assert "1班" in page and "終えた日" in page
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.target_id == world.member.id)
    ).all()
    assert {"role.assign", "role.end"} <= set(actions)


def test_a_leader_needs_a_block(client, world, as_member):
    as_member(world.officer)
    response = client.post(
        f"/admin/members/{world.member.id}/roles", data={"role": "leader", "block_id": "0"}
    )
    assert response.status_code == 422
    assert world.member.active_roles == []


# Settings


def test_settings_out_of_range_are_refused_and_nothing_is_saved(client, world, as_member):
    as_member(world.officer)
    response = client.post(
        "/admin/settings",
        data={
            "name": "新しい名前",
            "center_lat": "35.8",
            "center_lon": "",
            "notice_reminder_hours": "0",
            "checkin_reminder_minutes": "30",
            "checkin_reminder_max": "3",
            "escalation_minutes": "15",
            "checkin_retention_days": "30",
            "shelter_radius_m": "3000",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "1から336までの数にしてください。" in page
    assert "両方入れるか" in page
    assert world.association.name == "ひがし自治会"


def test_settings_are_saved(client, world, as_member):
    as_member(world.officer)
    from .matrix import _settings_form

    form = {**_settings_form(world), "shelter_radius_m": "1500"}
    assert client.post("/admin/settings", data=form).status_code == 302
    assert world.association.setting("shelter_radius_m") == 1500
    assert world.association.center_lat == pytest.approx(35.85)


def test_call_list_delay_is_a_setting_within_a_range(client, world, as_member):
    as_member(world.officer)
    from .matrix import _settings_form

    assert world.association.setting("escalation_minutes") == 15  # the default
    refused = client.post(
        "/admin/settings", data={**_settings_form(world), "escalation_minutes": "0"}
    )
    assert refused.status_code == 422
    assert "1から1440までの数にしてください。" in refused.get_data(as_text=True)
    assert world.association.setting("escalation_minutes") == 15
    form = {**_settings_form(world), "escalation_minutes": "30"}
    assert client.post("/admin/settings", data=form).status_code == 302
    assert world.association.setting("escalation_minutes") == 30


# Audit log


def test_audit_log_is_newest_first_filtered_and_paged(client, world, as_member):
    for n in range(55):
        record("export.members", association_id=world.association.id, actor=world.admin, n=n)
    record("export.members", association_id=world.outsider_association.id, n=999)
    db.session.commit()
    as_member(world.admin)
    page = client.get("/admin/audit?action=export.members").get_data(as_text=True)
    assert "n: 54" in page and "n: 999" not in page and "n: 4," not in page
    assert page.index("n: 54") < page.index("n: 53")
    assert "1 / 2" in page
    second = client.get("/admin/audit?action=export.members&page=2").get_data(as_text=True)
    assert "n: 4" in second and "n: 54" not in second


# Cards, devices, passwords


def test_issuing_a_card_shows_it_once_and_revokes_the_old_one(client, world, as_member):
    as_member(world.officer)
    first = client.post(f"/admin/members/{world.member.id}/card")
    second = client.post(f"/admin/members/{world.member.id}/card")
    assert second.headers["Cache-Control"] == "no-store"
    page = second.get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page
    code = re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", page).group(0)
    old = re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", first.get_data(as_text=True)).group(0)
    assert member_for_code(code).id == world.member.id
    assert member_for_code(old) is None
    assert "http://localhost/c/" in page
    assert 'style="' not in page


def test_card_url_uses_public_url(app, client, world, as_member):
    app.config["PUBLIC_URL"] = "https://jichikai.example.jp/"
    try:
        as_member(world.officer)
        page = client.post(f"/admin/members/{world.member.id}/card").get_data(as_text=True)
    finally:
        app.config["PUBLIC_URL"] = ""
    assert "https://jichikai.example.jp/c/" in page


def test_block_sheet_reissues_every_card_of_the_block(client, world, as_member):
    as_member(world.officer)
    confirm = client.get(f"/admin/blocks/{world.block.id}/cards").get_data(as_text=True)
    assert "使えなくなります" in confirm
    page = client.post(f"/admin/blocks/{world.block.id}/cards").get_data(as_text=True)
    names = {"佐藤 花子", "佐藤 一郎", "鈴木 トメ", "高橋 健太"}
    assert all(name in page for name in names)
    assert "田中 誠" not in page
    assert page.count('class="login-card"') == 4
    cards = db.session.scalar(
        select(func.count(LoginCard.id)).where(LoginCard.revoked_at.is_(None))
    )
    assert cards == 4


def test_an_officers_block_sheet_leaves_out_admins(client, world, as_member):
    home = make_household(world.block, name="管理家")
    world.admin.household_id = home.id
    db.session.commit()
    as_member(world.officer)
    page = client.post(f"/admin/blocks/{world.block.id}/cards").get_data(as_text=True)
    # The admin may be named as the one to ask, but gets no card of their own.
    assert f'<p class="login-card-name">{world.admin.name}' not in page
    assert page.count('class="login-card"') == 4


def test_officer_revokes_a_members_lost_phone(client, world, as_member):
    device = start_device(world.member, "test")
    db.session.commit()
    as_member(world.officer)
    page = client.get(f"/admin/members/{world.member.id}/devices").get_data(as_text=True)
    assert f"/devices/{device.id}/revoke" in page
    client.post(f"/admin/members/{world.member.id}/devices/{device.id}/revoke")
    assert device.revoked_at is not None


def test_a_device_of_another_member_answers_404(client, world, as_member):
    device = start_device(world.housemate, "test")
    db.session.commit()
    as_member(world.officer)
    url = f"/admin/members/{world.member.id}/devices/{device.id}/revoke"
    assert client.post(url).status_code == 404
    assert device.revoked_at is None


def test_admin_sets_an_officers_password(client, world, as_member):
    as_member(world.admin)
    short = client.post(f"/admin/members/{world.officer.id}/password", data={"password": "short"})
    assert short.status_code == 422
    client.post(f"/admin/members/{world.officer.id}/password", data={"password": "a-new-password"})
    assert member_for_password("officer@example.jp", "a-new-password").id == world.officer.id
    logged = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "member.password")
    ).one()
    assert logged.actor_id == world.admin.id


def test_english_pages(client, world, as_member):
    world.officer.language = "en"
    db.session.commit()
    as_member(world.officer)
    page = client.get("/admin/").get_data(as_text=True)
    assert "Roster import (CSV)" in page and "Households" in page
