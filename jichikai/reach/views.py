"""Pages: the member's channels (a section of the notification settings), confirming an
address by its link, the officers' page of a member's channels, and the block leader's list."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select

from ..database import get_scoped_or_404
from ..extensions import db, limiter
from ..forms import ConfirmForm
from ..org.models import Block, Household, Member
from ..org.permissions import can_lead_block
from . import bp
from .contacts import (
    ADDS_PER_DAY,
    ContactError,
    add_member_email,
    channel_marks,
    channel_views,
    confirm_contact,
    contact_for_token,
    normalize_email,
    remove_contact,
    set_association_email,
    set_preferred_channel,
    working_channels,
)
from .forms import AUTO, CHANNEL_LABELS, EmailForm, PreferredForm
from .models import Contact
from .permissions import can_manage_contacts, can_set_preferred_channel


def _preferred_form(member: Member, formdata=None) -> PreferredForm:
    form = PreferredForm(working_channels(member), formdata=formdata)
    if formdata is None:
        form.channel.data = member.preferred_channel or AUTO
        if form.channel.data not in {value for value, _label in form.channel.choices}:
            form.channel.data = AUTO
    return form


def _save_preferred(member: Member) -> bool:
    """Read the posted choice and store it; False (with a message) if it cannot be."""
    form = _preferred_form(member, formdata=request.form)
    if not form.validate_on_submit():
        flash(_("選べる方法の中から選んでください。"), "error")
        return False
    try:
        set_preferred_channel(member, form.chosen(), by=current_user)
    except ContactError as error:
        db.session.rollback()
        flash(str(error), "error")
        return False
    db.session.commit()
    flash(_("回覧を受け取る方法を保存しました。"))
    return True


def _own_contact_or_404(contact_id: int) -> Contact:
    contact = get_scoped_or_404(Contact, contact_id, current_user.association_id)
    if contact.member_id != current_user.id:
        abort(404)
    return contact


# The member's own channels ---------------------------------------------------------------


def add_channel_offer(app, provider) -> None:
    """Register a function giving (label, url) of a page where `member` can add a channel of
    another feature (LINE), or None when that channel cannot be added for them now."""
    app.extensions.setdefault("jichikai.reach.offers", []).append(provider)


def channel_offers(member) -> list[tuple[str, str]]:
    providers = current_app.extensions.get("jichikai.reach.offers", [])
    return [offer for provider in providers if (offer := provider(member))]


def settings_section(member) -> Markup:
    """お知らせの受け取り方: a section of the member's notification settings page."""
    return Markup(
        render_template(
            "reach/_settings_section.html",
            channels=channel_views(member, with_addresses=True),
            preferred_form=_preferred_form(member),
            confirm=ConfirmForm(),
            offers=channel_offers(member),
        )
    )


@bp.post("/me/channels/preferred")
@login_required
def save_own_preferred():
    _save_preferred(current_user)
    return redirect(url_for("push.settings") + "#channels")


def _email_page(form: EmailForm, status: int = 200):
    return render_template("reach/add_email.html", form=form, limit=ADDS_PER_DAY), status


@bp.get("/me/channels/email")
@login_required
def add_email_page():
    return _email_page(EmailForm())


def _added(response) -> bool:
    """Only an address actually added counts against the daily limit."""
    return response.status_code == 302


@bp.post("/me/channels/email")
@login_required
@limiter.limit(
    f"{ADDS_PER_DAY} per day",
    key_func=lambda: f"reach-add-email:{current_user.id}",
    deduct_when=_added,
)
def add_email():
    form = EmailForm()
    if form.validate_on_submit():
        try:
            contact = add_member_email(current_user, form.address.data)
        except ContactError as error:
            db.session.rollback()
            form.address.errors.append(str(error))
        else:
            db.session.commit()
            flash(
                _(
                    "%(address)s に確認のメールを送ります。届いたメールのリンクを開いて、"
                    "「確認する」を押してください。",
                    address=contact.address,
                )
            )
            return redirect(url_for("push.settings") + "#channels")
    return _email_page(form, 422)


