"""Creating and changing the organisation: associations, blocks, households, members, roles."""

from collections.abc import Iterable

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..audit.services import record
from ..database import utcnow
from ..extensions import db
from .models import (
    DEFAULT_SETTINGS,
    ROLE_ADMIN,
    ROLE_LEADER,
    ROLE_OFFICER,
    ROLES,
    Association,
    Block,
    Household,
    Member,
    RoleAssignment,
)
from .signals import member_access_ended


def officers_of(association_id: int) -> list[Member]:
    """The association's active officers and admins."""
    return list(
        db.session.scalars(
            select(Member)
            .join(RoleAssignment, RoleAssignment.member_id == Member.id)
            .where(
                Member.association_id == association_id,
                Member.active.is_(True),
                RoleAssignment.role.in_((ROLE_ADMIN, ROLE_OFFICER)),
                RoleAssignment.ended_at.is_(None),
            )
            .distinct()
        )
    )


def leaders_by_block(association_id: int) -> dict[int, list[Member]]:
    """The association's active block leaders, by the id of the block they lead."""
    rows = db.session.execute(
        select(RoleAssignment.block_id, Member)
        .join(Member, RoleAssignment.member_id == Member.id)
        .where(
            RoleAssignment.association_id == association_id,
            RoleAssignment.role == ROLE_LEADER,
            RoleAssignment.ended_at.is_(None),
            Member.active.is_(True),
        )
        .order_by(RoleAssignment.started_at, RoleAssignment.id)
    )
    leaders: dict[int, list[Member]] = {}
    for block_id, member in rows:
        # By id: Member's equality (Flask-Login's) compares login sessions.
        block = leaders.setdefault(block_id, []) if block_id is not None else []
        if all(known.id != member.id for known in block):
            block.append(member)
    return leaders


class OrgError(ValueError):
    """A change that cannot be made, with a message for the person who asked."""


def create_association(
    name: str,
    admin_email: str,
    admin_name: str,
    municipality: str = "",
    center: tuple[float, float] | None = None,
) -> tuple[Association, Member]:
    """Create an association and its first admin."""
    name = name.strip()
    admin_email = admin_email.strip().lower()
    if not name:
        raise OrgError("name is required")
    if "@" not in admin_email:
        raise OrgError("a valid admin email is required")
    # Only the platform operator creates associations, and sees them all: an address in use
    # anywhere is refused here, so that the same association is not created twice by mistake.
    if db.session.scalar(select(Member.id).where(Member.email == admin_email)):
        raise OrgError(f"{admin_email} is already in use")
    association = Association(name=name, municipality=municipality.strip(), settings={})
    if center:
        association.center_lat, association.center_lon = center
    db.session.add(association)
    db.session.flush()
    admin = Member(association_id=association.id, name=admin_name or admin_email, email=admin_email)
    db.session.add(admin)
    db.session.flush()
    assign_role(admin, "admin", by=None)
    record("association.create", association_id=association.id, target=association)
    return association, admin


def create_block(association: Association, name: str) -> Block:
    """Add a block at the end of the association's order."""
    name = name.strip()
    if not name:
        raise OrgError("block name is required")
    exists = db.session.scalar(
        select(Block.id).where(Block.association_id == association.id, Block.name == name)
    )
    if exists:
        raise OrgError(f"block {name} exists")
    last = db.session.scalar(
        select(func.max(Block.position)).where(Block.association_id == association.id)
    )
    block = Block(association_id=association.id, name=name, position=(last or 0) + 1)
    db.session.add(block)
    db.session.flush()
    return block


def create_household(block: Block, name: str, **fields) -> Household:
    """Add a household to a block."""
    household = Household(
        association_id=block.association_id, block_id=block.id, name=name, **fields
    )
    db.session.add(household)
    db.session.flush()
    return household


def create_member(
    household: Household | None, name: str, association_id: int | None = None, **fields
) -> Member:
    """Add a member, usually to a household."""
    if household is not None:
        association_id = household.association_id
    member = Member(
        association_id=association_id,
        household_id=household.id if household else None,
        name=name,
        **fields,
    )
    db.session.add(member)
    db.session.flush()
    return member


