"""JSON routes of the circulars: the feed, a notice, posting, and block receipts."""

from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import abort

from ..apitools import ApiBlueprint, api_login_required
from ..database import utcnow
from ..extensions import db
from ..org.models import Block, Household
from .acks import acknowledge, acknowledged_at
from .errors import NoticeError
from .languages import reading_language, shown_text, translation_in
from .models import Notice
from .offline import offline_set
from .permissions import (
    can_follow_block,
    can_manage_notices,
    can_record_for,
    can_view_notice,
    is_recipient,
)
from .questionnaires import current_reply, values_of
from .reports import audience_blocks, household_states
from .schemas import (
    AckResultSchema,
    AckSchema,
    NoticeCreateSchema,
    NoticeFeedQuerySchema,
    NoticeFoundSchema,
    NoticeListItemSchema,
    NoticeSchema,
    NoticeSearchQuerySchema,
    OfflineSetSchema,
    ReceiptCreateSchema,
    ReceiptQuerySchema,
    ReceiptSchema,
)
from .search import SearchError, archived_notices, search_notices
from .services import (
    NoticeInput,
    create_notice,
    mark_read,
    member_feed,
    member_read_at,
    record_household_read,
)

blp = ApiBlueprint(
    "api_notices", __name__, url_prefix="/api/v1/notices", description="Circulars (回覧)"
)


def _not_found():
    abort(404, message=_("見つかりません。"))


def _load(notice_id: int) -> Notice:
    notice = db.session.get(Notice, notice_id)
    if (
        notice is None
        or notice.association_id != current_user.association_id
        or not can_view_notice(current_user, notice, utcnow())
    ):
        _not_found()
    return notice


def _fail(error: NoticeError):
    db.session.rollback()
    abort(error.status, message=error.message)


def _notice_body(notice: Notice, read: bool) -> dict:
    reply = current_reply(notice, current_user)
    values = values_of(reply)
    text = shown_text(notice, translation_in(notice, reading_language()))
    return {
        "id": notice.id,
        "title": notice.title,
        "body": notice.body,
        "language": notice.language,
        "translation": {
            "language": text.language,
            "title": text.title,
            "body": text.body,
            "machine": text.machine,
        }
        if text.translated
        else None,
        "category": notice.category,
        "published_at": notice.published_at,
        "publish_at": notice.publish_at,
        "updated_at": notice.updated_at,
        "expires_at": notice.expires_at,
        "block_ids": sorted(notice.block_ids),
        "read": read,
        "ack_required": notice.ack_required,
        "acknowledged_at": acknowledged_at(notice, current_user),
        "attachments": [
            {
                "id": a.id,
                "filename": a.filename,
                "content_type": a.content_type,
                "size": a.size,
                "url": url_for("notices.attachment", notice_id=notice.id, attachment_id=a.id),
                "web_url": url_for(
                    "notices.attachment_web", notice_id=notice.id, attachment_id=a.id
                )
                if a.has_web_version
                else None,
            }
            for a in notice.attachments
        ],
        "reply_form": {
            "kind": notice.reply_kind,
            "per": notice.reply_per,
            "deadline": notice.reply_deadline,
            "open": notice.replies_open(utcnow()),
            "questions": [
                {
                    "id": q.id,
                    "kind": q.kind,
                    "label": q.label,
                    "required": q.required,
                    "min": q.min_value,
                    "max": q.max_value,
                    "options": [{"id": o.id, "label": o.label} for o in q.options],
                    "answer": values.get(q.id, []),
                }
                for q in notice.questions
            ],
            "answered_at": reply.answered_at if reply else None,
        }
        if notice.reply_kind
        else None,
    }


@blp.route("")
@blp.arguments(NoticeFeedQuerySchema, location="query")
@blp.response(200, NoticeListItemSchema(many=True))
@api_login_required
def feed(args):
    """The logged-in member's circulars: unread first, then newest (20 a page)."""
    page = member_feed(current_user, page=args["page"], category=args["category"])
    return [
        {
            "id": e.notice.id,
            "title": e.notice.title,
            "category": e.notice.category,
            "published_at": e.notice.published_at,
            "updated_at": e.notice.updated_at,
            "read": e.read,
            "ack_required": e.notice.ack_required,
            "acknowledged": e.acknowledged_at is not None,
            "done": e.done,
        }
        for e in page.entries
    ]


@blp.route("/offline")
@blp.response(200, OfflineSetSchema)
@api_login_required
def offline():
    """What the phone keeps for reading offline: the 20 newest circulars the member can see,
    and their attachments within `budget` bytes (fetch them with X-Jichikai-Purpose: offline,
    which records no read)."""
    return offline_set(current_user)


def _found_body(entry) -> dict:
    return {
        "id": entry.notice.id,
        "title": entry.notice.title,
        "category": entry.notice.category,
        "published_at": entry.notice.published_at,
        "updated_at": entry.notice.updated_at,
        "read": entry.read,
        "expired": entry.expired,
    }


@blp.route("/search")
@blp.arguments(NoticeSearchQuerySchema, location="query")
@blp.response(200, NoticeFoundSchema(many=True))
@api_login_required
def search(args):
    """Circulars the member may see (expired ones too) whose title or body holds every word,
    newest first (20 a page)."""
    try:
        found = search_notices(current_user, args["q"], args["category"], page=args["page"])
    except SearchError as error:
        abort(422, message=str(error))
    return [_found_body(entry) for entry in found.entries]