@bp.post("/me/channels/<int:contact_id>/delete")
@login_required
def remove_own(contact_id: int):
    contact = _own_contact_or_404(contact_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    remove_contact(contact, by=current_user)
    db.session.commit()
    flash(_("その連絡先を消しました。もう送りません。"))
    return redirect(url_for("push.settings") + "#channels")


# Confirming an address by its link ----------------------------------------------------------


@bp.route("/reach/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    """The link in the confirmation message: GET asks (mail scanners open links), POST
    confirms. The link alone is the proof; whoever is logged in does not matter."""
    contact = contact_for_token(token)
    if contact is None:
        return render_template("reach/confirm_invalid.html"), 404
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        confirm_contact(contact)
        db.session.commit()
        return render_template("reach/confirm.html", contact=contact, done=True)
    return render_template("reach/confirm.html", contact=contact, form=form, done=False)


# The officers' page of a member's channels --------------------------------------------------


def _managed_member_or_404(member_id: int) -> Member:
    member = get_scoped_or_404(Member, member_id, current_user.association_id)
    if not can_manage_contacts(current_user, member):
        abort(403)
    return member


def _member_page(member: Member, form: EmailForm, status: int = 200):
    return render_template(
        "reach/member_channels.html",
        member=member,
        form=form,
        channels=channel_views(member, with_addresses=True),
        preferred_form=_preferred_form(member),
        confirm=ConfirmForm(),
    ), status


@bp.get("/admin/members/<int:member_id>/channels")
@login_required
def member_channels(member_id: int):
    return _member_page(_managed_member_or_404(member_id), EmailForm())


@bp.post("/admin/members/<int:member_id>/channels/email")
@login_required
def member_email(member_id: int):
    member = _managed_member_or_404(member_id)
    form = EmailForm()
    if form.validate_on_submit():
        try:
            set_association_email(member, normalize_email(form.address.data), by=current_user)
        except ContactError as error:
            db.session.rollback()
            form.address.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("連絡用メールを登録しました。すぐに届くようになります。"))
            return redirect(url_for("reach.member_channels", member_id=member.id))
    return _member_page(member, form, 422)


@bp.post("/admin/members/<int:member_id>/channels/<int:contact_id>/delete")
@login_required
def member_contact_delete(member_id: int, contact_id: int):
    member = _managed_member_or_404(member_id)
    contact = get_scoped_or_404(Contact, contact_id, current_user.association_id)
    if contact.member_id != member.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    remove_contact(contact, by=current_user)
    db.session.commit()
    flash(_("その連絡先を消しました。もう送りません。"))
    return redirect(url_for("reach.member_channels", member_id=member.id))


@bp.post("/admin/members/<int:member_id>/channels/preferred")
@login_required
def member_preferred(member_id: int):
    member = _managed_member_or_404(member_id)
    _save_preferred(member)
    return redirect(url_for("reach.member_channels", member_id=member.id))


# The block leader's list: which channels each member has (never the addresses) ----------------


def _led_block_or_403(block_id: int) -> Block:
    block = get_scoped_or_404(Block, block_id, current_user.association_id)
    if not can_lead_block(current_user, block):
        abort(403)
    return block


@bp.get("/blocks/<int:block_id>/channels")
@login_required
def block_channels(block_id: int):
    block = _led_block_or_403(block_id)
    members = list(
        db.session.scalars(
            select(Member)
            .join(Household, Household.id == Member.household_id)
            .where(Household.block_id == block.id, Member.active.is_(True))
            .order_by(Household.position, Household.id, Member.id)
        )
    )
    marks = channel_marks([m.id for m in members])
    forms = {m.id: PreferredForm(marks[m.id], formdata=None) for m in members}
    for member in members:
        choices = {value for value, _label in forms[member.id].channel.choices}
        chosen = member.preferred_channel or AUTO
        forms[member.id].channel.data = chosen if chosen in choices else AUTO
    return render_template(
        "reach/block_channels.html",
        block=block,
        members=members,
        marks=marks,
        forms=forms,
        labels=CHANNEL_LABELS,
    )


@bp.post("/blocks/<int:block_id>/members/<int:member_id>/preferred")
@login_required
def block_member_preferred(block_id: int, member_id: int):
    block = _led_block_or_403(block_id)
    member = get_scoped_or_404(Member, member_id, current_user.association_id)
    if member.household is None or member.household.block_id != block.id:
        abort(404)
    if not can_set_preferred_channel(current_user, member):
        abort(403)
    _save_preferred(member)
    return redirect(url_for("reach.block_channels", block_id=block.id) + f"#member-{member.id}")
