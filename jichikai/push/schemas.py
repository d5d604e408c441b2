"""JSON shapes of the push API: the browser's PushSubscription.toJSON()."""

from marshmallow import EXCLUDE, Schema, fields, validate


class KeysSchema(Schema):
    p256dh = fields.Str(required=True, validate=validate.Length(min=80, max=200))
    auth = fields.Str(required=True, validate=validate.Length(min=16, max=100))


class SubscriptionSchema(Schema):
    """PushSubscription.toJSON(), as browsers produce it."""

    class Meta:
        unknown = EXCLUDE

    endpoint = fields.Str(required=True, validate=validate.Length(min=10, max=1000))
    expirationTime = fields.Int(allow_none=True, load_default=None)  # noqa: N815
    keys = fields.Nested(KeysSchema, required=True)


class EndpointSchema(Schema):
    endpoint = fields.Str(required=True, validate=validate.Length(min=1, max=1000))


class SubscriptionOutSchema(Schema):
    id = fields.Int()
    endpoint = fields.Str()
    created_at = fields.DateTime()


class PublicKeySchema(Schema):
    public_key = fields.Str(metadata={"description": "applicationServerKey, base64url"})
