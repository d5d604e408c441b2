"""Creating and changing the organisation: associations, blocks, households, members, roles."""

from collections.abc import Iterable

from sqlalchemy import func, select

from ..audit.services import record
from ..database import utcnow
from ..extensions import db
from .models import ROLE_LEADER, ROLES, Association, Block, Household, Member, RoleAssignment


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
    """End a role; the assignment stays as history."""
    if assignment.ended_at is not None:
        return
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
    """Active members living in the given blocks (all blocks when None)."""
    query = (
        select(Member)
        .join(Household, Member.household_id == Household.id)
        .where(Member.association_id == association_id, Member.active.is_(True))
    )
    if block_ids is not None:
        query = query.where(Household.block_id.in_(list(block_ids)))
    return list(db.session.scalars(query))