@blp.route("/archive")
@blp.arguments(NoticeFeedQuerySchema, location="query")
@blp.response(200, NoticeFoundSchema(many=True))
@api_login_required
def archive(args):
    """Circulars the member may see whose time on the board has ended, newest first."""
    found = archived_notices(current_user, args["category"], page=args["page"])
    return [_found_body(entry) for entry in found.entries]


@blp.route("/<int:notice_id>")
@blp.response(200, NoticeSchema)
@api_login_required
def show(notice_id: int):
    """One circular; fetching it records the member's receipt."""
    notice = _load(notice_id)
    now = utcnow()
    read = member_read_at(notice, current_user) is not None
    if not read and notice.is_live(now) and mark_read(notice, current_user, now=now):
        db.session.commit()
        read = True
    return _notice_body(notice, read)


@blp.route("", methods=["POST"])
@blp.arguments(NoticeCreateSchema)
@blp.response(201, NoticeSchema)
@api_login_required
def create(args):
    """Officers: post a circular to the whole association or to chosen blocks."""
    if not can_manage_notices(current_user):
        abort(403, message=_("回覧を出せるのは役員だけです。"))
    try:
        notice = create_notice(current_user.association, current_user, NoticeInput(**args))
    except NoticeError as error:
        _fail(error)
    db.session.commit()
    return _notice_body(notice, read=False)


def _followed_blocks(notice: Notice, block_id: int | None) -> list[Block]:
    if block_id is not None:
        block = db.session.get(Block, block_id)
        if block is None or block.association_id != current_user.association_id:
            abort(404, message=_("班が見つかりません。"))
        if not can_follow_block(current_user, notice, block):
            abort(403, message=_("この班の確認はできません。"))
        return [block]
    blocks = [b for b in audience_blocks(notice) if can_follow_block(current_user, notice, b)]
    if not blocks:
        abort(403, message=_("確認できる班がありません。"))
    return blocks


@blp.route("/<int:notice_id>/receipts")
@blp.arguments(ReceiptQuerySchema, location="query")
@blp.response(200, ReceiptSchema(many=True))
@api_login_required
def receipts(args, notice_id: int):
    """Leaders (their blocks) and officers: each household's read state, unread first."""
    notice = _load(notice_id)
    blocks = _followed_blocks(notice, args["block_id"])
    households = (
        db.session.query(Household)
        .filter(Household.block_id.in_([b.id for b in blocks]))
        .order_by(Household.position, Household.id)
        .all()
    )
    return [_receipt_body(state) for state in household_states(notice, households)]


def _receipt_body(state) -> dict:
    return {
        "household_id": state.household.id,
        "household_name": state.household.name,
        "block_id": state.household.block_id,
        "paper_only": state.household.paper_only,
        "read": state.read,
        "read_at": state.read_at,
        "via": state.via,
        "read_by": state.reader_name or state.recorder_name,
        "acknowledged": state.acknowledged,
        "done": state.done,
        "recorded": {"via": state.recorded_via, "at": state.recorded_at, "by": state.recorder_name}
        if state.recorded_via
        else None,
        "members": [
            {
                "member_id": m.member_id,
                "name": m.name,
                "read": m.read,
                "read_at": m.read_at,
                "via": m.via,
                "acknowledged": m.acknowledged,
                "acknowledged_at": m.acknowledged_at,
            }
            for m in state.members
        ],
    }


@blp.route("/<int:notice_id>/ack", methods=["POST"])
@blp.arguments(AckSchema)
@blp.response(201, AckResultSchema)
@blp.alt_response(200, schema=AckResultSchema, description="Acknowledged before.")
@api_login_required
def ack(args, notice_id: int):
    """確認しました: the member says they have read the circular (apart from opening it).

    Pressed offline, it may arrive after the circular was withdrawn or expired: it is then
    answered as not stored (200), not refused, since there is nothing left to confirm."""
    gone = db.session.get(Notice, notice_id)
    if (
        gone is not None
        and gone.association_id == current_user.association_id
        and is_recipient(current_user, gone)
        and gone.published_at is not None
        and not gone.is_live(utcnow())
    ):
        return {"stored": False, "acknowledged_at": acknowledged_at(gone, current_user)}, 200
    notice = _load(notice_id)
    try:
        stored = acknowledge(notice, current_user)
    except NoticeError as error:
        _fail(error)
    db.session.commit()
    body = {"stored": stored, "acknowledged_at": acknowledged_at(notice, current_user)}
    return body, 201 if stored else 200


@blp.route("/<int:notice_id>/receipts", methods=["POST"])
@blp.arguments(ReceiptCreateSchema)
@blp.response(201, ReceiptSchema)
@blp.alt_response(200, schema=ReceiptSchema, description="The household was already read.")
@api_login_required
def record_receipt(args, notice_id: int):
    """Leaders and officers: record a household as read on paper or in person."""
    notice = _load(notice_id)
    household = db.session.get(Household, args["household_id"])
    if household is None or household.association_id != current_user.association_id:
        abort(404, message=_("世帯が見つかりません。"))
    if not can_record_for(current_user, notice, household):
        abort(403, message=_("この世帯の記録はできません。"))
    try:
        _receipt, created = record_household_read(notice, household, args["via"], current_user)
    except NoticeError as error:
        _fail(error)
    db.session.commit()
    state = household_states(notice, [household])[0]
    return _receipt_body(state), 201 if created else 200
