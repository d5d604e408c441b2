"""Notice pages: the members' feed, the leaders' block pages and the officers' pages."""

import io
from zoneinfo import ZoneInfo

from flask import (
    abort,
    current_app,
    flash,
    get_template_attribute,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..audit.services import record
from ..csvfiles import csv_download
from ..database import get_scoped_or_404, utcnow
from ..extensions import db
from ..forms import ConfirmForm
from ..links import public_url, qr_data_uri
from ..org.models import Block, Household
from ..org.services import blocks_of
from ..reach.reports import channel_labels, plan_summary, reach_summary
from ..reach.services import plan
from ..storage import StorageError
from ..ui import NavItem, Tab
from . import attachments, bp
from .acks import acknowledge, acknowledged_at
from .errors import NoticeError
from .forms import NoticeForm, RecordReadForm, category_labels
from .languages import (
    original_text,
    reading_language,
    shown_text,
    shown_texts,
    translation_in,
)
from .models import RECORDED_VIAS, Attachment, Notice
from .offline import OFFLINE_HEADER, OFFLINE_PURPOSE
from .permissions import (
    can_follow_block,
    can_manage_notices,
    can_record_for,
    can_view_notice,
    is_recipient,
)
from .printing import pdf_page_counts, slip_languages
from .questionnaires import current_reply, question_inputs, replies_by_household, tallies, values_of
from .reminders import reminder_plan, reminder_summary
from .reports import (
    block_households,
    block_read_rates,
    export_rows,
    household_states,
    leader_notices,
    notice_reach,
    officer_notices,
    total_rate,
    unreached_households,
)
from .search_views import chosen_category
from .services import (
    MAX_PAGE,
    audience_members_of,
    create_notice,
    last_reminder,
    mark_read,
    member_feed,
    member_read_at,
    record_household_read,
    remind_unread,
    remove_attachment,
    undo_household_read,
    update_notice,
    withdraw_notice,
)
from .text import linkify

bp.add_app_template_filter(linkify, "linkify")


bp.add_app_template_global(category_labels, "notice_categories")
# Named apart from the answer marks ("メールで回答") the disaster pages call channel_labels.
bp.add_app_template_global(channel_labels, "reach_channel_labels")


def _page() -> int:
    return min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)


def require_officer() -> None:
    if not can_manage_notices(current_user):
        abort(403)


def load_notice(notice_id: int) -> Notice:
    """A notice the member may see; 404 otherwise (also for another association's)."""
    notice = get_scoped_or_404(Notice, notice_id, current_user.association_id)
    if not can_view_notice(current_user, notice, utcnow()):
        abort(404)
    return notice


def reading_texts(notice: Notice) -> dict:
    """The circular's page's text: the member's language's translation, or the original when
    there is none or `?original=1` asks for it (one tap from the translation)."""
    translated = shown_text(notice, translation_in(notice, reading_language()))
    original = request.args.get("original") == "1"
    return {"text": original_text(notice) if original else translated, "translated": translated}


def feed_texts(feed) -> dict:
    """What the member reads of each circular in a feed: their language's translation or
    the original, by notice id."""
    return shown_texts([entry.notice for entry in feed.entries], reading_language())


def load_block_of(notice: Notice, block_id: int) -> Block:
    """A block of the notice's audience that the member follows (leader or officer)."""
    block = get_scoped_or_404(Block, block_id, current_user.association_id)
    if not can_follow_block(current_user, notice, block):
        abort(403)
    return block


# Members --------------------------------------------------------------------------------


@bp.get("/")
@login_required
def index():
    """The member's circulars (of one category if chosen): unread first, then newest."""
    category = chosen_category()
    feed = member_feed(current_user, page=_page(), category=category)
    return render_template(
        "notices/index.html", feed=feed, texts=feed_texts(feed), category=category
    )


def home_page(member):
    """The home page shows the circulars (disaster mode may come first)."""
    if not member.is_authenticated:
        return None
    feed = member_feed(member)
    return render_template("notices/home.html", feed=feed, texts=feed_texts(feed))


