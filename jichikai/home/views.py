"""The home page: what a member sees first."""

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_login import login_required

from . import bp


@bp.get("/")
@login_required
def index():
    return render_template("home/index.html")


@bp.post("/language/<code>")
def language(code: str):
    """Choose the language before logging in (kept in a cookie)."""
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    target = request.form.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("auth.login")
    response = redirect(target)
    response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response
