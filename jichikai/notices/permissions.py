"""Who may see and act on notices. Templates use these too."""

from datetime import datetime

from ..org.models import Block, Household, Member
from ..org.permissions import can_lead_block, same_association
from .models import Notice


def can_manage_notices(member: Member) -> bool:
    """Officers and admins write, edit and withdraw notices and see every block's receipts."""
    return member.is_authenticated and member.is_officer


def member_block_id(member: Member) -> int | None:
    return member.household.block_id if member.household_id else None


def in_audience(notice: Notice, block_id: int | None) -> bool:
    """Whether a notice goes to a block (every block when it goes to the whole association)."""
    if notice.all_blocks:
        return True
    return block_id is not None and block_id in notice.block_ids


def can_view_notice(member: Member, notice: Notice, now: datetime) -> bool:
    """Officers see every notice; others see published notices (expired ones stay readable in
    the archive, withdrawn ones do not) for their own or their led blocks."""
    if not member.is_authenticated or not same_association(member, notice):
        return False
    if can_manage_notices(member):
        return True
    if notice.published_at is None or notice.withdrawn_at is not None:
        return False
    blocks = {member_block_id(member)} | member.led_block_ids
    return any(in_audience(notice, block_id) for block_id in blocks)


def is_recipient(member: Member, notice: Notice) -> bool:
    """The member's household is in the audience (their reading counts as a receipt)."""
    return member.household_id is not None and in_audience(notice, member_block_id(member))


def can_follow_block(member: Member, notice: Notice, block: Block) -> bool:
    """A block's leader and the officers follow a published notice's receipts in that block."""
    if not same_association(member, notice) or not can_lead_block(member, block):
        return False
    return notice.published_at is not None and in_audience(notice, block.id)


def can_record_for(member: Member, notice: Notice, household: Household) -> bool:
    """Leaders record paper and proxy reads for their blocks' households, officers for all."""
    return same_association(member, household) and can_follow_block(member, notice, household.block)
