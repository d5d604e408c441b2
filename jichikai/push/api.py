"""JSON: the VAPID public key and this browser's push subscription."""

from flask import current_app, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import abort

from ..apitools import ApiBlueprint, api_login_required
from ..extensions import db
from .schemas import EndpointSchema, PublicKeySchema, SubscriptionOutSchema, SubscriptionSchema
from .services import (
    SubscriptionError,
    SubscriptionTaken,
    allowed_origins,
    subscribe,
    unsubscribe,
)
from .vapid import app_vapid, public_key_b64

blp = ApiBlueprint(
    "api_push", __name__, url_prefix="/api/v1/push", description="Web Push subscriptions"
)


@blp.route("/vapid-public-key")
@blp.response(200, PublicKeySchema)
def vapid_public_key():
    """The applicationServerKey to pass to pushManager.subscribe()."""
    return {"public_key": public_key_b64(app_vapid())}


@blp.route("/subscriptions", methods=["POST"])
@blp.arguments(SubscriptionSchema)
@blp.response(201, SubscriptionOutSchema)
@blp.alt_response(200, schema=SubscriptionOutSchema, description="Already known; updated")
@blp.alt_response(409, description="Another browser's endpoint: subscribe anew")
@api_login_required
def create_subscription(data):
    """Save this browser's PushSubscription.toJSON() for the logged-in member."""
    try:
        subscription, created = subscribe(
            current_user,
            data["endpoint"],
            data["keys"]["p256dh"],
            data["keys"]["auth"],
            origins=allowed_origins(current_app.config.get("PUSH_ALLOWED_ORIGINS")),
            expiration_ms=data.get("expirationTime"),
            user_agent=request.headers.get("User-Agent", ""),
            device_id=current_user.current_device.id,
        )
    except SubscriptionTaken:
        db.session.rollback()
        # Says nothing of whose it is; the browser makes a new subscription (push.js).
        abort(409, message=_("この端末の通知の登録を受け付けられませんでした。"))
    except SubscriptionError as error:
        db.session.rollback()
        abort(
            400,
            message=_("この端末の通知の登録を受け付けられませんでした。"),
            messages={"subscription": [str(error)]},
        )
    db.session.commit()
    return subscription, (201 if created else 200)


@blp.route("/subscriptions", methods=["DELETE"])
@blp.arguments(EndpointSchema)
@blp.response(204)
@api_login_required
def delete_subscription(data):
    """Stop push messages to this browser."""
    if not unsubscribe(current_user, data["endpoint"]):
        abort(404, message=_("この端末は登録されていません。"))
    db.session.commit()
