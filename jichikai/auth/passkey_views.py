"""Passkey pages and the JSON steps their script calls; an admin's recovery and policy pages."""

import time

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from ..database import get_scoped_or_404
from ..extensions import db
from ..forms import ConfirmForm
from ..org.models import Member
from ..org.views import get_member_or_404, officer_required
from . import bp
from .forms import PasskeyNameForm, PasskeyPolicyForm
from .limits import per_address, per_address_every_request
from .models import Device, Passkey
from .passkeys import (
    PasskeyError,
    authentication_options,
    can_recover_passkeys,
    has_passkey,
    log_in_with_passkey,
    may_register_first_passkey,
    member_passkeys,
    must_register_passkey,
    officers_without_passkey,
    passkey_login_refusal,
    passkey_required_for,
    recover_passkeys,
    register_passkey,
    registration_options,
    relying_party,
    remove_passkey,
    set_passkey_policy,
)
from .services import revoke_device
from .views import CHECKS_ITS_OWN_LOGIN, _log_in

# The session keys: the challenge handed to this browser, and the member who gave a correct
# password and still owes a passkey (policy "both").
CHALLENGE_KEY = "passkey_challenge"
SECOND_STEP_KEY = "passkey_second"
SECOND_STEP_SECONDS = 300


def _rp():
    base = current_app.config.get("PASSKEY_ORIGIN") or current_app.config.get("PUBLIC_URL")
    return relying_party(base or request.host_url, current_app.config["PASSKEY_RP_NAME"])


def _options_response(options_and_challenge):
    options, challenge = options_and_challenge
    session[CHALLENGE_KEY] = challenge
    db.session.commit()
    return current_app.response_class(options, mimetype="application/json")


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("credential"), dict):
        abort(400)
    return body


def _error(message: str, status: int = 400):
    return jsonify({"code": status, "message": message}), status


# One's own passkeys


@bp.get("/me/passkeys")
@officer_required
def passkeys():
    return render_template(
        "auth/passkeys.html",
        passkeys=member_passkeys(current_user),
        name_form=PasskeyNameForm(),
        must_register=_must_register(),
        password_needed=not _may_register_here(),
    )


@bp.post("/me/passkeys/options")
@officer_required
def passkey_register_options():
    return _options_response(registration_options(current_user, _rp()))


@bp.post("/me/passkeys")
@officer_required
def passkey_register():
    body = _body()
    must_register = _must_register()
    try:
        register_passkey(
            current_user,
            body["credential"],
            str(body.get("name") or ""),
            session.pop(CHALLENGE_KEY, ""),
            _rp(),
        )
    except PasskeyError as error:
        db.session.commit()  # the challenge stays used
        return _error(str(error))
    if must_register:
        # Logged in without a passkey only to register one: now log in with it.
        revoke_device(db.session.get(Device, current_user.current_device.id), by=current_user)
        db.session.commit()
        logout_user()
        flash(_("パスキーを登録しました。そのパスキーで、もう一度ログインしてください。"))
        return jsonify({"redirect": url_for("auth.login")}), 201
    db.session.commit()
    flash(_("パスキーを登録しました。"))
    return jsonify({"redirect": url_for("auth.passkeys")}), 201


@bp.route("/me/passkeys/<int:passkey_id>/remove", methods=["GET", "POST"])
@officer_required
def passkey_remove(passkey_id: int):
    passkey = get_scoped_or_404(Passkey, passkey_id, current_user.association_id)
    if passkey.member_id != current_user.id:
        abort(404)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            remove_passkey(passkey, by=current_user)
        except PasskeyError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("パスキーを消しました。"))
        return redirect(url_for("auth.passkeys"))
    return render_template("auth/passkey_remove.html", passkey=passkey, form=form)


# An admin's pages: another officer's lost passkeys, the association's policy


def _member_for_recovery(member_id: int) -> Member:
    member = get_member_or_404(member_id)
    if not can_recover_passkeys(current_user, member):
        abort(403)
    return member


@bp.get("/admin/members/<int:member_id>/passkeys")
@login_required
def admin_passkeys(member_id: int):
    member = _member_for_recovery(member_id)
    return render_template(
        "auth/admin/passkeys.html",
        member=member,
        passkeys=member_passkeys(member),
        form=ConfirmForm(),
    )


@bp.post("/admin/members/<int:member_id>/passkeys/remove")
@login_required
def admin_passkeys_remove(member_id: int):
    member = _member_for_recovery(member_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    removed = recover_passkeys(member, by=current_user)
    db.session.commit()
    flash(
        _(
            "%(name)s さんのパスキーを %(count)d 件消しました。"
            "次にパスワードでログインしたとき、新しいパスキーを登録してもらいます。",
            name=member.name,
            count=removed,
        )
    )
    return redirect(url_for("auth.admin_passkeys", member_id=member.id))


@bp.route("/admin/passkey-policy", methods=["GET", "POST"])
@login_required
def passkey_policy():
    if not current_user.is_admin:
        abort(403)
    association = current_user.association
    form = PasskeyPolicyForm(data={"policy": association.passkey_policy})
    if form.validate_on_submit():
        try:
            set_passkey_policy(association, form.policy.data, by=current_user)
        except PasskeyError as error:
            form.policy.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("設定を保存しました。"))
            return redirect(url_for("auth.passkey_policy"))
    status = 422 if form.errors else 200
    return render_template(
        "auth/passkey_policy.html",
        form=form,
        without_passkey=officers_without_passkey(association),
    ), status


