"""One-tap answers: a member answers the safety check from a link in an email or LINE message,
without logging in (the link is bound to the member, the event and the channel: reach.tokens).

Answering twice (a second tap, a reload) stores one answer: the report's client_id comes from
the link, the answer and the report the page was showing. Changing the answer on the page is a
new report, so it is stored and becomes the member's latest.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from ..audit.services import record
from ..org.models import Member
from ..reach import tokens
from ..reach.bearer import bearer_target
from .models import (
    HELP_KINDS,
    STATUS_AT_SHELTER,
    STATUS_ELSEWHERE,
    STATUS_NEED_HELP,
    STATUS_SAFE_HOME,
    CheckIn,
    DisasterEvent,
)
from .services import CheckInResult, DisasterError, latest_checkins, submit_checkin

# The places a member away from home and shelters taps ("別の場所"): nothing to type.
PLACES = ("relative", "work", "car", "other")


def place_labels() -> dict[str, str]:
    return {
        "relative": _("親せき・知りあいの家"),
        "work": _("職場・学校"),
        "car": _("車の中"),
        "other": _("ほかの場所"),
    }


def stored_place(key: str) -> str:
    """A tapped place as stored: in the association's language, like every stored text."""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        return place_labels()[key]


@dataclass(frozen=True)
class Answerer:
    """Who a valid answer link speaks for: one member in one event, reached by `channel`."""

    member: Member
    event: DisasterEvent
    channel: str

    @property
    def latest(self) -> CheckIn | None:
        """The member's latest report in the event (by any way)."""
        return latest_checkins(self.event.id, [self.member.id]).get(self.member.id)


def answerer_for(token: str) -> Answerer | None:
    """The member and event an answer link names, if it is valid and the member active.

    The event may have ended (the page then says so); a link whose member and event belong to
    different associations is refused like a forged one.
    """
    found = bearer_target(tokens.ANSWER, token, DisasterEvent)
    return Answerer(*found) if found is not None else None


@dataclass(frozen=True)
class Answer:
    """What the member tapped, as a report's fields."""

    status: str
    shelter_id: int | None = None
    place: str = ""  # one of PLACES
    help_kind: str = ""


def answer_for(link_answer: str, *, shelter_id=None, place="", help_kind="") -> Answer:
    """The report a link's answer (tokens.ANSWERS) and the taps on its page make.

    "Need help" without a kind is stored as "other" so that one tap is enough; the page then
    offers the kinds. Raises DisasterError when "elsewhere" comes without a place.
    """
    if link_answer == tokens.ANSWER_SAFE_HOME:
        return Answer(STATUS_SAFE_HOME)
    if link_answer == tokens.ANSWER_NEED_HELP:
        return Answer(STATUS_NEED_HELP, help_kind=help_kind if help_kind in HELP_KINDS else "other")
    if shelter_id is not None:
        return Answer(STATUS_AT_SHELTER, shelter_id=shelter_id)
    if place in PLACES:
        return Answer(STATUS_ELSEWHERE, place=place)
    raise DisasterError(_("どこにいるかを選んでください。"))


def link_client_id(answerer: Answerer, answer: Answer, after: int) -> str:
    """The same link, answer and page (`after`: the report it showed) give the same id."""
    parts = (
        answerer.member.id,
        answerer.event.id,
        answerer.channel,
        after,
        answer.status,
        answer.shelter_id or 0,
        answer.place,
        answer.help_kind,
    )
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()
    return f"{answerer.channel}-{digest[:40]}"


def answer_by_link(answerer: Answerer, answer: Answer, after: int = 0) -> CheckInResult:
    """Store the member's answer in the link's event with its channel (flushes).

    `after` is the id of the report the page showed (0: none), so a resent form is stored once
    and a change, even back to an earlier answer, is stored. Raises ReportEnded when the event
    has ended and DisasterError for a shelter the association does not offer.
    """
    result = submit_checkin(
        answerer.member,
        channel=answerer.channel,
        event_id=answerer.event.id,
        status=answer.status,
        client_id=link_client_id(answerer, answer, after),
        shelter_id=answer.shelter_id,
        place=stored_place(answer.place) if answer.place else "",
        help_kind=answer.help_kind,
    )
    if result.stored:
        record(
            "disaster.checkin_link",
            association_id=answerer.event.association_id,
            actor=answerer.member,
            target=answerer.event,
            channel=answerer.channel,
            status=answer.status,
        )
    return result
