"""HTTP behaviour shared by every page: errors, security headers."""

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest, HTTPException

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


def handle_http_exception(error: HTTPException):
    """JSON for the API (with flask-smorest's extra details), a friendly page elsewhere."""
    code = error.code or 500
    message = error_messages().get(code, _("問題が起きました。時間をおいてお試しください。"))
    if wants_json():
        body = {"code": code, "status": error.name, "message": message}
        data = getattr(error, "data", None) or {}
        if data.get("message"):
            body["message"] = data["message"]
        if data.get("messages"):
            body["errors"] = data["messages"]
        elif error.description and error.description != type(error).description:
            body["message"] = error.description
        return jsonify(body), code, getattr(error, "headers", None) or {}
    detail = error.description if error.description != type(error).description else ""
    return render_template("error.html", code=code, message=message, detail=detail), code


def handle_csrf_error(error: CSRFError):
    message = _("画面の有効期限が切れました。もう一度お試しください。")
    if wants_json():
        return jsonify({"code": 400, "status": "Bad Request", "message": message}), 400
    return render_template("error.html", code=400, message=message, detail=""), 400


def _holds_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


def refuse_nul_characters() -> None:
    """No text is stored with NUL (PostgreSQL refuses it; no one types it): 400, never a 500."""
    texts = [*request.args.lists(), *request.form.lists()]
    if _holds_nul(dict(texts)) or (request.is_json and _holds_nul(request.get_json(silent=True))):
        raise BadRequest()


def init_app(app: Flask) -> None:
    """Register error handlers and the headers every response carries."""
    app.register_error_handler(CSRFError, handle_csrf_error)
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
        return response


def unauthorized():
    """Not logged in: 401 for the API, the login page for everything else."""
    from flask import redirect, url_for

    if wants_json():
        return jsonify(
            {"code": 401, "status": "Unauthorized", "message": _("ログインしてください。")}
        ), 401
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
