"""One-tap answer pages: the links of a disaster message sent by email or LINE, no login.

GET shows and never stores (mail scanners open links); the page's button posts. See
reach/bearer.py for what every bearer page does (headers, limits, CSRF).
"""

from functools import wraps

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..extensions import db
from ..forms import ConfirmForm
from ..reach import tokens
from ..reach.bearer import in_language_of, invalid_link, per_address
from . import onetap_bp
from .messages import answer_labels
from .models import HELP_KINDS
from .onetap import Answerer, answer_by_link, answer_for, answerer_for, place_labels
from .services import DisasterError, ReportEnded
from .shelters import nearest_shelters
from .views import _id_or_none

# What each kind of page shows: one confirm button, the places, or the stored answer.
CONFIRM, PLACE, ANSWERED = "confirm", "place", "answered"


def _page_of(link_answer: str) -> str:
    return PLACE if link_answer == tokens.ANSWER_ELSEWHERE else CONFIRM


def _render(answerer: Answerer, token: str, page: str, answer: str = "", error: str = ""):
    event = answerer.event
    shelters = []
    if page == PLACE:
        shelters = nearest_shelters(answerer.member.association, event.id, event.kind, None)
    return render_template(
        "disaster/onetap.html",
        token=token,
        page=page,
        answer=answer,
        member=answerer.member,
        event=event,
        latest=answerer.latest,
        shelters=shelters,
        help_kinds=HELP_KINDS,
        answer_labels=answer_labels(),
        place_labels=place_labels(),
        error=error,
    )


def _ended(answerer: Answerer):
    """The event is over: nothing to answer, nothing stored."""
    return render_template("disaster/onetap_ended.html", event=answerer.event), 410


def answer_link(view):
    """Run `view(answerer, token, answer)` in the member's language for a valid link of an
    active event; the 404 page for any other link, the "over" page once the event has ended."""

    @wraps(view)
    def open_link(token: str, answer: str | None = None):
        answerer = None if answer not in (None, *tokens.ANSWERS) else answerer_for(token)
        if answerer is None:
            return invalid_link()
        with in_language_of(answerer.member):
            if not answerer.event.is_active:
                return _ended(answerer)
            return view(answerer, token, answer)

    return open_link


@onetap_bp.get("/a/<token>")
@per_address
@answer_link
def answered(answerer: Answerer, token: str, _answer: None):
    """The member's stored answer, with buttons to change it."""
    return _render(answerer, token, ANSWERED)


@onetap_bp.get("/a/<token>/<answer>")
@per_address
@answer_link
def confirm(answerer: Answerer, token: str, answer: str):
    """A link's answer, to confirm with one tap (or, for "elsewhere", the places to tap)."""
    return _render(answerer, token, _page_of(answer), answer)


@onetap_bp.post("/a/<token>/<answer>")
@per_address
@answer_link
def submit(answerer: Answerer, token: str, answer: str):
    """Store the answer (once, however often it is sent), then show it."""
    page = _page_of(answer)
    if not ConfirmForm().validate_on_submit():
        error = _("画面の有効期限が切れました。もう一度押してください。")
        return _render(answerer, token, page, answer, error), 400
    form = request.form
    try:
        answer_by_link(
            answerer,
            answer_for(
                answer,
                shelter_id=_id_or_none(form.get("shelter_id")),
                place=form.get("place", ""),
                help_kind=form.get("help_kind", ""),
            ),
            after=_id_or_none(form.get("after")) or 0,
        )
    except ReportEnded:
        db.session.rollback()
        return _ended(answerer)
    except DisasterError as error:
        db.session.rollback()
        return _render(answerer, token, page, answer, str(error)), 400
    db.session.commit()
    flash(_("安否を知らせました。ありがとうございます。"))
    return redirect(url_for("disaster_onetap.answered", token=token), 303)