# Logging in with a passkey: alone (usernameless), or after the password (policy "both")


@bp.post("/login/passkey/options")
@per_address_every_request
def passkey_login_options():
    return _options_response(authentication_options(_rp()))


@bp.post("/login/passkey")
@per_address
def passkey_login():
    body = _body()
    try:
        member = log_in_with_passkey(
            body["credential"], session.pop(CHALLENGE_KEY, ""), _rp(), ip=request.remote_addr or ""
        )
    except PasskeyError as error:
        db.session.commit()  # the failure's audit record and the used challenge
        return _error(str(error))
    refusal = passkey_login_refusal(member)
    if refusal:
        db.session.commit()
        return _error(refusal, 403)
    return _json_log_in(member, "passkey")


def _second_step_member() -> Member | None:
    pending = session.get(SECOND_STEP_KEY) or {}
    if time.time() - pending.get("at", 0) > SECOND_STEP_SECONDS:
        return None
    return db.session.get(Member, pending.get("member_id"))


def begin_second_step(member: Member):
    """After a correct password where a passkey must follow: the passkey page."""
    session[SECOND_STEP_KEY] = {"member_id": member.id, "at": time.time()}
    return redirect(url_for("auth.passkey_second", next=request.args.get("next")))


@bp.get("/login/passkey/second")
def passkey_second():
    if _second_step_member() is None:
        flash(_("もう一度、メールアドレスとパスワードを入れてください。"))
        return redirect(url_for("auth.login", next=request.args.get("next")))
    return render_template("auth/passkey_second.html")


@bp.post("/login/passkey/second/options")
@per_address_every_request
def passkey_second_options():
    member = _second_step_member()
    if member is None:
        return _error(_("もう一度、メールアドレスとパスワードを入れてください。"), 403)
    return _options_response(authentication_options(_rp(), member))


@bp.post("/login/passkey/second")
@per_address
def passkey_second_login():
    body = _body()
    member = _second_step_member()
    if member is None:
        return _error(_("もう一度、メールアドレスとパスワードを入れてください。"), 403)
    try:
        log_in_with_passkey(
            body["credential"],
            session.pop(CHALLENGE_KEY, ""),
            _rp(),
            ip=request.remote_addr or "",
            member=member,
        )
    except PasskeyError as error:
        db.session.commit()
        return _error(str(error))
    session.pop(SECOND_STEP_KEY, None)
    return _json_log_in(member, "password+passkey")


def _json_log_in(member: Member, method: str):
    """Log in as the other login routes do (a device, `next`), answered as JSON for the script."""
    response = _log_in(member, method)
    return jsonify({"redirect": response.location})


# Where a passkey is required, an officer logged in without one may only register one.

# Not even looked at: files, and a safety report in disaster mode (always taken, and its
# one-statement path must not load the login).
NEVER_HELD = {"static", *CHECKS_ITS_OWN_LOGIN}
REGISTERING = {"auth.passkey_register_options", "auth.passkey_register"}
OPEN_WHILE_REGISTERING = {
    "auth.logout",
    "auth.passkeys",
    "auth.passkey_register_options",
    "auth.passkey_register",
}


def _may_register_here() -> bool:
    device = db.session.get(Device, current_user.current_device.id)
    return may_register_first_passkey(current_user, device.method if device else "")


def _must_register() -> bool:
    if not passkey_required_for(current_user):
        return False
    device = db.session.get(Device, current_user.current_device.id)
    return must_register_passkey(current_user, device.method if device else "")


@bp.before_app_request
def require_passkey_registration():
    endpoint = request.endpoint or ""
    if endpoint in NEVER_HELD or endpoint.startswith("pwa."):
        return None
    if not current_user.is_authenticated or not _must_register():
        return None
    if has_passkey(current_user):
        # A login from before the policy, or by card: this member logs in with their passkey.
        revoke_device(db.session.get(Device, current_user.current_device.id), by=current_user)
        db.session.commit()
        logout_user()
        message = _(
            "この自治会では、役員の方はパスキーでログインします。もう一度ログインしてください。"
        )
        if request.path.startswith("/api/"):
            return _error(message, 401)
        flash(message)
        return redirect(url_for("auth.login"))
    if endpoint in REGISTERING and not _may_register_here():
        return _error(
            _("パスキーの登録は、メールアドレスとパスワードでログインしてからできます。"), 403
        )
    if endpoint in OPEN_WHILE_REGISTERING:
        return None
    if request.path.startswith("/api/"):
        return _error(_("先にパスキーを登録してください。"), 403)
    return redirect(url_for("auth.passkeys"))
