"""What an outbox row looks like on LINE: its text, and its buttons as postbacks.

The answers of a disaster message and the 読みました of a circular become postback buttons
(`a:<event>:<answer>`, `r:<notice>`) that name no member: the webhook knows the member by
their LINE user id. A message is then the same for everyone who gets it, and one multicast
carries it to up to 500 members. Links that are the same for everyone (a circular's page)
stay links; a member-bound link is never put into a message (the "elsewhere" answer's own
link is sent in the reply to its postback, which only that member sees).
"""

import json

from flask_babel import force_locale
from flask_babel import gettext as _

from ..i18n import ruby_plain
from ..reach import tokens
from ..reach.services import DOES_READ

TEXT_MAX = 5000
LABEL_MAX = 20
TEMPLATE_TEXT_MAX = 160
ALT_TEXT_MAX = 400
URI_MAX = 1000
TEMPLATE_ACTIONS_MAX = 4

ANSWER_PREFIX = "a"
READ_PREFIX = "r"


def line_actions(actions: list | None, event_id: int | None, notice_id: int | None) -> tuple:
    """The row's actions as LINE will show them: ("postback", label, data) for a one-tap
    answer or read (known by the action's `does`, see reach.services.Action), ("uri", label,
    URL) for the rest. Equal for every member who gets the same message, so it serves as part
    of the grouping key."""
    shown = []
    for label, url, *rest in actions or ():
        does = rest[0] if rest else ""
        kind, _sep, answer = does.partition(":")
        if event_id and kind == "answer" and answer in tokens.ANSWERS:
            shown.append(("postback", label, f"{ANSWER_PREFIX}:{event_id}:{answer}"))
        elif notice_id and does == DOES_READ:
            shown.append(("postback", label, f"{READ_PREFIX}:{notice_id}"))
        else:
            shown.append(("uri", label, url))
    return tuple(shown)


def postback(label: str, data: str) -> dict:
    return {"type": "postback", "label": label[:LABEL_MAX], "data": data, "displayText": label}


def uri_action(label: str, uri: str) -> dict:
    return {"type": "uri", "label": label[:LABEL_MAX], "uri": uri}


def buttons(text: str, alt: str, actions: list[dict], quick: bool = False) -> dict:
    """A buttons template; with `quick` its postbacks also show as quick replies."""
    message = {
        "type": "template",
        "altText": alt[:ALT_TEXT_MAX] or text[:ALT_TEXT_MAX],
        "template": {"type": "buttons", "text": text[:TEMPLATE_TEXT_MAX], "actions": actions},
    }
    answers = [a for a in actions if a["type"] == "postback"]
    if quick and answers:
        message["quickReply"] = {"items": [{"type": "action", "action": a} for a in answers]}
    return message


def row_messages(
    title: str, body: str, event_id: int | None, notice_id: int | None, language: str, shown
) -> list[dict]:
    """The LINE messages (at most two) for one outbox row; `shown` from line_actions()."""
    text = title + (f"\n\n{body}" if body else "")
    answers, links, extra = [], [], []
    for kind, label, value in shown:
        if kind == "postback":
            answers.append(postback(label, value))
        elif len(value) <= URI_MAX and len(answers) + len(links) < TEMPLATE_ACTIONS_MAX:
            links.append(uri_action(label, value))
        else:
            extra.append(f"{label}: {value}")
    if extra:
        text += "\n\n" + "\n".join(extra)
    if len(text) > TEXT_MAX:
        text = text[: TEXT_MAX - 1] + "…"
    messages = [{"type": "text", "text": text}]
    if not answers and not links:
        return messages
    with force_locale(language):
        if event_id and answers:
            prompt = _("安否を知らせてください。下のどれかを押してください。")
        elif notice_id and answers:
            prompt = _("読んだら「読みました」を押してください。")
        else:
            prompt = _("くわしくは下を押してください。")
    prompt = ruby_plain(prompt)  # LINE shows plain text: furigana as 漢字(かんじ)
    actions = (answers + links)[:TEMPLATE_ACTIONS_MAX]
    messages.append(buttons(prompt, title, actions, quick=bool(answers)))
    return messages


def content_key(messages: list[dict]) -> str:
    """Rows whose messages are the same go out in one multicast."""
    return json.dumps(messages, ensure_ascii=False, sort_keys=True)


def text(value: str) -> dict:
    """A text message (a reply in the member's language): furigana as 漢字(かんじ)."""
    return {"type": "text", "text": ruby_plain(value)[:TEXT_MAX]}