def assign_role(
    member: Member, role: str, by: Member | None, block: Block | None = None
) -> RoleAssignment:
    """Give a member a role (a leader for one block); an existing identical role is kept."""
    if role not in ROLES:
        raise OrgError(f"unknown role {role}")
    if role == ROLE_LEADER and block is None:
        raise OrgError("a block leader needs a block")
    if block is not None and block.association_id != member.association_id:
        raise OrgError("block of another association")
    for current in member.active_roles:
        if current.role == role and current.block_id == (block.id if block else None):
            return current
    assignment = RoleAssignment(
        association_id=member.association_id,
        member=member,
        role=role,
        block_id=block.id if block else None,
        assigned_by_id=by.id if by else None,
        started_at=utcnow(),
    )
    db.session.add(assignment)
    db.session.flush()
    record(
        "role.assign",
        association_id=member.association_id,
        actor=by,
        target=member,
        role=role,
        block_id=assignment.block_id,
    )
    return assignment


def end_role(assignment: RoleAssignment, by: Member | None) -> None:
    """End a role; the assignment stays as history. The last admin cannot be removed."""
    if assignment.ended_at is not None:
        return
    if assignment.role == ROLE_ADMIN and count_admins(assignment.association_id) <= 1:
        raise OrgError(_("最後の管理者の役は終えられません。先にほかの人を管理者にしてください。"))
    assignment.ended_at = utcnow()
    record(
        "role.end",
        association_id=assignment.association_id,
        actor=by,
        target=assignment.member,
        role=assignment.role,
        block_id=assignment.block_id,
    )


def blocks_of(association_id: int) -> list[Block]:
    """The association's blocks in their order."""
    return list(
        db.session.scalars(
            select(Block)
            .where(Block.association_id == association_id)
            .order_by(Block.position, Block.id)
        )
    )


def members_of_blocks(association_id: int, block_ids: Iterable[int] | None) -> list[Member]:
    """Active members living in the given blocks (all blocks when None), in household order."""
    query = (
        select(Member)
        .join(Household, Member.household_id == Household.id)
        .where(Member.association_id == association_id, Member.active.is_(True))
    )
    if block_ids is not None:
        query = query.where(Household.block_id.in_(list(block_ids)))
    query = query.order_by(Household.position, Household.id, Member.id)
    return list(db.session.scalars(query))


def count_admins(association_id: int) -> int:
    """How many active members hold the admin role now."""
    return db.session.scalar(
        select(func.count(func.distinct(RoleAssignment.member_id)))
        .join(Member, Member.id == RoleAssignment.member_id)
        .where(
            RoleAssignment.association_id == association_id,
            RoleAssignment.role == ROLE_ADMIN,
            RoleAssignment.ended_at.is_(None),
            Member.active.is_(True),
        )
    )


def _block_name_taken(association_id: int, name: str, exclude_id: int | None = None) -> bool:
    query = select(Block.id).where(Block.association_id == association_id, Block.name == name)
    if exclude_id is not None:
        query = query.where(Block.id != exclude_id)
    return db.session.scalar(query) is not None


def add_block(association: Association, name: str) -> Block:
    """Add a block from the administration page (messages for people)."""
    name = name.strip()
    if _block_name_taken(association.id, name):
        raise OrgError(_("「%(name)s」という班はもうあります。", name=name))
    return create_block(association, name)


def rename_block(block: Block, name: str) -> None:
    """Give a block a new name, unique in its association."""
    name = name.strip()
    if _block_name_taken(block.association_id, name, exclude_id=block.id):
        raise OrgError(_("「%(name)s」という班はもうあります。", name=name))
    block.name = name
    db.session.flush()


