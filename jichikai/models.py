"""Every feature's models, imported in one place for Alembic and the shell."""

from .audit.models import AuditEvent
from .auth.models import Device, LoginCard
from .jma.models import JmaAlert, JmaEntry, JmaFeed
from .org.models import Association, Block, Household, Member, RoleAssignment
from .push.models import PushDelivery, PushSubscription

__all__ = [
    "Association",
    "AuditEvent",
    "Block",
    "Device",
    "Household",
    "JmaAlert",
    "JmaEntry",
    "JmaFeed",
    "LoginCard",
    "Member",
    "PushDelivery",
    "PushSubscription",
    "RoleAssignment",
]
