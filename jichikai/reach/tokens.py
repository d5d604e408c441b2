"""Signed one-tap links: each binds one member to one event (an answer) or one circular (a
read receipt), so that whoever holds the message can answer for that member and nothing else.

The token is deterministic: the same member and event give the same link, so a message sent
twice carries the same links, and answering twice stores one answer. It carries no expiry of
its own; the pages check that the event is still active or the circular still live, so a link
is useless after its event ends. Changing SECRET_KEY voids every link.
"""

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from ..links import absolute

ANSWER = "answer"
READ = "read"

# The answers a disaster message offers as links; "elsewhere" opens the check-in page.
ANSWER_SAFE_HOME = "safe_home"
ANSWER_NEED_HELP = "need_help"
ANSWER_ELSEWHERE = "elsewhere"
ANSWERS = (ANSWER_SAFE_HOME, ANSWER_NEED_HELP, ANSWER_ELSEWHERE)


def _serializer(purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=f"jichikai.reach.{purpose}")


def answer_token(member_id: int, event_id: int) -> str:
    return _serializer(ANSWER).dumps([member_id, event_id])


def read_token(member_id: int, notice_id: int) -> str:
    return _serializer(READ).dumps([member_id, notice_id])


def load(purpose: str, token: str) -> tuple[int, int] | None:
    """(member id, event or notice id) from a valid token of `purpose`, else None."""
    if not token or len(token) > 200:
        return None
    try:
        value = _serializer(purpose).loads(token)
    except BadSignature:
        return None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)
    ):
        return None
    return value[0], value[1]


def answer_url(member_id: int, event_id: int, answer: str) -> str:
    """The link for one answer (`ANSWERS`); its page asks once more before storing anything."""
    if answer not in ANSWERS:
        raise ValueError(f"unknown answer {answer!r}")
    return absolute(f"/a/{answer_token(member_id, event_id)}/{answer}")


def read_url(member_id: int, notice_id: int) -> str:
    """The 読みました link of a circular sent by email or LINE."""
    return absolute(f"/r/{read_token(member_id, notice_id)}")