def move_block(block: Block, offset: int) -> None:
    """Move a block one place up (-1) or down (+1) in the association's order."""
    blocks = blocks_of(block.association_id)
    index = blocks.index(block)
    target = index + offset
    if offset not in (-1, 1) or not 0 <= target < len(blocks):
        return
    blocks[index], blocks[target] = blocks[target], blocks[index]
    for position, each in enumerate(blocks, start=1):
        each.position = position
    db.session.flush()


def delete_block(block: Block) -> None:
    """Delete a block that has no households and nothing else pointing at it."""
    has_households = db.session.scalar(
        select(func.count(Household.id)).where(Household.block_id == block.id)
    )
    if has_households:
        raise OrgError(_("世帯がある班は削除できません。先に世帯をほかの班へ移してください。"))
    has_roles = db.session.scalar(
        select(func.count(RoleAssignment.id)).where(RoleAssignment.block_id == block.id)
    )
    if has_roles:
        raise OrgError(
            _("この班には班長の記録があるため削除できません。名前を変えてお使いください。")
        )
    try:
        with db.session.begin_nested():
            db.session.delete(block)
            db.session.flush()
    except IntegrityError as error:
        raise OrgError(
            _("この班はほかの記録で使われているため削除できません。名前を変えてお使いください。")
        ) from error


HOUSEHOLD_FIELDS = (
    "name",
    "town",
    "address_line",
    "people_count",
    "phone",
    "paper_only",
    "needs_assistance",
    "assistance_note",
)


def _next_household_position(block: Block) -> int:
    last = db.session.scalar(
        select(func.max(Household.position)).where(Household.block_id == block.id)
    )
    return (last or 0) + 1


def add_household(block: Block, **fields) -> Household:
    """Add a household at the end of its block."""
    unknown = set(fields) - set(HOUSEHOLD_FIELDS)
    if unknown:
        raise TypeError(f"unknown household fields {sorted(unknown)}")
    if not fields.get("needs_assistance"):
        fields["assistance_note"] = fields.get("assistance_note") or ""
    return create_household(block, position=_next_household_position(block), **fields)


def update_household(household: Household, block: Block, **fields) -> None:
    """Change a household's details; a new block puts it at the end of that block."""
    if block.association_id != household.association_id:
        raise OrgError("block of another association")
    unknown = set(fields) - set(HOUSEHOLD_FIELDS)
    if unknown:
        raise TypeError(f"unknown household fields {sorted(unknown)}")
    if block.id != household.block_id:
        household.position = _next_household_position(block)
        household.block_id = block.id
        household.block = block
    for key, value in fields.items():
        setattr(household, key, value)
    db.session.flush()


def _email_taken(association_id: int, email: str, exclude_id: int | None = None) -> bool:
    """Whether another member of the association has this login email.

    Only the association's own members count: other associations' addresses are neither
    refused nor revealed (docs/security.md, "Login emails").
    """
    query = select(Member.id).where(Member.association_id == association_id, Member.email == email)
    if exclude_id is not None:
        query = query.where(Member.id != exclude_id)
    return db.session.scalar(query) is not None


def normalize_email(email: str | None) -> str | None:
    """Emails are compared in lower case; an empty one is none."""
    email = (email or "").strip().lower()
    return email or None


def add_member(
    association: Association, household: Household | None, name: str, kana: str, email: str | None
) -> Member:
    """Add a member from the administration page."""
    email = normalize_email(email)
    if email and _email_taken(association.id, email):
        raise OrgError(_("このメールアドレスはほかの人が使っています。"))
    if household is not None and household.association_id != association.id:
        raise OrgError("household of another association")
    return create_member(
        household, name.strip(), association_id=association.id, kana=kana.strip(), email=email
    )


def update_member(
    member: Member, household: Household | None, name: str, kana: str, email: str | None
) -> None:
    """Change a member's name, reading, email and household."""
    email = normalize_email(email)
    if email and _email_taken(member.association_id, email, exclude_id=member.id):
        raise OrgError(_("このメールアドレスはほかの人が使っています。"))
    if household is not None and household.association_id != member.association_id:
        raise OrgError("household of another association")
    member.name = name.strip()
    member.kana = kana.strip()
    member.email = email
    member.household_id = household.id if household else None
    member.household = household
    db.session.flush()


