"""Who may run disaster mode, report for whom, and see the roll call."""

from ..org.models import Block, Household, Member
from ..org.permissions import can_lead_block, same_association


def can_manage_disaster(member: Member) -> bool:
    """Officers start and end events, choose shelters and see the dashboard."""
    return member.is_authenticated and member.is_officer


def can_check_in(member: Member) -> bool:
    return member.is_authenticated


def can_view_rollcall(member: Member, block: Block) -> bool:
    """Block leaders see the roll call of their own blocks; officers of every block."""
    return member.is_authenticated and can_lead_block(member, block)


def can_report_for(reporter: Member, target: Member) -> bool:
    """Self and own household; block leaders for their blocks' members; officers for all."""
    if not same_association(reporter, target):
        return False
    if reporter.id == target.id:
        return True
    if reporter.household_id is not None and reporter.household_id == target.household_id:
        return True
    if reporter.is_officer:
        return True
    household = target.household
    return household is not None and household.block_id in reporter.led_block_ids


def can_record_call(leader: Member, target: Member) -> bool:
    """Block leaders record calls and visits to their blocks' members; officers to all."""
    if not same_association(leader, target) or target.household is None:
        return False
    return can_view_rollcall(leader, target.household.block)


def can_report_for_household(reporter: Member, household: Household) -> bool:
    """Reports and calls for a household as a whole (one without member records): its block's
    leaders and the officers."""
    return reporter.is_authenticated and can_lead_block(reporter, household.block)


def rollcall_block_ids(member: Member, all_block_ids: list[int]) -> list[int]:
    """The blocks whose roll call a member may see."""
    if not member.is_authenticated:
        return []
    if member.is_officer:
        return list(all_block_ids)
    led = member.led_block_ids
    return [block_id for block_id in all_block_ids if block_id in led]
