"""Every feature's models, imported in one place for Alembic and the shell."""

from .audit.models import AuditEvent
from .auth.models import Device, LoginCard
from .disaster.models import AssociationShelter, CheckIn, DisasterEvent, EventShelter, Shelter
from .org.models import Association, Block, Household, Member, RoleAssignment
from .push.models import PushDelivery, PushSubscription

__all__ = [
    "Association",
    "AssociationShelter",
    "AuditEvent",
    "Block",
    "CheckIn",
    "Device",
    "DisasterEvent",
    "EventShelter",
    "Household",
    "LoginCard",
    "Member",
    "PushDelivery",
    "PushSubscription",
    "RoleAssignment",
    "Shelter",
]
