"""Every feature's models, imported in one place for Alembic and the shell."""

from .audit.models import AuditEvent
from .auth.models import Device, LoginCard
from .disaster.models import (
    AssociationShelter,
    Bulletin,
    CallOutcome,
    CheckIn,
    DisasterEvent,
    EventShelter,
    HelpUpdate,
    HouseholdCheckIn,
    Shelter,
)
from .health.models import WorkerHeartbeat
from .jma.models import JmaAlert, JmaEntry, JmaFeed
from .keys.models import ServerKey
from .line.models import LineAccount, LineLinkCode, LineWebhookEvent
from .notices.models import (
    Attachment,
    CalendarFeed,
    Notice,
    NoticeBlock,
    NoticeReminder,
    NoticeTranslation,
    ReadReceipt,
    Reply,
    ReplyAnswer,
    ReplyOption,
    ReplyQuestion,
)
from .org.models import Association, Block, Household, Member, RoleAssignment, RosterImport
from .push.models import OutboxTally, PushDelivery, PushSubscription
from .reach.models import Contact
from .storage.models import StoredFile

__all__ = [
    "Association",
    "Attachment",
    "Bulletin",
    "CalendarFeed",
    "CallOutcome",
    "AssociationShelter",
    "AuditEvent",
    "Block",
    "CheckIn",
    "Contact",
    "Device",
    "DisasterEvent",
    "EventShelter",
    "HelpUpdate",
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
    "NoticeTranslation",
    "OutboxTally",
    "PushDelivery",
    "PushSubscription",
    "ReadReceipt",
    "Reply",
    "ReplyAnswer",
    "ReplyOption",
    "ReplyQuestion",
    "RoleAssignment",
    "RosterImport",
    "ServerKey",
    "Shelter",
    "StoredFile",
    "WorkerHeartbeat",
]