@bp.get("/<int:notice_id>")
@login_required
def show(notice_id: int):
    """One notice; opening it records the receipt."""
    notice = load_notice(notice_id)
    now = utcnow()
    read_before = member_read_at(notice, current_user)
    # A copy the service worker keeps for reading offline is not the member opening it.
    kept = request.headers.get(OFFLINE_HEADER) == OFFLINE_PURPOSE
    if (
        not kept
        and read_before is None
        and notice.is_live(now)
        and mark_read(notice, current_user, now=now)
    ):
        db.session.commit()
    reply = current_reply(notice, current_user)
    # ?original=1: the text as the officer wrote it (one tap from a translation).
    return render_template(
        "notices/show.html",
        notice=notice,
        **reading_texts(notice),
        read_before=read_before,
        reply=reply,
        values=values_of(reply),
        errors={},
        confirm=ConfirmForm(),
        recipient=is_recipient(current_user, notice),
        acknowledged_at=acknowledged_at(notice, current_user),
        now=now,
    )


@bp.post("/<int:notice_id>/ack")
@login_required
def ack(notice_id: int):
    """確認しました: the member says they have read the circular."""
    notice = load_notice(notice_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        acknowledge(notice, current_user)
    except NoticeError as error:
        db.session.rollback()
        abort(error.status, error.message)
    db.session.commit()
    flash(_("「確認しました」を受け付けました。ありがとうございます。"))
    return redirect(url_for("notices.show", notice_id=notice.id), code=303)


@bp.get("/<int:notice_id>/files/<int:attachment_id>")
@login_required
def attachment(notice_id: int, attachment_id: int):
    """An attachment, for those who may see its notice."""
    return _send_attachment(notice_id, attachment_id, web=False)


@bp.get("/<int:notice_id>/files/<int:attachment_id>/web")
@login_required
def attachment_web(notice_id: int, attachment_id: int):
    """The small version of an image attachment."""
    return _send_attachment(notice_id, attachment_id, web=True)


def _send_attachment(notice_id: int, attachment_id: int, web: bool):
    notice = load_notice(notice_id)
    item = get_scoped_or_404(Attachment, attachment_id, current_user.association_id)
    if item.notice_id != notice.id or (web and not item.has_web_version):
        abort(404)
    try:
        # Read into memory (attachments are small) so no file handle outlives the request.
        data = attachments.read(item.association_id, item.storage_key, web=web)
    except StorageError as error:
        current_app.logger.error("attachment store: cannot read %s: %s", item.id, error)
        abort(503)
    if data is None:
        abort(404)
    response = send_file(
        io.BytesIO(data),
        mimetype="image/jpeg" if web else item.content_type,
        download_name=item.filename if not web else item.filename.rsplit(".", 1)[0] + ".jpg",
        as_attachment=False,
        conditional=True,
        etag=f"{item.storage_key}{'-web' if web else ''}",
        last_modified=item.created_at,
        max_age=3600,
    )
    response.cache_control.private = True
    response.cache_control.public = False
    return response


# Block leaders --------------------------------------------------------------------------


def _followed_blocks() -> list[Block]:
    """Blocks the member follows: the ones they lead, or every block for officers."""
    blocks = blocks_of(current_user.association_id)
    led = current_user.led_block_ids
    if led:
        return [b for b in blocks if b.id in led]
    return blocks if can_manage_notices(current_user) else []


@bp.get("/blocks")
@login_required
def leader_index():
    """Recent notices with how many households of the leader's blocks have read them."""
    blocks = _followed_blocks()
    if not blocks:
        abort(403)
    rows, has_next = leader_notices(current_user, {b.id for b in blocks}, page=_page())
    return render_template(
        "notices/leader_index.html", rows=rows, blocks=blocks, page=_page(), has_next=has_next
    )


@bp.get("/<int:notice_id>/blocks/<int:block_id>")
@login_required
def block_view(notice_id: int, block_id: int):
    """Every household of a block with its state, unread first."""
    notice = load_notice(notice_id)
    block = load_block_of(notice, block_id)
    households = block_households(block)
    states = household_states(notice, households)
    now = utcnow()
    unreached = unreached_households(notice, households)
    planned = reminder_plan(notice, {block.id}) if notice.is_live(now) else None
    return render_template(
        "notices/block.html",
        notice=notice,
        block=block,
        states=states,
        # Unread households no channel reached, in the list's order: paper or a visit.
        unreached=[s.household for s in states if not s.done and s.household.id in unreached],
        unread=sum(1 for s in states if not s.done),
        reminder=last_reminder(notice, block),
        reminder_plan=reminder_summary(planned, current_user.association_id) if planned else "",
        # A reminder that would reach nobody is not offered (paper or a visit is).
        reminder_reaches=bool(planned and planned.reach.reached),
        form=ConfirmForm(),
        vias=RECORDED_VIAS,
        replies=replies_by_household(notice, [h.id for h in households])
        if notice.reply_kind
        else {},
        now=now,
    )


@bp.post("/<int:notice_id>/blocks/<int:block_id>/remind")
@login_required
def remind(notice_id: int, block_id: int):
    """Push a reminder to the block's unread households."""
    notice = load_notice(notice_id)
    block = load_block_of(notice, block_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        queued = remind_unread(notice, block, by=current_user)
    except NoticeError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("notices.block_view", notice_id=notice.id, block_id=block.id))
    db.session.commit()
    if queued:
        flash(_("まだ読んでいない世帯に、お知らせを送りました（%(n)d 件）。", n=queued))
    else:
        flash(_("お知らせを受け取れる人がいませんでした。紙か直接でお伝えください。"), "error")
    return redirect(url_for("notices.block_view", notice_id=notice.id, block_id=block.id))


@bp.post("/<int:notice_id>/blocks/<int:block_id>/receipts")
@login_required
def record_read(notice_id: int, block_id: int):
    """Record a household as read on paper or after telling them in person."""
    notice = load_notice(notice_id)
    block = load_block_of(notice, block_id)
    form = RecordReadForm()
    if not form.validate_on_submit() or form.via.data not in RECORDED_VIAS:
        abort(400)
    household = get_scoped_or_404(Household, form.household_id.data, current_user.association_id)
    if household.block_id != block.id or not can_record_for(current_user, notice, household):
        abort(403)
    try:
        _receipt, created = record_household_read(notice, household, form.via.data, current_user)
    except NoticeError as error:
        db.session.rollback()
        abort(error.status, error.message)
    db.session.commit()
    if created:
        flash(_("%(name)s を確認済みにしました。", name=household.name))
    else:
        flash(_("%(name)s はもう確認済みです。", name=household.name))
    return redirect(url_for("notices.block_view", notice_id=notice.id, block_id=block.id))


@bp.post("/<int:notice_id>/blocks/<int:block_id>/receipts/<int:household_id>/undo")
@login_required
def undo_read(notice_id: int, block_id: int, household_id: int):
    """Take back a paper or proxy record made by mistake."""
    notice = load_notice(notice_id)
    block = load_block_of(notice, block_id)
    household = get_scoped_or_404(Household, household_id, current_user.association_id)
    if household.block_id != block.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if undo_household_read(notice, household):
        db.session.commit()
        flash(_("%(name)s の記録を取り消しました。", name=household.name))
    return redirect(url_for("notices.block_view", notice_id=notice.id, block_id=block.id))


@bp.get("/<int:notice_id>/blocks/<int:block_id>/print")
@login_required
def print_view(notice_id: int, block_id: int):
    """The circular on A4 with the stamp table of the block's paper-only households."""
    notice = load_notice(notice_id)
    block = load_block_of(notice, block_id)
    paper = [h for h in block_households(block) if h.paper_only]
    online = public_url("notices.show", notice_id=notice.id)
    qr = qr_data_uri(online, scale=3)
    other_slips = []
    if notice.reply_kind:
        # A reply slip in each language of the block's paper households, beside this one.
        slip = get_template_attribute("notices/_questions.html", "reply_slip")
        for language in slip_languages(paper, str(get_locale())):
            with force_locale(language):
                other_slips.append((language, slip(notice)))
    return render_template(
        "notices/print.html",
        other_slips=other_slips,
        notice=notice,
        block=block,
        households=paper,
        online_url=online,
        qr=qr,
        stamp_rows=max(len(paper), 1),
        pages=pdf_page_counts(notice.attachments),
    )


# Officers -------------------------------------------------------------------------------


@bp.get("/manage")
@login_required
def manage():
    """Every notice of the association with its state and read rate."""
    require_officer()
    rows, has_next = officer_notices(current_user.association_id, page=_page())
    return render_template(
        "notices/manage.html", rows=rows, page=_page(), has_next=has_next, now=utcnow()
    )


def _notice_form(**kwargs) -> NoticeForm:
    form = NoticeForm(**kwargs)
    form.blocks.choices = [(b.id, b.name) for b in blocks_of(current_user.association_id)]
    return form


def _prepared_files(form: NoticeForm) -> list[attachments.PreparedFile]:
    prepared = []
    for upload in form.files.data or []:
        if not getattr(upload, "filename", ""):
            continue
        # One at a time: each image's decoded pixels are released before the next is read.
        prepared.append(attachments.prepare(upload.filename, upload.read()))
        upload.close()
    return prepared


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Write a notice; publish it now or at a chosen time."""
    require_officer()
    form = _notice_form()
    if request.method == "GET":
        form.ack_required.data = bool(current_user.association.setting("notice_ack_required"))
    if _adding_question(form):
        return render_template("notices/form.html", form=form, notice=None, plan=_posting_plan())
    if form.validate_on_submit():
        try:
            notice = create_notice(
                current_user.association,
                current_user,
                form.to_input(current_user.association.timezone),
                _prepared_files(form),
            )
            db.session.commit()
        except NoticeError as error:
            db.session.rollback()
            _form_error(form, error)
        else:
            if notice.published_at:
                flash(_("回覧を出しました。") + posted_summary(notice))
            else:
                flash(_("回覧の公開を予約しました。"))
            return redirect(url_for("notices.report", notice_id=notice.id), code=303)
    status = 400 if request.method == "POST" else 200
    return render_template(
        "notices/form.html", form=form, notice=None, plan=_posting_plan()
    ), status


def posted_summary(notice: Notice) -> str:
    """What posting reached, for the officer who posted it."""
    reach = getattr(notice, "reach", None)
    if reach is None:
        return ""
    return reach_summary(reach, unreached_go_to=_("紙の回覧か、訪問で届けてください。"))


def _posting_plan() -> str:
    """What posting to every block now would reach, said before the officer posts it."""
    members = audience_members_of(current_user.association_id)
    return plan_summary(plan(members, every_channel=False), current_user.association_id)


def _adding_question(form: NoticeForm) -> bool:
    """「質問を増やす」 shows one more empty question row; nothing is saved."""
    if request.method != "POST" or "add_question" not in request.form:
        return False
    if len(form.questions) < form.questions.max_entries:
        form.questions.append_entry()
        form.questions[-1].form.required.data = True
    return True


def _form_error(form: NoticeForm, error: NoticeError) -> None:
    target = getattr(form, {"block_ids": "blocks"}.get(error.field, error.field or ""), None)
    if error.field == "questions":
        form.questions_error = error.message
        return
    if target is None:
        target = form.title
    target.errors = list(target.errors) + [error.message]


@bp.route("/<int:notice_id>/edit", methods=["GET", "POST"])
@login_required
def edit(notice_id: int):
    """Change a notice; receipts stay and members see it marked 更新."""
    require_officer()
    notice = load_notice(notice_id)
    if notice.withdrawn_at is not None:
        abort(404)
    form = _notice_form(obj=notice) if request.method == "GET" else _notice_form()
    if request.method == "GET":
        form.blocks.data = sorted(notice.block_ids)
        form.reply_kind.data = notice.reply_kind or ""
        form.fill_questions(question_inputs(notice))
        form.fill_times(notice, current_user.association.timezone)
    if _adding_question(form):
        return render_template("notices/form.html", form=form, notice=notice, confirm=ConfirmForm())
    if form.validate_on_submit():
        try:
            update_notice(
                notice, form.to_input(current_user.association.timezone), _prepared_files(form)
            )
            db.session.commit()
        except NoticeError as error:
            db.session.rollback()
            _form_error(form, error)
        else:
            flash(_("回覧を更新しました。"))
            if notice.translations:
                flash(_("翻訳もあります。内容が合っているか、翻訳のページで見直してください。"))
            return redirect(url_for("notices.report", notice_id=notice.id), code=303)
    status = 400 if request.method == "POST" else 200
    return render_template(
        "notices/form.html", form=form, notice=notice, confirm=ConfirmForm()
    ), status


@bp.post("/<int:notice_id>/withdraw")
@login_required
def withdraw(notice_id: int):
    """Hide a notice from members."""
    require_officer()
    notice = load_notice(notice_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    withdraw_notice(notice, by=current_user)
    record(
        "notice.withdraw",
        association_id=notice.association_id,
        actor=current_user,
        target=notice,
        ip=request.remote_addr or "",
    )
    db.session.commit()
    flash(_("回覧を取り下げました。"))
    return redirect(url_for("notices.manage"), code=303)


@bp.post("/<int:notice_id>/attachments/<int:attachment_id>/delete")
@login_required
def delete_attachment(notice_id: int, attachment_id: int):
    """Remove an attachment from a notice."""
    require_officer()
    notice = load_notice(notice_id)
    item = get_scoped_or_404(Attachment, attachment_id, current_user.association_id)
    if item.notice_id != notice.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    remove_attachment(item)
    db.session.commit()
    flash(_("添付ファイルを削除しました。"))
    return redirect(url_for("notices.edit", notice_id=notice.id), code=303)


@bp.get("/<int:notice_id>/report")
@login_required
def report(notice_id: int):
    """Read rate per block (with drill-down) and reply tallies per option and block."""
    require_officer()
    notice = load_notice(notice_id)
    rates = block_read_rates(notice)
    return render_template(
        "notices/report.html",
        notice=notice,
        reach=notice_reach(notice) if notice.published_at else None,
        rates=rates,
        total=total_rate(rates),
        tally=tallies(notice) if notice.reply_kind else None,
        form=ConfirmForm(),
        now=utcnow(),
    )


@bp.get("/<int:notice_id>/report.csv")
@login_required
def report_csv(notice_id: int):
    """Every household's read state and reply as CSV (UTF-8 with BOM, for Excel)."""
    require_officer()
    notice = load_notice(notice_id)
    rows = export_rows(notice, ZoneInfo(current_user.association.timezone))
    record(
        "notice.export",
        association_id=notice.association_id,
        actor=current_user,
        target=notice,
        ip=request.remote_addr or "",
        rows=len(rows) - 1,
    )
    db.session.commit()
    return csv_download(rows, f"notice-{notice.id}.csv")


# Menu -----------------------------------------------------------------------------------


def tab(member) -> Tab:
    """回覧 in the phones' bottom bar."""
    return Tab(_("回覧"), url_for("notices.index"), "circulars", paths=("/notices/",), order=10)


def nav_items(member) -> list[NavItem]:
    """回覧 for everyone, the block page for leaders, the management page for officers."""
    items = [
        NavItem(_("回覧"), url_for("notices.index")),
        NavItem(_("行事"), url_for("notices.calendar")),
    ]
    if member.led_block_ids:
        items.append(NavItem(_("班の回覧確認"), url_for("notices.leader_index")))
    if can_manage_notices(member):
        items.append(NavItem(_("回覧の作成・管理"), url_for("notices.manage")))
    return items
