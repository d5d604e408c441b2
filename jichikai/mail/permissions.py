"""Who may see and fix undeliverable email addresses."""

from ..org.models import Member
from ..org.permissions import can_manage_association


def can_manage_undeliverable(member: Member) -> bool:
    """Officers and admins of the association see its undeliverable addresses and fix them."""
    return can_manage_association(member)
