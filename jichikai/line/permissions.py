"""Who may change the LINE settings and link a LINE account."""

from ..org.models import Member
from ..org.permissions import can_manage_association


def can_manage_line(member: Member) -> bool:
    """Officers and admins set up the association's LINE account."""
    return can_manage_association(member)


def can_link_line(member: Member) -> bool:
    """Every logged-in, active member links their own LINE."""
    return member.is_authenticated and member.active
