"""Marshmallow schemas of the notices API (they document /api/v1/openapi.json)."""

from marshmallow import Schema, fields, validate

from ..apitools import Id
from .models import CATEGORIES, CATEGORY_GENERAL, RECORDED_VIAS
from .search import QUERY_MAX
from .services import MAX_PAGE


class NoticeListItemSchema(Schema):
    id = fields.Int()
    title = fields.Str()
    category = fields.Str(metadata={"enum": list(CATEGORIES)})
    published_at = fields.DateTime()
    updated_at = fields.DateTime(allow_none=True)
    read = fields.Bool()
    ack_required = fields.Bool(metadata={"description": "要確認: 確認しました is asked for."})
    acknowledged = fields.Bool()
    done = fields.Bool(
        metadata={"description": "Read; for an ack_required circular, acknowledged."}
    )


class NoticeFeedQuerySchema(Schema):
    page = fields.Int(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    category = fields.Str(
        load_default=None,
        validate=validate.OneOf(CATEGORIES),
        metadata={"description": "Only circulars of this category."},
    )


class NoticeSearchQuerySchema(NoticeFeedQuerySchema):
    q = fields.Str(
        required=True,
        validate=validate.Length(min=1, max=QUERY_MAX),
        metadata={"description": "Words (separated by spaces) that the title or body holds."},
    )


class NoticeFoundSchema(NoticeListItemSchema):
    expired = fields.Bool(metadata={"description": "Its time on the board has ended."})


class AttachmentSchema(Schema):
    id = fields.Int()
    filename = fields.Str()
    content_type = fields.Str()
    size = fields.Int()
    url = fields.Str()
    web_url = fields.Str(allow_none=True)


class ReplyOptionSchema(Schema):
    id = fields.Int()
    label = fields.Str()


class ReplyQuestionSchema(Schema):
    id = fields.Int()
    kind = fields.Str(metadata={"enum": ["single", "multiple", "short", "long", "number"]})
    label = fields.Str()
    required = fields.Bool()
    min = fields.Int(allow_none=True)
    max = fields.Int(allow_none=True)
    options = fields.List(fields.Nested(ReplyOptionSchema))
    answer = fields.List(
        fields.Str(),
        metadata={"description": "The caller's answer: option ids, a text or a number."},
    )


class ReplyFormSchema(Schema):
    kind = fields.Str(metadata={"enum": ["attendance", "survey"]})
    per = fields.Str(metadata={"enum": ["household", "member"]})
    deadline = fields.DateTime(allow_none=True)
    open = fields.Bool()
    questions = fields.List(fields.Nested(ReplyQuestionSchema))
    answered_at = fields.DateTime(allow_none=True)


class NoticeTranslationSchema(Schema):
    language = fields.Str(metadata={"description": "A LANGUAGES code, e.g. vi, zh_Hans."})
    title = fields.Str()
    body = fields.Str()
    machine = fields.Bool(metadata={"description": "Made by machine translation: say so."})


class NoticeSchema(Schema):
    id = fields.Int()
    title = fields.Str(metadata={"description": "As written, in `language`."})
    body = fields.Str()
    language = fields.Str(metadata={"description": "The language the circular is written in."})
    translation = fields.Nested(
        NoticeTranslationSchema,
        allow_none=True,
        metadata={"description": "The title and body in the member's language, if translated."},
    )
    category = fields.Str(metadata={"enum": list(CATEGORIES)})
    published_at = fields.DateTime(allow_none=True)
    publish_at = fields.DateTime()
    updated_at = fields.DateTime(allow_none=True)
    expires_at = fields.DateTime(allow_none=True)
    block_ids = fields.List(fields.Int(), metadata={"description": "Empty: every block."})
    read = fields.Bool()
    ack_required = fields.Bool()
    acknowledged_at = fields.DateTime(allow_none=True)
    attachments = fields.List(fields.Nested(AttachmentSchema))
    reply_form = fields.Nested(ReplyFormSchema, allow_none=True)


class NoticeCreateSchema(Schema):
    title = fields.Str(
        required=True,
        validate=validate.Length(min=1, max=200, error="題名は1文字以上200文字以内です。"),
    )
    body = fields.Str(
        load_default="",
        validate=validate.Length(max=10_000, error="本文は10000文字までです。"),
    )
    category = fields.Str(load_default=CATEGORY_GENERAL, validate=validate.OneOf(CATEGORIES))
    block_ids = fields.List(
        Id(strict=True),
        load_default=list,
        metadata={"description": "Omitted or empty: the whole association."},
    )
    publish_at = fields.AwareDateTime(
        load_default=None, allow_none=True, metadata={"description": "Later: scheduled."}
    )
    expires_at = fields.AwareDateTime(load_default=None, allow_none=True)
    ack_required = fields.Bool(
        load_default=None,
        allow_none=True,
        metadata={"description": "要確認; omitted: the association's setting."},
    )


class ReceiptQuerySchema(Schema):
    block_id = Id(
        load_default=None,
        metadata={"description": "One block; omitted: every block the caller follows."},
    )


class MemberReceiptSchema(Schema):
    member_id = fields.Int()
    name = fields.Str()
    read = fields.Bool()
    read_at = fields.DateTime(allow_none=True)
    via = fields.Str(allow_none=True, metadata={"enum": ["app", "email", "line"]})
    acknowledged = fields.Bool()
    acknowledged_at = fields.DateTime(allow_none=True)


class HouseholdRecordSchema(Schema):
    via = fields.Str(metadata={"enum": list(RECORDED_VIAS)})
    at = fields.DateTime()
    by = fields.Str(allow_none=True)


class ReceiptSchema(Schema):
    household_id = fields.Int()
    household_name = fields.Str()
    block_id = fields.Int()
    paper_only = fields.Bool()
    read = fields.Bool(metadata={"description": "Any member read it, or a leader recorded it."})
    read_at = fields.DateTime(allow_none=True)
    via = fields.Str(allow_none=True, metadata={"enum": ["app", "email", "line", "paper", "proxy"]})
    read_by = fields.Str(
        allow_none=True,
        metadata={"description": "Who read it first, or the leader who recorded it."},
    )
    acknowledged = fields.Bool(
        metadata={"description": "A member pressed 確認しました, or a leader recorded it."}
    )
    done = fields.Bool(
        metadata={"description": "What the counts count: read, or acknowledged (要確認)."}
    )
    recorded = fields.Nested(
        HouseholdRecordSchema,
        allow_none=True,
        metadata={"description": "A leader's paper or proxy record, for the whole household."},
    )
    members = fields.List(fields.Nested(MemberReceiptSchema))


class AckSchema(Schema):
    client_id = fields.Str(
        load_default=None,
        validate=validate.Length(max=64),
        metadata={"description": "Set by the offline queue; sending again is harmless."},
    )


class AckResultSchema(Schema):
    stored = fields.Bool(
        metadata={"description": "False: acknowledged before, or the circular has gone."}
    )
    acknowledged_at = fields.DateTime(allow_none=True)


class ReceiptCreateSchema(Schema):
    household_id = Id(required=True, strict=True)
    via = fields.Str(required=True, validate=validate.OneOf(RECORDED_VIAS))


class OfflineNoticeSchema(Schema):
    id = fields.Int()
    url = fields.Str()
    attachments = fields.List(fields.Str())


class OfflineSetSchema(Schema):
    notices = fields.List(fields.Nested(OfflineNoticeSchema))
    budget = fields.Int(metadata={"description": "Bytes the attachments may take."})
    used = fields.Int()
    skipped = fields.List(fields.Str(), metadata={"description": "Beyond the budget."})
