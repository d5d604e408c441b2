"""HTTP behaviour shared by every page: errors, security headers."""

import logging
import math
import time
from datetime import UTC, datetime

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_babel import format_time, ngettext
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import BadRequest, HTTPException

from .database import database_unavailable, describe_database_error
from .extensions import limiter

log = logging.getLogger(__name__)

# What a 503 tells phones and the offline outbox: try again after this many seconds.
RETRY_AFTER_SECONDS = 10

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "manifest-src 'self'",
        "worker-src 'self'",
    ]
)

# A year, this host only: a neighbouring service on a subdomain may still need plain http.
HSTS = "max-age=31536000"


def wants_json() -> bool:
    """API routes answer in JSON, pages in HTML."""
    return request.path.startswith("/api/")


def error_messages() -> dict[int, str]:
    return {
        400: _("入力に誤りがあります。"),
        401: _("ログインしてください。"),
        403: _("この操作はできません。"),
        404: _("ページが見つかりません。"),
        405: _("この操作はできません。"),
        409: _("ほかの変更と重なりました。もう一度お試しください。"),
        413: _("ファイルが大きすぎます。"),
        422: _("入力に誤りがあります。"),
        429: _("回数が多すぎます。しばらく待ってからお試しください。"),
    }


def forget_member() -> None:
    """Render the rest of this request as for a visitor, without loading the member.

    An error page must not query the database: the database may be the error, and a member
    loaded before a rollback would reload its attributes from it. The language then comes
    from the request (see i18n.select_locale). The session is left alone: the member stays
    logged in. Flask-Login keeps the request's user in `g._login_user`.
    """
    from .extensions import login_manager

    g._login_user = login_manager.anonymous_user()


def handle_database_error(error: Exception):
    """503 with Retry-After when the database is away; one log line, no query."""
    if not database_unavailable(error):
        raise error
    forget_member()
    log.warning(
        "database unavailable: %s %s: %s",
        request.method,
        request.path,
        describe_database_error(error),
    )
    message = _("ただいま、つながりにくくなっています。少し待ってから、もう一度お試しください。")
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
    if wants_json():
        body = {"code": 503, "status": "Service Unavailable", "message": message}
        return jsonify(body), 503, headers
    detail = _(
        "送った内容は、届いていないかもしれません。安否の報告は、つながったときに自動で送ります。"
    )
    page = render_template("error.html", code=503, message=message, detail=detail)
    return page, 503, headers


def handle_http_exception(error: HTTPException):
    """JSON for the API (with flask-smorest's extra details), a friendly page elsewhere."""
    code = error.code or 500
    if code >= 500:
        forget_member()  # the session may need a rollback: no lazy loads while rendering
    message = error_messages().get(code, _("問題が起きました。時間をおいてお試しください。"))
    headers = error_headers(error)
    if wants_json():
        body = {"code": code, "status": error.name, "message": message}
        data = getattr(error, "data", None) or {}
        if data.get("message"):
            body["message"] = data["message"]
        if data.get("messages"):
            body["errors"] = data["messages"]
        elif error.description and error.description != type(error).description:
            body["message"] = error.description
        return jsonify(body), code, headers
    detail = error.description if error.description != type(error).description else ""
    return render_template("error.html", code=code, message=message, detail=detail), code, headers


def error_headers(error: HTTPException) -> dict[str, str]:
    """The headers an error brings (Allow on a 405), besides its own Content-Type."""
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    headers.update(getattr(error, "headers", None) or {})  # flask-smorest's abort(headers=)
    return headers


def handle_csrf_error(error: CSRFError):
    message = _("画面の有効期限が切れました。もう一度お試しください。")
    if wants_json():
        return jsonify({"code": 400, "status": "Bad Request", "message": message}), 400
    return render_template("error.html", code=400, message=message, detail=""), 400


def retry_after_seconds() -> int:
    """Seconds until every limit this request broke has been reset (at least one)."""
    broken = [limit.reset_at for limit in limiter.current_limits if limit.breached]
    reset_at = max(broken, default=time.time() + 60)
    return max(1, math.ceil(reset_at - time.time()))


def handle_rate_limit(error: RateLimitExceeded):
    """Too many attempts: say in the member's language when to try again (not the raw limit)."""
    seconds = retry_after_seconds()
    minutes = max(1, round(seconds / 60))
    again = datetime.fromtimestamp(time.time() + seconds, UTC)
    message = error_messages()[429]
    detail = ngettext(
        "%(time)sごろ（あと%(num)d分ほど）から、もう一度お試しいただけます。",
        "%(time)sごろ（あと%(num)d分ほど）から、もう一度お試しいただけます。",
        minutes,
        time=format_time(again, "short"),
    )
    headers = {"Retry-After": str(seconds)}
    if wants_json():
        body = {
            "code": 429,
            "status": error.name,
            "message": f"{message} {detail}",
            "retry_after": seconds,
        }
        return jsonify(body), 429, headers
    return render_template("error.html", code=429, message=message, detail=detail), 429, headers


def _holds_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


def refuse_nul_characters() -> None:
    """No text is stored with NUL (PostgreSQL refuses it; no one types it): 400, never a 500.

    Headers too: a login keeps the User-Agent, and not every server refuses NUL in a header
    (gunicorn does; the development server does not).
    """
    texts = [*request.args.lists(), *request.form.lists()]
    if _holds_nul(dict(texts)) or (request.is_json and _holds_nul(request.get_json(silent=True))):
        raise BadRequest()
    if any("\x00" in value for _name, value in request.headers.items()):
        raise BadRequest()


def init_app(app: Flask) -> None:
    """Register error handlers and the headers every response carries."""
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(DBAPIError, handle_database_error)
    app.register_error_handler(PoolTimeoutError, handle_database_error)
    app.register_error_handler(RateLimitExceeded, handle_rate_limit)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.before_request(refuse_nul_characters)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault(
            "Permissions-Policy", "geolocation=(self), camera=(), microphone=()"
        )
        if current_app.config["HTTPS"]:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        if request.endpoint != "static" and "Cache-Control" not in response.headers:
            # Pages and API answers may hold personal data: never kept by a shared cache
            # (a proxy, a city's Wi-Fi); the phone's own cache and the app's offline copy may.
            response.cache_control.private = True
        return response


def unauthorized():
    """Not logged in: 401 for the API, the login page for everything else."""
    from flask import redirect, url_for

    if wants_json():
        return jsonify(
            {"code": 401, "status": "Unauthorized", "message": _("ログインしてください。")}
        ), 401
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
