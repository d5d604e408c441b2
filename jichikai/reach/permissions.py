"""Who may see and change a member's channels. Templates use these too."""

from ..org.models import Member
from ..org.permissions import can_lead_block, can_manage_member, same_association


def can_manage_contacts(actor: Member, member: Member) -> bool:
    """Addresses are personal data: the association's officers manage them (an admin's
    only by admins, as the rest of an admin's registration)."""
    return can_manage_member(actor, member)


def can_set_preferred_channel(actor: Member, member: Member) -> bool:
    """The member, the officers, and the leader of the member's block (for members who ask
    them); leaders never see the addresses."""
    if not actor.is_authenticated or not same_association(actor, member):
        return False
    if actor.id == member.id or can_manage_contacts(actor, member):
        return True
    household = member.household
    return household is not None and can_lead_block(actor, household.block)
