"""The account's webhook: LINE tells us who added or blocked it, what they sent, what they
tapped. Each event is handled once (its webhookEventId is kept); the replies to send after
the commit are returned (replies are free: they do not count against the allowance).
"""

import logging
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.webhook import WebhookParser
from linebot.v3.webhooks import (
    FollowEvent,
    MessageEvent,
    PostbackEvent,
    TextMessageContent,
    UnfollowEvent,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..database import utcnow
from ..disaster.models import STATUS_NEED_HELP, STATUS_SAFE_HOME
from ..disaster.services import DisasterError, latest_checkins, reported_event, submit_checkin
from ..extensions import db
from ..i18n import member_language
from ..notices.models import Notice
from ..notices.services import mark_read
from ..org.models import Member
from ..reach import tokens
from ..reach.models import CHANNEL_LINE
from . import linking
from .messages import ANSWER_PREFIX, READ_PREFIX, buttons, text, uri_action
from .models import LineAccount, LineWebhookEvent
from .settings import account_secret

log = logging.getLogger(__name__)


class BadSignature(Exception):
    """The request was not signed with the account's channel secret."""


@dataclass
class Handled:
    """What the webhook did: replies to send (token, messages) after the commit."""

    replies: list[tuple[str, list[dict]]] = field(default_factory=list)
    events: int = 0
    duplicates: int = 0


def parse(account: LineAccount, body: str, signature: str) -> list:
    """The events of a correctly signed body; raises BadSignature otherwise."""
    secret = account_secret(account)
    if secret is None or not signature:
        raise BadSignature("no signature, or the channel secret cannot be read")
    try:
        return WebhookParser(secret).parse(body, signature)
    except (InvalidSignatureError, ValueError, KeyError, TypeError) as error:
        raise BadSignature(str(error)) from error


def _first_time(association_id: int, event_id: str) -> bool:
    """Remember the event; False when it was seen before (a redelivery)."""
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    inserted = db.session.execute(
        insert(LineWebhookEvent)
        .values(association_id=association_id, event_id=event_id[:64], received_at=utcnow())
        .on_conflict_do_nothing(index_elements=["association_id", "event_id"])
        .returning(LineWebhookEvent.id)
    ).first()
    return inserted is not None


def handle(account: LineAccount, events: list) -> Handled:
    """Act on each event once; flush, no commit."""
    handled = Handled()
    for event in events:
        user_id = getattr(getattr(event, "source", None), "user_id", None)
        event_id = getattr(event, "webhook_event_id", None)
        if not user_id or getattr(event, "mode", "active") != "active":
            continue  # a group chat, or another module handles the account now
        if event_id and not _first_time(account.association_id, event_id):
            handled.duplicates += 1
            continue
        handled.events += 1
        messages = _act(account, event, user_id)
        reply_token = getattr(event, "reply_token", None)
        if messages and reply_token:
            handled.replies.append((reply_token, messages))
    db.session.flush()
    return handled


def _language(member: Member | None) -> str:
    if member is not None:
        return member_language(member)
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _act(account: LineAccount, event, user_id: str) -> list[dict]:
    association_id = account.association_id
    if isinstance(event, UnfollowEvent):
        linking.stop_user(association_id, user_id)
        return []
    member = linking.member_of_user(association_id, user_id)
    if isinstance(event, FollowEvent):
        member = member or linking.restart_user(association_id, user_id)
        with force_locale(_language(member)):
            if member is not None:
                return [text(_("またつながりました。町内会からの知らせがLINEに届きます。"))]
            return [text(ask_for_code())]
    if isinstance(event, MessageEvent) and isinstance(event.message, TextMessageContent):
        return _on_text(association_id, user_id, member, event.message.text or "")
    if isinstance(event, PostbackEvent):
        with force_locale(_language(member)):
            if member is None:
                return [text(ask_for_code())]
            return _on_postback(association_id, member, event.postback.data or "")
    return []


def ask_for_code() -> str:
    return _(
        "友だち追加ありがとうございます。町内会の知らせをLINEで受け取るには、"
        "ログインカードの番号（12文字）か、アプリの「LINEでも受け取る」に出る番号（8文字）を、"
        "このトークに送ってください。"
    )


def _on_text(association_id: int, user_id: str, member: Member | None, sent: str) -> list[dict]:
    result = linking.try_code(association_id, user_id, sent)
    member = result.member or member
    with force_locale(_language(member)):
        if result.outcome == linking.LINKED:
            reply = _(
                "%(name)sさんのLINEとつながりました。町内会からの知らせがここに届きます。",
                name=result.member.name,
            )
            if result.by_card:
                reply += "\n" + _(
                    "ログインカードの番号は大切です。送ったメッセージは、長押しして"
                    "「送信取消」で消しておいてください。"
                )
            return [text(reply)]
        if result.outcome == linking.LIMITED:
            return [text(_("番号のまちがいが続きました。しばらく待ってから送ってください。"))]
        if result.outcome == linking.WRONG:
            return [
                text(
                    _(
                        "その番号は使えません。番号を確かめて、もう一度送ってください。"
                        "アプリの番号は30分で使えなくなります。"
                    )
                )
            ]
        if member is None:
            return [text(ask_for_code())]
        return [
            text(
                _(
                    "このLINEは町内会からの知らせ専用です。ご用のときは、班長か役員に"
                    "お伝えください。"
                )
            )
        ]


def _on_postback(association_id: int, member: Member, data: str) -> list[dict]:
    parts = data.split(":")
    try:
        if parts[0] == ANSWER_PREFIX and len(parts) == 3:
            return answer(association_id, member, int(parts[1]), parts[2])
        if parts[0] == READ_PREFIX and len(parts) == 2:
            return read(association_id, member, int(parts[1]))
    except ValueError:
        pass
    log.info("LINE postback not understood: %r", data[:100])
    return []


def answer(association_id: int, member: Member, event_id: int, answer: str) -> list[dict]:
    """A tap on a disaster message's answer: store it (once) and say so."""
    statuses = {
        tokens.ANSWER_SAFE_HOME: STATUS_SAFE_HOME,
        tokens.ANSWER_NEED_HELP: STATUS_NEED_HELP,
    }
    try:
        reported_event(association_id, event_id)
    except DisasterError:
        return [text(_("この安否確認は終わっています。知らせてくださり、ありがとうございます。"))]
    if answer == tokens.ANSWER_ELSEWHERE:
        link = tokens.answer_url(member.id, event_id, tokens.ANSWER_ELSEWHERE, CHANNEL_LINE)
        prompt = _("いる場所を知らせてください。下を押すと、知らせる画面が開きます。")
        return [buttons(prompt, prompt, [uri_action(_("場所を知らせる"), link)])]
    status = statuses.get(answer)
    if status is None:
        return []
    latest = latest_checkins(event_id, [member.id]).get(member.id)
    if latest is None or latest.status != status or latest.proxy:
        # Deterministic: the same tap handled twice at once stores one report.
        client_id = f"line-{event_id}-{member.id}-{answer}-{latest.id if latest else 0}"
        try:
            submit_checkin(
                member,
                channel=CHANNEL_LINE,
                event_id=event_id,
                status=status,
                client_id=client_id,
                help_kind="other" if status == STATUS_NEED_HELP else "",
            )
        except DisasterError as error:
            return [text(str(error))]
    if status == STATUS_SAFE_HOME:
        return [text(_("「無事です」と受け取りました。ありがとうございます。"))]
    link = tokens.answer_url(member.id, event_id, tokens.ANSWER_NEED_HELP, CHANNEL_LINE)
    prompt = _(
        "「助けが必要」と受け取りました。班長と役員に伝わります。"
        "くわしく知らせるときは下を押してください。"
    )
    return [buttons(prompt, prompt, [uri_action(_("くわしく知らせる"), link)])]


def read(association_id: int, member: Member, notice_id: int) -> list[dict]:
    """A tap on a circular's 読みました."""
    notice = db.session.get(Notice, notice_id)
    if notice is None or notice.association_id != association_id:
        return []
    mark_read(notice, member, via=CHANNEL_LINE)
    return [text(_("「読みました」と記録しました。ありがとうございます。"))]
