"""Login pages: card QR link, typed code, officer password; logout and devices."""

from flask import (
    abort,
    after_this_request,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_login.config import COOKIE_NAME

from ..database import get_scoped_or_404
from ..extensions import db
from ..forms import ConfirmForm
from ..http import unauthorized, wants_json
from ..i18n import member_language, offered_languages
from ..links import local_path
from . import bp
from .devices import BROWSER_COOKIE, BROWSER_COOKIE_DAYS, browser_key, device_name, new_browser_key
from .forms import CodeLoginForm, PasswordLoginForm, PreferencesForm
from .limits import per_address, per_card, per_code_prefix, per_email, remember_email
from .models import Device
from .passkeys import password_login_step
from .services import (
    member_devices,
    member_for_code,
    member_for_password,
    member_for_token,
    revoke_device,
    start_device,
)

bp.add_app_template_filter(device_name, "device_name")


def _log_in(member, method: str):
    """Start a device for `member` and go where `next` asks, if it is a path on this site."""
    target = local_path(request.args.get("next")) or url_for("home.index")
    key = browser_key(request.cookies.get(BROWSER_COOKIE)) or new_browser_key()
    start_device(
        member,
        method,
        user_agent=request.headers.get("User-Agent", ""),
        ip=request.remote_addr or "",
        browser_key=key,
    )
    db.session.commit()

    @after_this_request
    def remember_browser(response):
        response.set_cookie(
            BROWSER_COOKIE,
            key,
            max_age=BROWSER_COOKIE_DAYS * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        )
        return response

    login_user(member, remember=True)
    return redirect(target)


@bp.get("/login")
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    return render_template(
        "auth/login.html", code_form=CodeLoginForm(), password_form=PasswordLoginForm()
    )


@bp.post("/login/code")
@per_address
@per_code_prefix
def login_code():
    form = CodeLoginForm()
    if form.validate_on_submit():
        member = member_for_code(form.code.data)
        if member is not None:
            return _log_in(member, "code")
        form.code.errors.append(
            _("この番号ではログインできません。カードの番号をもう一度お確かめください。")
        )
    return render_template(
        "auth/login.html", code_form=form, password_form=PasswordLoginForm(formdata=None)
    ), 400


@bp.post("/login/password")
@per_address
@per_email
def login_password():
    form = PasswordLoginForm()
    if form.validate_on_submit():
        member = member_for_password(form.email.data, form.password.data)
        step = password_login_step(member) if member is not None else None
        if step == "log_in":
            return remember_email(_log_in(member, "password"), form.email.data)
        if step == "passkey":
            from .passkey_views import begin_second_step

            return remember_email(begin_second_step(member), form.email.data)
        if step == "refuse":
            form.password.errors.append(_("役員の方は「パスキーでログイン」を押してください。"))
        else:
            form.password.errors.append(_("メールアドレスかパスワードが違います。"))
    return render_template(
        "auth/login.html", code_form=CodeLoginForm(formdata=None), password_form=form
    ), 400


@bp.get("/c/<token>")
@per_address
@per_card
def card(token: str):
    """The QR code's link: one tap to log in (a GET alone changes nothing)."""
    member = member_for_token(token)
    if member is None:
        return render_template("auth/card_invalid.html"), 404
    return render_template(
        "auth/card.html",
        member=member,
        form=ConfirmForm(),
        switch_languages=offered_languages(member.association),
    )


@bp.post("/c/<token>")
@per_address
@per_card
def card_login(token: str):
    form = ConfirmForm()
    member = member_for_token(token)
    if member is None:
        return render_template("auth/card_invalid.html"), 404
    if not form.validate_on_submit():
        abort(400)
    if current_user.is_authenticated:
        logout_user()
    return _log_in(member, "qr")


def forget_this_browser(response):
    """The browser drops what it kept: pages for offline reading, the check-in outbox (both
    personal data), the service worker."""
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@bp.post("/logout")
@login_required
def logout():
    device = db.session.get(Device, current_user.current_device.id)
    revoke_device(device, by=current_user)
    db.session.commit()
    logout_user()
    flash(_("ログアウトしました。"))
    return forget_this_browser(redirect(url_for("auth.login")))


def _carries_a_login() -> bool:
    cookie = current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME)
    return session.get("_user_id") is not None or cookie in request.cookies


# Endpoints that check the login in their own statement (the one-statement check-in, see
# disaster/quick.py); the hooks before every request leave them alone so that they stay one
# statement. A revoked device's report there falls back to the general path and gets a 401.
CHECKS_ITS_OWN_LOGIN = {"api_disaster.checkin"}


@bp.before_app_request
def end_a_revoked_login():
    """A browser whose login stopped working (a lost phone revoked by an officer, a member
    deactivated) gets 401 once, page or API, and forgets its kept pages and queued check-ins;
    it is an ordinary visitor from then on."""
    if request.endpoint == "static" or request.endpoint in CHECKS_ITS_OWN_LOGIN:
        return None
    if not _carries_a_login() or current_user.is_authenticated:
        return None
    logout_user()  # the session's id and the remember cookie go
    if wants_json():
        response = make_response(unauthorized())
    else:
        # A card's QR link, a circular: the same page again, now as a visitor.
        again = local_path(request.full_path.rstrip("?")) if request.method == "GET" else None
        page = render_template("auth/logged_out.html", again=again or url_for("auth.login"))
        response = make_response(page, 401)
    return forget_this_browser(response)


@bp.get("/me/devices")
@login_required
def devices():
    return render_template(
        "auth/devices.html", devices=member_devices(current_user), form=ConfirmForm()
    )


def revoke_device_of(member, device_id: int) -> Device:
    """Log out one of `member`'s devices (a lost phone); another's device answers 404."""
    device = get_scoped_or_404(Device, device_id, current_user.association_id)
    if device.member_id != member.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    revoke_device(device, by=current_user)
    db.session.commit()
    flash(_("その端末をログアウトさせました。"))
    return device


@bp.post("/me/devices/<int:device_id>/revoke")
@login_required
def revoke(device_id: int):
    device = revoke_device_of(current_user, device_id)
    if device.id == current_user.current_device.id:
        logout_user()
        return redirect(url_for("auth.login"))
    return redirect(url_for("auth.devices"))


@bp.route("/me/settings", methods=["GET", "POST"])
@login_required
def settings():
    form = PreferencesForm(obj=current_user, languages=offered_languages(current_user.association))
    if request.method == "GET":
        form.language.data = member_language(current_user)  # a language no longer offered
    if form.validate_on_submit():
        current_user.language = form.language.data
        current_user.text_size = form.text_size.data
        db.session.commit()
        flash(_("設定を保存しました。"))
        return redirect(url_for("auth.settings"))
    return render_template("auth/settings.html", form=form), 422 if form.errors else 200
