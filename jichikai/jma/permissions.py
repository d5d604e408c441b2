"""Who may change the JMA settings and decide on alerts: the officers."""

from ..org.permissions import can_manage_association


def can_manage_jma(member) -> bool:
    return can_manage_association(member)


def can_decide_alerts(member) -> bool:
    """Starting disaster mode from an alert is the officers' call."""
    return can_manage_association(member)
