"""Signed one-tap links: each binds one member to one event (an answer) or one circular (a
read receipt), so that whoever holds the message can answer for that member and nothing else.

A token also names the channel its message went by, so that the answer or receipt records how
the member was reached. The token is deterministic: the same member, event and channel give the
same link, so a message sent twice carries the same links, and answering twice stores one
answer. It carries no expiry of its own; the pages check that the event is still active or
the circular still live, so a link is useless after its event ends.
Changing SECRET_KEY voids every link.
"""

from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from ..links import absolute
from .models import CHANNELS

ANSWER = "answer"
READ = "read"

# The answers a disaster message offers as links; "elsewhere" opens the check-in page.
ANSWER_SAFE_HOME = "safe_home"
ANSWER_NEED_HELP = "need_help"
ANSWER_ELSEWHERE = "elsewhere"
ANSWERS = (ANSWER_SAFE_HOME, ANSWER_NEED_HELP, ANSWER_ELSEWHERE)


def _serializer(purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=f"jichikai.reach.{purpose}")


@dataclass(frozen=True)
class Bearer:
    """What a valid token says: this member, this event (or circular), reached by `channel`."""

    member_id: int
    target_id: int
    channel: str


def answer_token(member_id: int, event_id: int, channel: str) -> str:
    return _serializer(ANSWER).dumps([member_id, event_id, channel])


def read_token(member_id: int, notice_id: int, channel: str) -> str:
    return _serializer(READ).dumps([member_id, notice_id, channel])


def load(purpose: str, token: str) -> Bearer | None:
    """What a valid token of `purpose` says, else None (forged, cut, or of another purpose)."""
    if not token or len(token) > 200:
        return None
    try:
        value = _serializer(purpose).loads(token)
    except BadSignature:
        return None
    if not isinstance(value, list) or len(value) != 3:
        return None
    member_id, target_id, channel = value
    ids = (member_id, target_id)
    if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in ids):
        return None
    if channel not in CHANNELS:
        return None
    return Bearer(member_id, target_id, channel)


def answer_url(member_id: int, event_id: int, answer: str, channel: str) -> str:
    """The link for one answer (`ANSWERS`); its page asks once more before storing anything."""
    if answer not in ANSWERS:
        raise ValueError(f"unknown answer {answer!r}")
    return absolute(f"/a/{answer_token(member_id, event_id, channel)}/{answer}")


def read_url(member_id: int, notice_id: int, channel: str) -> str:
    """The 読みました link of a circular sent by email or LINE."""
    return absolute(f"/r/{read_token(member_id, notice_id, channel)}")
