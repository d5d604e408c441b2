"""Officer administration pages: blocks, households, members, roles and settings."""

from decimal import Decimal
from functools import wraps

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..database import get_scoped_or_404, id_value
from ..extensions import db
from ..forms import ConfirmForm
from ..i18n import choices as language_choices
from ..i18n import offered_languages
from . import bp
from .forms import (
    AssociationForm,
    BlockForm,
    HouseholdForm,
    MemberForm,
    MoveForm,
    RoleForm,
    role_choices,
)
from .location_views import household_page
from .models import DEFAULT_SETTINGS, Block, Household, Member, RoleAssignment
from .permissions import (
    can_assign_role,
    can_manage_association,
    can_manage_member,
    can_manage_roles,
    can_view_audit_log,
)
from .services import (
    HOUSEHOLD_FIELDS,
    OrgError,
    add_block,
    add_household,
    add_member,
    assign_role,
    blocks_of,
    current_roles,
    delete_block,
    end_role,
    move_block,
    rename_block,
    role_history,
    set_languages,
    set_member_active,
    update_association,
    update_household,
    update_member,
)


def officer_required(view):
    """Logged in as an officer or admin of the association, else 403."""

    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not can_manage_association(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def require_officer() -> None:
    if not can_manage_association(current_user):
        abort(403)


def get_block_or_404(block_id: int) -> Block:
    return get_scoped_or_404(Block, block_id, current_user.association_id)


def get_household_or_404(household_id: int) -> Household:
    return get_scoped_or_404(Household, household_id, current_user.association_id)


def get_member_or_404(member_id: int) -> Member:
    """A member of the association the current officer may manage (an admin's: admins only)."""
    member = get_scoped_or_404(Member, member_id, current_user.association_id)
    if not can_manage_member(current_user, member):
        abort(403)
    return member


def _fail(error: OrgError) -> None:
    db.session.rollback()
    flash(str(error), "error")


@bp.get("/")
@officer_required
def index():
    return render_template(
        "org/index.html",
        blocks=blocks_of(current_user.association_id),
        can_manage_roles=can_manage_roles(current_user),
        can_view_audit_log=can_view_audit_log(current_user),
    )


# Blocks


@bp.get("/blocks")
@officer_required
def blocks():
    return render_template(
        "org/blocks.html",
        blocks=blocks_of(current_user.association_id),
        form=BlockForm(),
        action_form=ConfirmForm(),
    )


@bp.post("/blocks")
@officer_required
def block_add():
    form = BlockForm()
    if form.validate_on_submit():
        try:
            block = add_block(current_user.association, form.name.data)
        except OrgError as error:
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("「%(name)s」を作りました。", name=block.name))
            return redirect(url_for("org.blocks"))
    db.session.rollback()
    return render_template(
        "org/blocks.html",
        blocks=blocks_of(current_user.association_id),
        form=form,
        action_form=ConfirmForm(),
    ), 422


@bp.route("/blocks/<int:block_id>/edit", methods=["GET", "POST"])
@officer_required
def block_edit(block_id: int):
    block = get_block_or_404(block_id)
    form = BlockForm(obj=block)
    if form.validate_on_submit():
        try:
            rename_block(block, form.name.data)
        except OrgError as error:
            db.session.rollback()
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("班の名前を変えました。"))
            return redirect(url_for("org.blocks"))
    status = 422 if form.errors else 200
    return render_template(
        "org/block_edit.html", block=block, form=form, action_form=ConfirmForm()
    ), status


@bp.post("/blocks/<int:block_id>/move")
@officer_required
def block_move(block_id: int):
    block = get_block_or_404(block_id)
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    move_block(block, -1 if form.direction.data == "up" else 1)
    db.session.commit()
    return redirect(url_for("org.blocks"))


