"""The messages of disaster mode, each composed for its recipient in their language.

On Web Push a message opens the app; on email and LINE it carries the one-tap answer links
bound to its recipient and the event (reach.tokens), so a member answers without logging in.
"""

from flask_babel import force_locale
from flask_babel import gettext as _

from ..links import absolute
from ..org.models import Member
from ..push.services import DISASTER_TTL, KIND_DISASTER
from ..reach import tokens
from ..reach.models import CHANNEL_PUSH
from ..reach.services import Action, Envelope, Message, does_answer
from .models import DisasterEvent


def answer_labels() -> dict[str, str]:
    """The one-tap answers (tokens.ANSWERS) as the message and the answer page word them."""
    return {
        tokens.ANSWER_SAFE_HOME: _("無事です・自宅にいます"),
        tokens.ANSWER_NEED_HELP: _("助けが必要です"),
        tokens.ANSWER_ELSEWHERE: _("避難所・別の場所にいます"),
    }


def call_question(language: str) -> str:
    """What a block leader asks a member on the call list, in the member's language."""
    with force_locale(language):
        return _("ご無事ですか。助けが必要ですか。")


def answer_actions(member: Member, event: DisasterEvent, channel: str) -> tuple[Action, ...]:
    """The three one-tap answers as actions; the last opens the check-in page."""
    return tuple(
        Action(label, tokens.answer_url(member.id, event.id, answer, channel), does_answer(answer))
        for answer, label in answer_labels().items()
    )


def event_message(event: DisasterEvent, *, reminder: bool = False) -> Message:
    """The start of an event (or its reminder to those who have not answered)."""

    def compose(member: Member, channel: str) -> Envelope:
        prefix = _("【訓練】") if event.drill else ""
        if reminder:
            title = prefix + _("安否をまだ知らせていません")
            body = _("%(title)s：ひとことでいいので、安否を知らせてください。", title=event.title)
        else:
            title = prefix + event.title
            body = event.message or _("安否を知らせてください。")
        if channel == CHANNEL_PUSH:
            return Envelope(title=title, body=body, url="/")
        if event.message and not reminder:
            body = body + "\n\n" + _("安否を知らせてください。")
        return Envelope(
            title=title,
            body=body,
            url=absolute("/"),
            actions=answer_actions(member, event, channel),
        )

    return Message(
        kind=KIND_DISASTER,
        compose=compose,
        every_channel=True,
        tag=f"disaster-{event.id}-reminder" if reminder else f"disaster-{event.id}",
        urgency="high",
        ttl=DISASTER_TTL,
        topic=f"disaster-{event.id}" if reminder else None,
        event_id=event.id,
        label="reminder" if reminder else "disaster",
    )
