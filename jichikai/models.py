"""Every feature's models, imported in one place for Alembic and the shell."""

from .audit.models import AuditEvent
from .auth.models import Device, LoginCard
from .org.models import Association, Block, Household, Member, RoleAssignment, RosterImport
from .push.models import PushDelivery, PushSubscription

__all__ = [
    "Association",
    "AuditEvent",
    "Block",
    "Device",
    "Household",
    "LoginCard",
    "Member",
    "PushDelivery",
    "PushSubscription",
    "RoleAssignment",
    "RosterImport",
]
