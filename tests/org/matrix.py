"""Permission cases of the officers' administration pages."""

import io

from flask import current_app

from jichikai.auth.services import start_device
from jichikai.extensions import db
from jichikai.org import roster
from jichikai.org.services import create_block

from ..matrix import Case, admins_only, expect, officers_only
from .csvdata import ROSTER_CSV


def _empty_block_url(world) -> str:
    block = create_block(world.association, "空の班")
    db.session.commit()
    return f"/admin/blocks/{block.id}/delete"


def _household_form(world) -> dict:
    return {"block_id": world.block.id, "name": "新しい家", "people_count": "2"}


def _member_form(world) -> dict:
    return {"household_id": world.household.id, "name": "佐藤 次郎", "kana": "", "email": ""}


def _leader_role_url(world) -> str:
    return f"/admin/roles/{world.leader.active_roles[0].id}/end"


def _officer_role_url(world) -> str:
    return f"/admin/roles/{world.officer.active_roles[0].id}/end"


def _settings_form(world) -> dict:
    return {
        "name": "ひがし自治会",
        "municipality": "さいたま市桜区",
        "center_lat": "35.85",
        "center_lon": "139.61",
        "notice_reminder_hours": "48",
        "checkin_reminder_minutes": "30",
        "checkin_reminder_max": "3",
        "escalation_minutes": "15",
        "checkin_retention_days": "30",
        "shelter_radius_m": "3000",
        # What a browser posts with every box ticked (Japanese is shown ticked and disabled).
        "languages": list(current_app.config["LANGUAGES"][1:]),
    }


def _upload_form(world) -> dict:
    return {"file": (io.BytesIO(ROSTER_CSV.encode()), "roster.csv")}


def _stored_import_id(world) -> int:
    upload = roster.store_upload(world.association, world.admin, "r.csv", ROSTER_CSV, "utf-8")
    db.session.commit()
    return upload.id


def _device_revoke_url(world) -> str:
    device = start_device(world.member, "test")
    db.session.commit()
    return f"/admin/members/{world.member.id}/devices/{device.id}/revoke"


def _member_url(suffix: str):
    return lambda w: f"/admin/members/{w.member.id}/{suffix}"


ADMIN_TARGET = expect(anonymous="login", admin=200, default=403)

