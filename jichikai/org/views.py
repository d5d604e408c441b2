"""Officer administration pages."""

from flask import abort, render_template
from flask_login import current_user, login_required

from . import bp
from .permissions import can_manage_association
from .services import blocks_of


def require_officer() -> None:
    if not can_manage_association(current_user):
        abort(403)


@bp.get("/")
@login_required
def index():
    require_officer()
    return render_template("org/index.html", blocks=blocks_of(current_user.association_id))


def nav_items(member) -> list:
    """The officers' menu entry."""
    from flask import url_for
    from flask_babel import gettext as _

    from ..ui import NavItem

    if not can_manage_association(member):
        return []
    return [NavItem(_("管理"), url_for("org.index"))]
