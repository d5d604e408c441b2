"""JSON: who is logged in."""

from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from marshmallow import Schema, fields

from ..apitools import ApiBlueprint, api_login_required
from ..i18n import member_language

blp = ApiBlueprint("api_auth", __name__, url_prefix="/api/v1", description="The logged-in member")


class HouseholdSchema(Schema):
    id = fields.Int()
    name = fields.Str()
    block_id = fields.Int()
    block_name = fields.Function(lambda h: h.block.name)
    paper_only = fields.Bool()


class AssociationSchema(Schema):
    id = fields.Int()
    name = fields.Str()
    municipality = fields.Str()
    timezone = fields.Str()


class RolesSchema(Schema):
    admin = fields.Bool()
    officer = fields.Bool()
    leader_block_ids = fields.List(fields.Int())


class MeSchema(Schema):
    id = fields.Int()
    name = fields.Str()
    kana = fields.Str()
    language = fields.Str()
    text_size = fields.Str()
    household = fields.Nested(HouseholdSchema, allow_none=True)
    association = fields.Nested(AssociationSchema)
    roles = fields.Nested(RolesSchema)
    csrf_token = fields.Str()


@blp.route("/me")
@blp.response(200, MeSchema)
@api_login_required
def me():
    """The logged-in member, their household, roles and association, and a CSRF token."""
    return {
        "id": current_user.id,
        "name": current_user.name,
        "kana": current_user.kana,
        "language": member_language(current_user),  # what the member reads, as offered
        "text_size": current_user.text_size,
        "household": current_user.household,
        "association": current_user.association,
        "roles": {
            "admin": current_user.is_admin,
            "officer": current_user.is_officer,
            "leader_block_ids": sorted(current_user.led_block_ids),
        },
        "csrf_token": generate_csrf(),
    }
