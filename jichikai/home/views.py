"""The home page: what a member sees first."""

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..links import local_path
from ..ui import home_page_for
from . import bp


@bp.get("/")
@login_required
def index():
    """What a member sees first: disaster check-in, the circulars, or the menu."""
    response = home_page_for(current_user)
    if response is not None:
        return response
    return render_template("home/index.html")


@bp.post("/language/<code>")
def language(code: str):
    """Choose the language before logging in (kept in a cookie)."""
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    response = redirect(local_path(request.form.get("next")) or url_for("auth.login"))
    response.set_cookie(
        "lang",
        code,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        httponly=True,
        secure=current_app.config["HTTPS"],
    )
    return response
