"""Writing the audit log."""

from ..extensions import db
from .models import AuditEvent


def record(
    action: str,
    *,
    association_id: int | None,
    actor=None,
    target=None,
    ip: str = "",
    **details,
) -> AuditEvent:
    """Add an audit event to the session (the caller commits)."""
    event = AuditEvent(
        association_id=association_id,
        actor_id=actor.id if actor is not None else None,
        action=action,
        target_type=type(target).__name__.lower() if target is not None else "",
        target_id=getattr(target, "id", None),
        details=details,
        ip=ip,
    )
    db.session.add(event)
    return event
