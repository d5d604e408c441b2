"""Officers' pages for members' logins: issuing and printing cards, devices and passwords."""

from dataclasses import dataclass

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..forms import ConfirmForm
from ..i18n import member_language
from ..links import public_url, qr_data_uri
from ..org.models import Block, Member
from ..org.permissions import can_manage_member, can_set_password
from ..org.services import leaders_by_block, members_of_blocks, officers_of
from ..org.views import get_block_or_404, get_member_or_404, officer_required
from . import bp
from .codes import format_code
from .forms import SetPasswordForm
from .services import has_active_card, issue_card, member_devices, set_password
from .views import revoke_device_of

# Two columns of four on A4 (static/css/app.css, "Login cards").
CARDS_PER_SHEET = 8


@dataclass
class CardWords:
    """What a card says, in its member's language."""

    language: str
    code_label: str
    scan_step: str
    type_step: str
    ask: str


@dataclass
class PrintedCard:
    member: Member
    url: str
    code: str
    qr: str  # an SVG data URI
    words: CardWords


def _helper_of(member: Member, leaders: dict[int, list[Member]], officers: list[Member]) -> str:
    """Who a member asks about the card: the block's leader, else an officer (current locale)."""
    household = member.household
    block_id = household.block_id if household is not None else None
    block_leaders = [m for m in leaders.get(block_id, []) if m.id != member.id]
    if block_leaders:
        names = "、".join(leader.name for leader in block_leaders[:2])
        return _("%(name)s（%(block)sの班長）", name=names, block=household.block.name)
    others = [m for m in officers if m.id != member.id]
    if others:
        return _("%(name)s（役員）", name=others[0].name)
    return _("自治会の役員")


def _words(member: Member, leaders: dict[int, list[Member]], officers: list[Member]) -> CardWords:
    language = member_language(member)
    with force_locale(language):
        return CardWords(
            language=language,
            code_label=_("ログインコード"),
            scan_step=_("カメラでQRコードを読み取る"),
            type_step=_("このアドレスを開いてコードを入れる"),
            ask=_("わからないときは：%(who)s", who=_helper_of(member, leaders, officers)),
        )


def _print_all(members: list[Member]) -> list[PrintedCard]:
    """Issue a card to each member; each card speaks its member's language."""
    if not members:
        return []
    association_id = members[0].association_id
    leaders = leaders_by_block(association_id)
    officers = officers_of(association_id)
    cards = []
    for member in members:
        _card, token, code = issue_card(member, issued_by=current_user)
        url = public_url("auth.card", token=token)
        words = _words(member, leaders, officers)
        cards.append(PrintedCard(member, url, format_code(code), qr_data_uri(url), words))
    return cards


def _card_sheet(cards: list[PrintedCard], block: Block | None) -> str:
    return render_template(
        "auth/admin/card_sheet.html",
        cards=cards,
        block=block,
        login_address=public_url("auth.login"),
        cards_per_sheet=CARDS_PER_SHEET,
    )


def _no_store(response):
    """A page showing card secrets must not be kept by the browser or a proxy."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/admin/members/<int:member_id>/card")
@officer_required
def admin_card(member_id: int):
    member = get_member_or_404(member_id)
    return render_template(
        "auth/admin/card_confirm.html",
        member=member,
        has_card=has_active_card(member),
        form=ConfirmForm(),
    )


@bp.post("/admin/members/<int:member_id>/card")
@officer_required
def admin_card_issue(member_id: int):
    member = get_member_or_404(member_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not member.active:
        flash(_("利用を止めている人のカードは発行できません。"), "error")
        return redirect(url_for("org.member_edit", member_id=member.id))
    cards = _print_all([member])
    db.session.commit()
    response = current_app.make_response(_card_sheet(cards, block=None))
    return _no_store(response)


def _block_members(block: Block) -> tuple[list[Member], list[Member]]:
    """The block's active members whose cards the officer may print, and those left out."""
    printable, skipped = [], []
    for member in members_of_blocks(block.association_id, [block.id]):
        (printable if can_manage_member(current_user, member) else skipped).append(member)
    return printable, skipped


@bp.get("/admin/blocks/<int:block_id>/cards")
@officer_required
def admin_block_cards(block_id: int):
    block = get_block_or_404(block_id)
    printable, skipped = _block_members(block)
    return render_template(
        "auth/admin/block_cards_confirm.html",
        block=block,
        members=printable,
        skipped=skipped,
        form=ConfirmForm(),
    )


@bp.post("/admin/blocks/<int:block_id>/cards")
@officer_required
def admin_block_cards_print(block_id: int):
    block = get_block_or_404(block_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    printable, _skipped = _block_members(block)
    cards = _print_all(printable)
    db.session.commit()
    response = current_app.make_response(_card_sheet(cards, block=block))
    return _no_store(response)


@bp.get("/admin/members/<int:member_id>/devices")
@officer_required
def admin_devices(member_id: int):
    member = get_member_or_404(member_id)
    return render_template(
        "auth/admin/devices.html",
        member=member,
        devices=member_devices(member),
        form=ConfirmForm(),
    )


@bp.post("/admin/members/<int:member_id>/devices/<int:device_id>/revoke")
@officer_required
def admin_device_revoke(member_id: int, device_id: int):
    member = get_member_or_404(member_id)
    revoke_device_of(member, device_id)
    return redirect(url_for("auth.admin_devices", member_id=member.id))


@bp.route("/admin/members/<int:member_id>/password", methods=["GET", "POST"])
@officer_required
def admin_password(member_id: int):
    member = get_member_or_404(member_id)
    if not can_set_password(current_user, member):
        abort(403)
    form = SetPasswordForm()
    if form.validate_on_submit():
        if not member.email:
            form.password.errors.append(_("先にメールアドレスを登録してください。"))
        else:
            set_password(member, form.password.data, by=current_user)
            db.session.commit()
            flash(_("%(name)s さんのパスワードを設定しました。", name=member.name))
            return redirect(url_for("org.member_edit", member_id=member.id))
    status = 422 if form.errors else 200
    return render_template("auth/admin/password.html", member=member, form=form), status