@bp.post("/blocks/<int:block_id>/delete")
@officer_required
def block_delete(block_id: int):
    block = get_block_or_404(block_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    name = block.name
    try:
        delete_block(block)
    except OrgError as error:
        _fail(error)
        return redirect(url_for("org.block_edit", block_id=block_id))
    db.session.commit()
    flash(_("「%(name)s」を削除しました。", name=name))
    return redirect(url_for("org.blocks"))


# Households


def _block_choices() -> list[tuple[int, str]]:
    return [(b.id, b.name) for b in blocks_of(current_user.association_id)]


def _household_fields(form: HouseholdForm) -> dict:
    fields = {name: getattr(form, name).data for name in HOUSEHOLD_FIELDS}
    for name in ("name", "town", "address_line", "phone", "assistance_note"):
        fields[name] = (fields[name] or "").strip()
    return fields


@bp.get("/households")
@officer_required
def households():
    all_blocks = blocks_of(current_user.association_id)
    shown = all_blocks
    block_id = request.args.get("block", type=id_value)
    if block_id:
        shown = [get_block_or_404(block_id)]
    return render_template("org/households.html", blocks=all_blocks, shown=shown, selected=block_id)


@bp.route("/households/new", methods=["GET", "POST"])
@officer_required
def household_new():
    form = HouseholdForm()
    form.block_id.choices = _block_choices()
    if request.method == "GET" and request.args.get("block", type=id_value):
        form.block_id.data = request.args.get("block", type=id_value)
    if form.validate_on_submit():
        block = get_block_or_404(form.block_id.data)
        household = add_household(block, **_household_fields(form))
        db.session.commit()
        flash(_("「%(name)s」を登録しました。", name=household.name))
        return redirect(url_for("org.households", block=block.id))
    status = 422 if form.errors else 200
    return render_template("org/household_form.html", form=form, household=None), status


@bp.route("/households/<int:household_id>/edit", methods=["GET", "POST"])
@officer_required
def household_edit(household_id: int):
    household = get_household_or_404(household_id)
    form = HouseholdForm(obj=household)
    form.block_id.choices = _block_choices()
    if form.validate_on_submit():
        block = get_block_or_404(form.block_id.data)
        update_household(household, block, **_household_fields(form))
        db.session.commit()
        flash(_("「%(name)s」を保存しました。", name=household.name))
        return redirect(url_for("org.households", block=block.id))
    status = 422 if form.errors else 200
    return household_page(household, form, status)


# Members


def _household_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(Household.id, Household.name, Block.name)
        .join(Block, Block.id == Household.block_id)
        .where(Household.association_id == current_user.association_id)
        .order_by(Block.position, Block.id, Household.position, Household.id)
    )
    return [(0, _("（世帯なし）"))] + [(hid, f"{block} / {name}") for hid, name, block in rows]


def _chosen_household(form: MemberForm) -> Household | None:
    if not form.household_id.data:
        return None
    return get_household_or_404(form.household_id.data)


@bp.get("/members")
@officer_required
def members():
    all_blocks = blocks_of(current_user.association_id)
    block_id = request.args.get("block", type=id_value)
    shown = [get_block_or_404(block_id)] if block_id else all_blocks
    homeless = []
    if not block_id:
        homeless = list(
            db.session.scalars(
                select(Member)
                .where(
                    Member.association_id == current_user.association_id,
                    Member.household_id.is_(None),
                )
                .order_by(Member.id)
            )
        )
    return render_template(
        "org/members.html",
        blocks=all_blocks,
        shown=shown,
        selected=block_id,
        homeless=homeless,
    )


@bp.route("/members/new", methods=["GET", "POST"])
@officer_required
def member_new():
    form = MemberForm()
    form.household_id.choices = _household_choices()
    if request.method == "GET" and request.args.get("household", type=id_value):
        form.household_id.data = request.args.get("household", type=id_value)
    if form.validate_on_submit():
        try:
            member = add_member(
                current_user.association,
                _chosen_household(form),
                form.name.data,
                form.kana.data or "",
                form.email.data,
            )
        except OrgError as error:
            db.session.rollback()
            form.email.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("%(name)s さんを登録しました。", name=member.name))
            return redirect(url_for("org.member_edit", member_id=member.id))
    status = 422 if form.errors else 200
    return render_template("org/member_form.html", form=form, member=None), status


@bp.route("/members/<int:member_id>/edit", methods=["GET", "POST"])
@officer_required
def member_edit(member_id: int):
    member = get_member_or_404(member_id)
    form = MemberForm(obj=member)
    form.household_id.choices = _household_choices()
    if not form.is_submitted():
        form.household_id.data = member.household_id or 0
    if form.validate_on_submit():
        try:
            update_member(
                member,
                _chosen_household(form),
                form.name.data,
                form.kana.data or "",
                form.email.data,
            )
        except OrgError as error:
            db.session.rollback()
            form.email.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("%(name)s さんの情報を保存しました。", name=member.name))
            return redirect(url_for("org.member_edit", member_id=member.id))
    status = 422 if form.errors else 200
    return render_template(
        "org/member_form.html", form=form, member=member, action_form=ConfirmForm()
    ), status


