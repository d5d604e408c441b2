"""Who may see what of push delivery."""

from ..org.models import Member


def can_view_delivery_problems(member: Member) -> bool:
    """Admins see which messages the push services refused (and why)."""
    return member.is_authenticated and member.is_admin
