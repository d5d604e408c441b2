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


class ReplyFormSchema(Schema):
    kind = fields.Str(metadata={"enum": ["attendance", "survey"]})
    per = fields.Str(metadata={"enum": ["household", "member"]})
    deadline = fields.DateTime(allow_none=True)
    open = fields.Bool()
    options = fields.List(fields.Nested(ReplyOptionSchema))
    answer_option_id = fields.Int(allow_none=True)


class NoticeSchema(Schema):
    id = fields.Int()
    title = fields.Str()
    body = fields.Str()
    category = fields.Str(metadata={"enum": list(CATEGORIES)})
    published_at = fields.DateTime(allow_none=True)
    publish_at = fields.DateTime()
    updated_at = fields.DateTime(allow_none=True)
    expires_at = fields.DateTime(allow_none=True)
    block_ids = fields.List(fields.Int(), metadata={"description": "Empty: every block."})
    read = fields.Bool()
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


class ReceiptQuerySchema(Schema):
    block_id = Id(
        load_default=None,
        metadata={"description": "One block; omitted: every block the caller follows."},
    )


class ReceiptSchema(Schema):
    household_id = fields.Int()
    household_name = fields.Str()
    block_id = fields.Int()
    paper_only = fields.Bool()
    read = fields.Bool()
    read_at = fields.DateTime(allow_none=True)
    via = fields.Str(allow_none=True, metadata={"enum": ["app", "paper", "proxy"]})
    read_by = fields.Str(
        allow_none=True,
        metadata={"description": "Who read it in the app, or the leader who recorded it."},
    )


class ReceiptCreateSchema(Schema):
    household_id = Id(required=True, strict=True)
    via = fields.Str(required=True, validate=validate.OneOf(RECORDED_VIAS))