CASES = [
    Case("GET", lambda w: "/admin/", officers_only(), id="admin-index"),
    # Blocks
    Case("GET", lambda w: "/admin/blocks", officers_only(), id="blocks"),
    Case(
        "POST",
        lambda w: "/admin/blocks",
        officers_only(302),
        form=lambda w: {"name": "9班"},
        id="block-add",
    ),
    Case("GET", lambda w: f"/admin/blocks/{w.block.id}/edit", officers_only(), id="block-edit"),
    Case(
        "POST",
        lambda w: f"/admin/blocks/{w.block.id}/edit",
        officers_only(302),
        form=lambda w: {"name": "一班"},
        id="block-rename",
    ),
    Case(
        "POST",
        lambda w: f"/admin/blocks/{w.block.id}/move",
        officers_only(302),
        form=lambda w: {"direction": "down"},
        id="block-move",
    ),
    Case("POST", _empty_block_url, officers_only(302), id="block-delete"),
    # Households
    Case("GET", lambda w: "/admin/households", officers_only(), id="households"),
    Case("GET", lambda w: "/admin/households/new", officers_only(), id="household-new"),
    Case(
        "POST",
        lambda w: "/admin/households/new",
        officers_only(302),
        form=_household_form,
        id="household-add",
    ),
    Case(
        "GET",
        lambda w: f"/admin/households/{w.household.id}/edit",
        officers_only(),
        id="household-edit",
    ),
    Case(
        "POST",
        lambda w: f"/admin/households/{w.household.id}/edit",
        officers_only(302),
        form=_household_form,
        id="household-save",
    ),
    Case(
        "POST",
        lambda w: f"/admin/households/{w.household.id}/location",
        officers_only(302),
        form=lambda w: {"lat": "35.8551", "lon": "139.6123", "action": "save"},
        id="household-location",
    ),
    Case(
        "POST",
        lambda w: f"/admin/households/{w.outsider_household.id}/location",
        officers_only(404),
        form=lambda w: {"lat": "35.8551", "lon": "139.6123", "action": "save"},
        id="household-location-other-association",
    ),
    # Members
    Case("GET", lambda w: "/admin/members", officers_only(), id="members"),
    Case("GET", lambda w: "/admin/members/new", officers_only(), id="member-new"),
    Case(
        "POST",
        lambda w: "/admin/members/new",
        officers_only(302),
        form=_member_form,
        id="member-add",
    ),
    Case("GET", _member_url("edit"), officers_only(), id="member-edit"),
    Case(
        "GET",
        lambda w: f"/admin/members/{w.admin.id}/edit",
        ADMIN_TARGET,
        id="member-edit-of-an-admin",
    ),
    Case("POST", _member_url("edit"), officers_only(302), form=_member_form, id="member-save"),
    Case("POST", _member_url("deactivate"), officers_only(302), id="member-deactivate"),
    Case("POST", _member_url("reactivate"), officers_only(302), id="member-reactivate"),
    # Roles
    Case("GET", lambda w: "/admin/roles", officers_only(), id="roles"),
    Case("GET", _member_url("roles"), officers_only(), id="member-roles"),
    Case(
        "POST",
        _member_url("roles"),
        officers_only(302),
        form=lambda w: {"role": "leader", "block_id": w.other_block.id},
        id="role-assign-leader",
    ),
    Case(
        "POST",
        _member_url("roles"),
        expect(anonymous="login", admin=302, default=403),
        form=lambda w: {"role": "officer", "block_id": "0"},
        id="role-assign-officer",
    ),
    Case("POST", _leader_role_url, officers_only(302), id="role-end-leader"),
    Case(
        "POST",
        _officer_role_url,
        expect(anonymous="login", admin=302, default=403),
        id="role-end-officer",
    ),
    # Settings and audit log
    Case("GET", lambda w: "/admin/settings", officers_only(), id="settings"),
    Case(
        "POST",
        lambda w: "/admin/settings",
        officers_only(302),
        form=_settings_form,
        id="settings-save",
    ),
    Case("GET", lambda w: "/admin/audit", admins_only(), id="audit"),
    # Roster import
    Case("GET", lambda w: "/admin/roster", officers_only(), id="roster"),
    Case("GET", lambda w: "/admin/roster/help", officers_only(), id="roster-help"),
    Case("GET", lambda w: "/admin/roster/sample.csv", officers_only(), id="roster-sample"),
    Case(
        "POST", lambda w: "/admin/roster", officers_only(302), form=_upload_form, id="roster-upload"
    ),
    Case(
        "GET",
        lambda w: f"/admin/roster/{_stored_import_id(w)}",
        officers_only(),
        id="roster-preview",
    ),
    Case(
        "POST",
        lambda w: f"/admin/roster/{_stored_import_id(w)}/apply",
        officers_only(302),
        id="roster-apply",
    ),
    # Login cards, devices, passwords (auth.admin)
    Case("GET", _member_url("card"), officers_only(), id="card"),
    Case("POST", _member_url("card"), officers_only(), id="card-issue"),
    Case(
        "POST",
        lambda w: f"/admin/members/{w.admin.id}/card",
        ADMIN_TARGET,
        id="card-issue-for-an-admin",
    ),
    Case("GET", lambda w: f"/admin/blocks/{w.block.id}/cards", officers_only(), id="block-cards"),
    Case(
        "POST",
        lambda w: f"/admin/blocks/{w.block.id}/cards",
        officers_only(),
        id="block-cards-print",
    ),
    Case("GET", _member_url("devices"), officers_only(), id="member-devices"),
    Case("POST", _device_revoke_url, officers_only(302), id="member-device-revoke"),
    Case(
        "GET",
        lambda w: f"/admin/members/{w.officer.id}/password",
        expect(anonymous="login", admin=200, default=403),
        id="password",
    ),
    Case(
        "POST",
        lambda w: f"/admin/members/{w.officer.id}/password",
        expect(anonymous="login", admin=302, default=403),
        form=lambda w: {"password": "a-long-password"},
        id="password-set",
    ),
]
