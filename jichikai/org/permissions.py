"""Who may see and change what in an association. Templates use these too."""

from .models import ROLE_LEADER, Block, Household, Member


def same_association(member: Member, obj) -> bool:
    return member is not None and obj is not None and member.association_id == obj.association_id


def can_manage_association(member: Member) -> bool:
    """Officers and admins run the association: blocks, households, members, cards."""
    return member.is_authenticated and member.is_officer


def can_manage_roles(member: Member) -> bool:
    """Only admins grant officer and admin roles; officers may appoint block leaders."""
    return member.is_authenticated and member.is_admin


def can_view_audit_log(member: Member) -> bool:
    return member.is_authenticated and member.is_admin


def can_lead_block(member: Member, block: Block) -> bool:
    """Block leaders act for their own blocks; officers for every block."""
    if not same_association(member, block):
        return False
    return member.is_officer or block.id in member.led_block_ids


def can_view_household(member: Member, household: Household) -> bool:
    """A household is seen by its own members, its block's leader and the officers."""
    if not same_association(member, household):
        return False
    if member.household_id == household.id:
        return True
    return member.is_officer or household.block_id in member.led_block_ids


def can_manage_member(member: Member, target: Member) -> bool:
    """Officers manage the association's members; only admins manage an admin's account.

    This covers editing, deactivating, issuing login cards and revoking devices: an officer who
    could re-issue an admin's card could log in as that admin.
    """
    if not same_association(member, target) or not can_manage_association(member):
        return False
    return member.is_admin or not target.is_admin


def can_assign_role(member: Member, role: str) -> bool:
    """Officers appoint and end block leaders; officer and admin roles are the admins' call."""
    if not can_manage_association(member):
        return False
    if role == ROLE_LEADER:
        return True
    return can_manage_roles(member)


def can_set_password(member: Member, target: Member) -> bool:
    """Passwords are for officers and admins (email login); admins set them."""
    return same_association(member, target) and can_manage_roles(member) and target.is_officer