def _set_active(member_id: int, active: bool):
    member = get_member_or_404(member_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        set_member_active(member, active, by=current_user)
    except OrgError as error:
        _fail(error)
    else:
        db.session.commit()
        if active:
            flash(_("%(name)s さんを利用できるようにしました。", name=member.name))
        else:
            flash(_("%(name)s さんの利用を止めました。", name=member.name))
    return redirect(url_for("org.member_edit", member_id=member_id))


@bp.post("/members/<int:member_id>/deactivate")
@officer_required
def member_deactivate(member_id: int):
    return _set_active(member_id, False)


@bp.post("/members/<int:member_id>/reactivate")
@officer_required
def member_reactivate(member_id: int):
    return _set_active(member_id, True)


# Roles


def _role_form() -> RoleForm:
    form = RoleForm()
    form.role.choices = role_choices(can_manage_roles(current_user))
    form.block_id.choices = [(0, "—")] + _block_choices()
    return form


@bp.get("/roles")
@officer_required
def roles():
    return render_template(
        "org/roles.html", roles=current_roles(current_user.association_id), form=ConfirmForm()
    )


@bp.get("/members/<int:member_id>/roles")
@officer_required
def member_roles(member_id: int):
    member = get_member_or_404(member_id)
    return render_template(
        "org/member_roles.html",
        member=member,
        history=role_history(member),
        form=_role_form(),
        action_form=ConfirmForm(),
    )


@bp.post("/members/<int:member_id>/roles")
@officer_required
def member_role_add(member_id: int):
    member = get_member_or_404(member_id)
    if not can_assign_role(current_user, request.form.get("role", "")):
        abort(403)
    form = _role_form()
    if form.validate_on_submit():
        block = get_block_or_404(form.block_id.data) if form.role.data == "leader" else None
        assign_role(member, form.role.data, by=current_user, block=block)
        db.session.commit()
        flash(_("役を付けました。"))
        return redirect(url_for("org.member_roles", member_id=member.id))
    return render_template(
        "org/member_roles.html",
        member=member,
        history=role_history(member),
        form=form,
        action_form=ConfirmForm(),
    ), 422


@bp.post("/roles/<int:assignment_id>/end")
@officer_required
def role_end(assignment_id: int):
    assignment = get_scoped_or_404(RoleAssignment, assignment_id, current_user.association_id)
    if not can_assign_role(current_user, assignment.role):
        abort(403)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        end_role(assignment, by=current_user)
    except OrgError as error:
        _fail(error)
    else:
        db.session.commit()
        flash(_("役を終えました。記録は残ります。"))
    if request.form.get("next") == "roles":
        return redirect(url_for("org.roles"))
    return redirect(url_for("org.member_roles", member_id=assignment.member_id))


# Association settings


@bp.route("/settings", methods=["GET", "POST"])
@officer_required
def settings():
    association = current_user.association
    values = {key: association.setting(key) for key in DEFAULT_SETTINGS}
    form = AssociationForm(
        obj=association,
        data=values if request.method == "GET" else None,
        languages=language_choices(current_app.config["LANGUAGES"]),
    )
    if form.validate_on_submit():
        center = None
        if form.center_lat.data is not None:
            center = (float(form.center_lat.data), float(form.center_lon.data))
        update_association(
            association,
            current_user,
            name=form.name.data,
            municipality=form.municipality.data or "",
            center=center,
            settings={key: getattr(form, key).data for key in DEFAULT_SETTINGS},
        )
        set_languages(association, current_user, form.languages.data or [])
        db.session.commit()
        flash(_("設定を保存しました。"))
        return redirect(url_for("org.settings"))
    if request.method == "GET":
        for name in ("center_lat", "center_lon"):
            value = getattr(association, name)
            getattr(form, name).data = Decimal(str(value)) if value is not None else None
        form.languages.data = offered_languages(association)
    status = 422 if form.errors else 200
    return render_template("org/settings.html", form=form), status


def nav_items(member) -> list:
    """The officers' menu entry."""
    from ..ui import NavItem

    if not can_manage_association(member):
        return []
    return [NavItem(_("管理"), url_for("org.index"))]
