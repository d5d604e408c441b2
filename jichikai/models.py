"""Every feature's models, imported in one place for Alembic and the shell."""

from .audit.models import AuditEvent
from .auth.models import Device, LoginCard
from .disaster.models import (
    AssociationShelter,
    CallOutcome,
    CheckIn,
    DisasterEvent,
    EventShelter,
    HouseholdCheckIn,
    Shelter,
)
from .health.models import WorkerHeartbeat
from .jma.models import JmaAlert, JmaEntry, JmaFeed
from .line.models import LineAccount, LineLinkCode, LineWebhookEvent
from .notices.models import (
    Attachment,
    Notice,
    NoticeBlock,
    NoticeReminder,
    ReadReceipt,
    Reply,
    ReplyOption,
)
from .org.models import Association, Block, Household, Member, RoleAssignment, RosterImport
from .push.models import OutboxTally, PushDelivery, PushSubscription
from .reach.models import Contact

__all__ = [
    "Association",
    "Attachment",
    "CallOutcome",
    "AssociationShelter",
    "AuditEvent",
    "Block",
    "CheckIn",
    "Contact",
    "Device",
    "DisasterEvent",
    "EventShelter",
    "HouseholdCheckIn",
    "Household",
    "JmaAlert",
    "JmaEntry",
    "JmaFeed",
    "LineAccount",
    "LineLinkCode",
    "LineWebhookEvent",
    "LoginCard",
    "Member",
    "Notice",
    "NoticeBlock",
    "NoticeReminder",
    "OutboxTally",
    "PushDelivery",
    "PushSubscription",
    "ReadReceipt",
    "Reply",
    "ReplyOption",
    "RoleAssignment",
    "RosterImport",
    "Shelter",
    "WorkerHeartbeat",
]