def set_member_active(member: Member, active: bool, by: Member | None) -> None:
    """Deactivate (moved away) or reactivate a member.

    Either way, everything that logged the member in or reached their phones ends (devices,
    login cards, push subscriptions: see `signals.member_access_ended`); a reactivated member
    logs in again with a new card.
    """
    if member.active == active:
        return
    if not active:
        if by is not None and member.id == by.id:
            raise OrgError(_("自分自身を停止することはできません。"))
        if member.is_admin and count_admins(member.association_id) <= 1:
            raise OrgError(_("最後の管理者は停止できません。"))
    member.active = active
    record(
        "member.reactivate" if active else "member.deactivate",
        association_id=member.association_id,
        actor=by,
        target=member,
    )
    db.session.flush()
    # On reactivation too: an old login must not come back, even one left by a deactivation
    # that did not come through here.
    member_access_ended.send(member, by=by)


def role_history(member: Member) -> list[RoleAssignment]:
    """Every role the member has held, newest first."""
    return list(
        db.session.scalars(
            select(RoleAssignment)
            .where(RoleAssignment.member_id == member.id)
            .order_by(RoleAssignment.started_at.desc(), RoleAssignment.id.desc())
        )
    )


def current_roles(association_id: int) -> list[RoleAssignment]:
    """The roles held now in the association: admins, officers, then leaders by block."""
    rows = db.session.scalars(
        select(RoleAssignment)
        .outerjoin(Block, Block.id == RoleAssignment.block_id)
        .where(RoleAssignment.association_id == association_id, RoleAssignment.ended_at.is_(None))
        .order_by(RoleAssignment.role, Block.position, RoleAssignment.started_at)
    )
    order = {role: index for index, role in enumerate(ROLES)}
    return sorted(rows, key=lambda r: order.get(r.role, len(order)))


SETTING_LIMITS: dict[str, tuple[int, int]] = {
    "notice_reminder_hours": (1, 24 * 14),
    "checkin_reminder_minutes": (5, 24 * 60),
    "checkin_reminder_max": (0, 10),
    "escalation_minutes": (1, 24 * 60),
    "checkin_retention_days": (1, 365),
    "shelter_radius_m": (100, 20000),
    "notice_ack_required": (0, 1),
}


def update_association(
    association: Association,
    by: Member,
    *,
    name: str,
    municipality: str,
    center: tuple[float, float] | None,
    settings: dict[str, int],
) -> None:
    """Change the association's name, place and numeric settings (validated by range)."""
    for key, value in settings.items():
        if key not in DEFAULT_SETTINGS:
            raise OrgError(f"unknown setting {key}")
        low, high = SETTING_LIMITS[key]
        if not low <= value <= high:
            raise OrgError(f"{key} must be between {low} and {high}")
    association.name = name.strip()
    association.municipality = municipality.strip()
    association.center_lat, association.center_lon = center if center else (None, None)
    association.settings = {**(association.settings or {}), **settings}
    record("association.settings", association_id=association.id, actor=by, target=association)
    db.session.flush()


def set_languages(association: Association, by: Member, languages: list[str]) -> None:
    """Narrow the languages offered to the association's members to `languages` (codes of the
    LANGUAGES setting, kept in its order; Japanese always stays). Every language chosen
    offers all of them, also those the server adds later."""
    server = list(current_app.config["LANGUAGES"])
    unknown = [code for code in languages if code not in server]
    if unknown:
        raise OrgError(f"unknown language {unknown[0]!r}")
    kept = set(languages) | {server[0]}
    chosen = None if kept == set(server) else [code for code in server if code in kept]
    if chosen == association.languages:
        return
    record(
        "association.languages",
        association_id=association.id,
        actor=by,
        target=association,
        before=association.languages,
        after=chosen,
    )
    association.languages = chosen
    db.session.flush()
