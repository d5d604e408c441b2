"""Disaster-mode pages: check-in, the roll call, the officers' dashboard and shelters."""

import uuid
from zoneinfo import ZoneInfo

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from ..audit.services import record
from ..csvfiles import csv_download
from ..database import get_scoped_or_404, id_value, utcnow
from ..extensions import db
from ..forms import ConfirmForm
from ..numbers import percent
from ..org.models import Block, Household, Member
from ..org.services import blocks_of
from ..reach.reports import channel_labels as reach_channel_labels
from ..reach.reports import plan_summary
from ..reach.services import plan
from . import bp
from .calls import (
    REASON_NO_ANSWER,
    REASON_NO_CHANNEL,
    block_call_counts,
    call_sheet,
    event_reach,
    reach_version,
    record_call,
    started_summary,
    unreachable_list,
    unreachable_rows,
)
from .forms import (
    EndEventForm,
    OwnPlaceForm,
    ShelterCapacityForm,
    ShelterMarkForm,
    ShelterUploadForm,
    StartEventForm,
)
from .households import submit_household_checkin
from .models import (
    HELP_KINDS,
    OUTCOMES,
    STATUS_AT_SHELTER,
    STATUS_ELSEWHERE,
    STATUS_NEED_HELP,
    STATUSES,
    DisasterEvent,
    Shelter,
)
from .permissions import (
    can_manage_disaster,
    can_record_call,
    can_report_for_household,
    can_view_rollcall,
    rollcall_block_ids,
)
from .services import (
    DisasterError,
    EventNotFound,
    NotAllowed,
    active_event,
    active_members,
    dashboard,
    end_event,
    export_rows,
    household_members,
    latest_checkins,
    past_events,
    reporter_names,
    rollcall,
    rollcall_version,
    start_event,
    submit_checkin,
)
from .shelters import (
    MAX_ERRORS_SHOWN,
    ShelterImportError,
    add_own_place,
    association_capacities,
    association_shelters,
    has_explicit_choice,
    import_shelters,
    mark_shelter,
    nearest_shelters,
    set_chosen_shelters,
    shelter_states,
    shelters_within,
)


def status_labels() -> dict[str, str]:
    return {
        "safe_home": _("無事・自宅"),
        "at_shelter": _("避難所"),
        "elsewhere": _("別の場所"),
        "need_help": _("助けが必要"),
    }


def help_labels() -> dict[str, str]:
    return {
        "injury": _("けが"),
        "cannot_move": _("動けない"),
        "supplies": _("物が足りない"),
        "other": _("その他"),
    }


def channel_labels() -> dict[str, str]:
    """How a member's own answer came, where it was not the app (see CheckIn.channel)."""
    return {"email": _("メールで回答"), "line": _("LINEで回答")}


def kind_labels() -> dict[str, str]:
    return {
        "earthquake": _("地震"),
        "flood": _("洪水"),
        "landslide": _("土砂災害"),
        "fire": _("火災"),
        "tsunami": _("津波"),
        "volcano": _("火山"),
        "other": _("その他"),
    }


def facility_labels() -> dict[str, str]:
    return {
        "emergency_site": _("緊急避難場所"),
        "shelter": _("避難所"),
        "gathering_point": _("一時集合場所"),
    }


def shelter_state_labels() -> dict[str, str]:
    """A shelter's state during an event (ShelterState.state)."""
    return {
        "open": _("開設"),
        "full": _("満員"),
        "closed": _("閉鎖"),
        "unknown": _("まだ分からない"),
    }


def outcome_labels() -> dict[str, str]:
    """What a leader's call or visit found."""
    return {
        "phone": _("電話で確認"),
        "visit": _("訪問して確認"),
        "no_answer": _("つながらない"),
        "unreachable": _("連絡がつかない"),
    }


def call_reason_labels() -> dict[str, str]:
    return {
        REASON_NO_CHANNEL: _("知らせが届く方法がありません"),
        REASON_NO_ANSWER: _("返事がありません"),
    }


def answer_channel_labels() -> dict[str, str]:
    """How an answer came (CheckIn.channel)."""
    return {
        "app": _("アプリ"),
        "email": _("メール"),
        "line": _("LINE"),
        "proxy": _("代わりに入力"),
    }


@bp.app_context_processor
def disaster_labels():
    return {
        "status_labels": status_labels,
        "help_labels": help_labels,
        "channel_labels": channel_labels,
        "kind_labels": kind_labels,
        "facility_labels": facility_labels,
        "outcome_labels": outcome_labels,
        "shelter_state_labels": shelter_state_labels,
        "call_reason_labels": call_reason_labels,
        "answer_channel_labels": answer_channel_labels,
    }


bp.add_app_template_global(percent, "percent")

# Named apart from the answer marks ("メールで回答") the disaster pages call channel_labels.
bp.add_app_template_global(reach_channel_labels, "reach_channel_labels")


def current_event() -> DisasterEvent | None:
    """The logged-in member's association's active event, looked up once per request."""
    if "disaster_event" not in g:
        g.disaster_event = active_event(current_user.association_id)
    return g.disaster_event


def require_officer() -> None:
    if not can_manage_disaster(current_user):
        abort(403)


def _event_or_404(event_id: int) -> DisasterEvent:
    return get_scoped_or_404(DisasterEvent, event_id, current_user.association_id)


def _int_or_none(value, parse=int):
    try:
        return parse(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _id_or_none(value):
    """A row id from a form or the query string; None for anything that cannot be one."""
    return _int_or_none(value, id_value)


def _position(form) -> tuple[float, float] | None:
    try:
        lat, lon = float(form.get("lat", "")), float(form.get("lon", ""))
    except ValueError:
        return None
    if -90 <= lat <= 90 and -180 <= lon <= 180:
        return lat, lon
    return None


# --- check-in (every member) -------------------------------------------------------------------


def _checkin_context(event: DisasterEvent, step: int = 1, error: str = "", form=None) -> dict:
    form = form if form is not None else {}
    people = household_members(current_user)
    latest = latest_checkins(event.id, [m.id for m in people])
    g.disaster_own_report = latest.get(current_user.id)  # for the banner, without a query
    chosen = [int(i) for i in form.getlist("member_ids") if str(i).isdigit()] if form else []
    position = _position(form) if form else None
    # Nearest first: to where the phone is, else to the household's home.
    home = next((p.household.location for p in people if p.household is not None), None)
    origin = "here" if position else ("home" if home else "")
    shelters = []
    if step == 2 and form.get("status") == STATUS_AT_SHELTER:
        shelters = nearest_shelters(
            current_user.association, event.id, event.kind, position or home
        )
    elif step == 1:
        # Kept in the page for the offline outbox: choosing a shelter must work without a network.
        shelters = nearest_shelters(current_user.association, event.id, event.kind, home)
    return {
        "event": event,
        "people": people,
        "latest": latest,
        "reporters": reporter_names(latest.values()),
        "chosen": chosen or [current_user.id],
        "client_id": (form.get("client_id") if form else "") or uuid.uuid4().hex,
        "step": step,
        "status": form.get("status", "") if form else "",
        "headcount": form.get("headcount", "") if form else "",
        "place": form.get("place", "") if form else "",
        "note": form.get("note", "") if form else "",
        "shelters": shelters,
        "position": position,
        "origin": origin,
        "help_kinds": HELP_KINDS,
        "statuses": STATUSES,
        "error": error,
    }


def checkin_page(event: DisasterEvent):
    return render_template("disaster/checkin.html", **_checkin_context(event))


@bp.get("/checkin")
@login_required
def checkin():
    event = current_event()
    if event is None:
        return render_template("disaster/no_event.html")
    return checkin_page(event)


def _needs_second_step(form) -> bool:
    status = form.get("status", "")
    if status == STATUS_AT_SHELTER:
        return not form.get("shelter_id")
    if status == STATUS_ELSEWHERE:
        return not form.get("place", "").strip()
    if status == STATUS_NEED_HELP:
        return not form.get("help_kind")
    return False


def _not_for_this_event(event: DisasterEvent | None, event_id: int | None):
    """A form made for another event (or by a page from before reports named their event):
    stored nowhere; the member sees the current check-in and taps once more."""
    if event is None:
        flash(_("災害モードは終わりました。この知らせは数えていません。"), "error")
        return redirect(url_for("home.index"))
    if event_id is None:
        error, code = _("画面が古くなっていました。もう一度、いまの様子を選んでください。"), 400
    else:
        error = _(
            "この知らせは、終わった災害モードのものなので、いまの災害には数えていません。"
            "もう一度知らせてください。"
        )
        code = 409
    return render_template("disaster/checkin.html", **_checkin_context(event, 1, error)), code


@bp.post("/checkin")
@login_required
def checkin_submit():
    event = current_event()
    form = request.form
    event_id = _id_or_none(form.get("event_id"))
    if event is None or event_id != event.id:
        return _not_for_this_event(event, event_id)
    if form.get("status") not in STATUSES:
        context = _checkin_context(event, 1, _("状態を選んでください。"), form)
        return render_template("disaster/checkin.html", **context), 400
    if _needs_second_step(form) or form.get("relocate"):
        return render_template("disaster/checkin.html", **_checkin_context(event, 2, "", form))
    headcount = _int_or_none(form.get("headcount"))
    if form.get("headcount") and headcount is None:
        context = _checkin_context(event, 1, _("人数は数字で入れてください。"), form)
        return render_template("disaster/checkin.html", **context), 400
    member_ids = [_id_or_none(i) for i in form.getlist("member_ids")]
    try:
        submit_checkin(
            current_user,
            event_id=event_id,
            status=form["status"],
            client_id=form.get("client_id", ""),
            member_ids=[i for i in member_ids if i is not None] or None,
            shelter_id=_id_or_none(form.get("shelter_id")),
            place=form.get("place", ""),
            help_kind=form.get("help_kind", ""),
            note=form.get("note", ""),
            headcount=headcount,
        )
    except DisasterError as error:
        db.session.rollback()
        step = 2 if form.get("status") != "safe_home" else 1
        context = _checkin_context(event, step, str(error), form)
        return render_template("disaster/checkin.html", **context), 400
    db.session.commit()
    flash(_("安否を知らせました。ありがとうございます。"))
    return redirect(url_for("disaster.checkin"))


def home_page(member):
    """While an event runs, the home page is the check-in."""
    event = current_event()
    if event is None:
        return None
    return checkin_page(event)


def _own_report(event: DisasterEvent, member):
    """The member's latest report, if the page has not loaded it already."""
    if "disaster_own_report" in g:
        return g.disaster_own_report
    return latest_checkins(event.id, [member.id]).get(member.id)


def banner(member) -> Markup | None:
    """The banner on every page while an event runs."""
    event = current_event()
    if event is None:
        return None
    # Rendered without the layout's context processors, which call this provider.
    template = current_app.jinja_env.get_template("disaster/_banner.html")
    return Markup(
        template.render(
            event=event,
            reported=_own_report(event, member),
            status_labels=status_labels,
            help_labels=help_labels,
            officer=can_manage_disaster(member),
            leader=bool(member.led_block_ids),
        )
    )


def tab(member):
    """安否 in the phones' bottom bar while an event runs."""
    from ..ui import Tab

    if current_event() is None:
        return None
    return Tab(_("安否"), url_for("disaster.checkin"), "safety", paths=("/disaster/",), order=5)


def nav_items(member) -> list:
    from ..ui import NavItem

    items = []
    if member.led_block_ids or can_manage_disaster(member):
        if current_event() is not None:
            items.append(NavItem(_("班の安否"), url_for("disaster.rollcall_page")))
    if can_manage_disaster(member):
        items.append(NavItem(_("災害モード"), url_for("disaster.index")))
    return items


# --- roll call (block leaders) -----------------------------------------------------------------


def _rollcall_blocks() -> tuple[list[Block], list[int]]:
    blocks = blocks_of(current_user.association_id)
    allowed = rollcall_block_ids(current_user, [b.id for b in blocks])
    if not allowed:
        abort(403)
    wanted = _id_or_none(request.args.get("block_id"))
    if wanted is not None:
        block = get_scoped_or_404(Block, wanted, current_user.association_id)
        if not can_view_rollcall(current_user, block):
            abort(403)
        return blocks, [block.id]
    return blocks, allowed


@bp.get("/rollcall")
@login_required
def rollcall_page():
    blocks, block_ids = _rollcall_blocks()
    event = current_event()
    if event is None:
        return render_template("disaster/no_event.html")
    now = utcnow()
    version = rollcall_version(event, block_ids)
    calls = reach_version(event, current_user.association, block_ids, now)
    # "rc4": the page shows households without member records and works offline; a page
    # cached before must not be reused.
    etag = f"rc4-{version}-{calls}-{current_user.id}-{get_locale()}-{current_user.text_size}"
    if request.if_none_match.contains(etag):
        response = Response(status=304)
        response.set_etag(etag)
        return response
    states = shelter_states(current_user.association, event.id)
    lines = rollcall(event, block_ids)
    response = Response(
        render_template(
            "disaster/rollcall.html",
            event=event,
            lines=lines,
            calls=call_sheet(event, current_user.association, lines, now),
            outcomes=OUTCOMES,
            block_id=_id_or_none(request.args.get("block_id")),
            blocks=[b for b in blocks if b.id in rollcall_block_ids(current_user, [b.id])],
            block_ids=block_ids,
            shelters=[s for s in states if s.is_open is not False],
            help_kinds=HELP_KINDS,
            statuses=STATUSES,
            client_id=uuid.uuid4().hex,
            officer=can_manage_disaster(current_user),
        )
    )
    response.set_etag(etag)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _report_fields(form) -> dict:
    """The fields of a leader's visit form, as the check-in services take them."""
    return {
        "event_id": _id_or_none(form.get("event_id")),
        "status": form.get("status", ""),
        "client_id": form.get("client_id", ""),
        "shelter_id": _id_or_none(form.get("shelter_id")),
        "place": form.get("place", ""),
        "help_kind": form.get("help_kind", ""),
        "note": form.get("note", ""),
    }


def _store_rollcall_report(store):
    """Run `store()` (a member or household report), commit once and go back to the roll call;
    a refused report comes back as a message, nothing stored."""
    try:
        result = store()
    except NotAllowed:
        db.session.rollback()
        abort(403)
    except EventNotFound:
        db.session.rollback()
        abort(404)
    except DisasterError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("disaster.rollcall_page")), 303
    db.session.commit()
    if result.stored:
        flash(_("報告を入れました。"))
    return redirect(url_for("disaster.rollcall_page"))


@bp.post("/rollcall/report")
@login_required
def rollcall_report():
    form = request.form
    member_ids = [_id_or_none(i) for i in form.getlist("member_ids")]
    member_ids = [i for i in member_ids if i is not None]
    if not member_ids:
        abort(400)
    # Another association's member answers 404, a member of another block 403.
    for member_id in member_ids:
        get_scoped_or_404(Member, member_id, current_user.association_id)
    return _store_rollcall_report(
        lambda: submit_checkin(
            current_user,
            member_ids=member_ids,
            headcount=_int_or_none(form.get("headcount")),
            **_report_fields(form),
        )
    )


@bp.post("/rollcall/households/<int:household_id>/report")
@login_required
def rollcall_household_report(household_id: int):
    """A leader's report for a household without member records, as a whole."""
    household = get_scoped_or_404(Household, household_id, current_user.association_id)
    if not can_report_for_household(current_user, household):
        abort(403)
    form = request.form

    def store():
        headcount = _int_or_none(form.get("headcount"))
        if form.get("headcount") and headcount is None:
            raise DisasterError(_("人数は数字で入れてください。"))
        return submit_household_checkin(
            current_user, household, headcount=headcount, **_report_fields(form)
        )

    return _store_rollcall_report(store)


@bp.post("/rollcall/calls")
@login_required
def rollcall_call():
    """Record what a call or visit to a member (or a household without member records) of
    the call list found."""
    form = request.form
    member_id = _id_or_none(form.get("member_id"))
    household_id = _id_or_none(form.get("household_id"))
    if (member_id is None) == (household_id is None):
        abort(400)
    # Another association's member answers 404, a member of another block 403.
    member = household = None
    if member_id is not None:
        member = get_scoped_or_404(Member, member_id, current_user.association_id)
        if not can_record_call(current_user, member):
            abort(403)
    else:
        household = get_scoped_or_404(Household, household_id, current_user.association_id)
        if not can_report_for_household(current_user, household):
            abort(403)
    block_id = _id_or_none(form.get("block_id"))
    back = url_for("disaster.rollcall_page", block_id=block_id) if block_id else None
    back = back or url_for("disaster.rollcall_page")
    event = current_event()
    if event is None or _id_or_none(form.get("event_id")) != event.id:
        flash(_("画面が古くなっていました。もう一度選んでください。"), "error")
        return redirect(back), 303
    try:
        record_call(
            event,
            member,
            form.get("outcome", ""),
            form.get("note", ""),
            current_user,
            household=household,
            client_id=form.get("client_id") or None,
        )
    except DisasterError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(back), 303
    db.session.commit()
    flash(
        _(
            "%(name)s さん：「%(outcome)s」と記録しました。",
            name=member.name if member else household.name,
            outcome=outcome_labels()[form["outcome"]],
        )
    )
    return redirect(back), 303


# --- officers: events and the dashboard ------------------------------------------------------


@bp.get("/")
@login_required
def index():
    require_officer()
    return _index_page(StartEventForm())


def _plan_text() -> str:
    """Who starting an event now would reach, and how, said before the officer starts it."""
    reach = plan(active_members(current_user.association_id), every_channel=True)
    text = plan_summary(reach, current_user.association_id)
    if reach.unreached:
        text += _("その方は、班長さんの連絡リストに入ります。")
    return text


def _index_page(form: StartEventForm):
    event = current_event()
    return render_template(
        "disaster/index.html",
        event=event,
        form=form,
        past=past_events(current_user.association_id),
        plan=_plan_text() if event is None else "",
    )


@bp.post("/events")
@login_required
def start():
    """Three steps on one address: the form, its confirmation page, then the start itself.

    The confirmation page carries the same fields hidden; they are validated again here, so
    only what the officer saw (and nothing tampered) starts an event.
    """
    require_officer()
    form = StartEventForm()
    if not form.validate_on_submit():
        return _index_page(form), 400
    step = request.form.get("step")
    if step == "back":
        return _index_page(form)
    if step != "confirm":
        return render_template(
            "disaster/start_confirm.html",
            form=form,
            kind_label=kind_labels()[form.kind.data],
            plan=_plan_text(),
        )
    try:
        event = start_event(
            current_user.association,
            kind=form.kind.data,
            title=form.title.data,
            message=form.message.data or "",
            drill=form.is_drill,
            started_by=current_user,
        )
    except DisasterError as error:
        db.session.rollback()
        form.title.errors.append(str(error))
        return _index_page(form), 400
    db.session.commit()
    flash(_("災害モードを始めました。") + started_summary(event.reach))
    return redirect(url_for("disaster.index"))


@bp.get("/events/<int:event_id>/end")
@login_required
def end_page(event_id: int):
    """What ending would close, and how many have answered, before the officer ends it."""
    event = _event_or_404(event_id)
    require_officer()
    if not event.is_active:
        return redirect(url_for("disaster.event_page", event_id=event.id))
    return render_template(
        "disaster/end_confirm.html", event=event, board=dashboard(event), form=EndEventForm()
    )


@bp.post("/events/<int:event_id>/end")
@login_required
def end(event_id: int):
    event = _event_or_404(event_id)
    require_officer()
    if not EndEventForm().validate_on_submit():
        # Not sent from the confirmation page: show it instead of ending.
        return redirect(url_for("disaster.end_page", event_id=event.id), 303)
    try:
        end_event(event, current_user)
    except DisasterError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("disaster.index"))
    db.session.commit()
    flash(_("災害モードを終えました。まとめを残しました。"))
    return redirect(url_for("disaster.event_page", event_id=event.id))


@bp.get("/events/<int:event_id>")
@login_required
def event_page(event_id: int):
    event = _event_or_404(event_id)
    require_officer()
    board = dashboard(event) if event.details_deleted_at is None and event.is_active else None
    association = current_user.association
    return render_template(
        "disaster/dashboard.html",
        event=event,
        board=board,
        reach=event_reach(event, board.total) if board else None,
        call_counts=block_call_counts(event, utcnow(), association) if board else {},
        unreachable=len(unreachable_list(event)) if board else 0,
        blocks=blocks_of(current_user.association_id),
        mark_form=ShelterMarkForm(),
        confirm=ConfirmForm(),
    )


@bp.get("/events/<int:event_id>/export.csv")
@login_required
def export(event_id: int):
    event = _event_or_404(event_id)
    require_officer()
    if event.details_deleted_at is not None:
        abort(410)
    rows = export_rows(
        event, ZoneInfo(current_user.association.timezone), status_labels(), help_labels()
    )
    record(
        "disaster.export",
        association_id=event.association_id,
        actor=current_user,
        target=event,
        ip=request.remote_addr or "",
        rows=len(rows) - 1,
    )
    db.session.commit()
    return csv_download(rows, f"checkins-{event.id}.csv")


@bp.get("/events/<int:event_id>/unreachable")
@login_required
def unreachable(event_id: int):
    """Members nobody could reach (連絡がつかない), with addresses and who needs help to
    evacuate: to print or hand to the fire brigade or the city."""
    event = _event_or_404(event_id)
    require_officer()
    if event.details_deleted_at is not None:
        abort(410)
    return render_template(
        "disaster/unreachable.html", event=event, entries=unreachable_list(event), now=utcnow()
    )


@bp.get("/events/<int:event_id>/unreachable.csv")
@login_required
def unreachable_csv(event_id: int):
    event = _event_or_404(event_id)
    require_officer()
    if event.details_deleted_at is not None:
        abort(410)
    rows = unreachable_rows(unreachable_list(event), ZoneInfo(current_user.association.timezone))
    record(
        "disaster.unreachable_export",
        association_id=event.association_id,
        actor=current_user,
        target=event,
        ip=request.remote_addr or "",
        rows=len(rows) - 1,
    )
    db.session.commit()
    return csv_download(rows, f"unreachable-{event.id}.csv")


@bp.get("/events/<int:event_id>/sheet/<int:block_id>")
@login_required
def sheet(event_id: int, block_id: int):
    event = _event_or_404(event_id)
    block = get_scoped_or_404(Block, block_id, current_user.association_id)
    if not can_view_rollcall(current_user, block):
        abort(403)
    if event.details_deleted_at is not None:
        abort(410)
    lines = sorted(
        rollcall(event, [block.id]), key=lambda line: (line.household.position, line.household.id)
    )
    now = utcnow()
    calls = call_sheet(event, current_user.association, lines, now)
    return render_template(
        "disaster/sheet.html",
        event=event,
        block=block,
        lines=lines,
        now=now,
        on_call_list={entry.key: entry for entry in calls.entries},
    )


@bp.post("/events/<int:event_id>/shelters/<int:shelter_id>")
@login_required
def mark(event_id: int, shelter_id: int):
    event = _event_or_404(event_id)
    require_officer()
    shelter = db.session.get(Shelter, shelter_id)
    chosen = {s.id for s in association_shelters(current_user.association)}
    if shelter is None or shelter.id not in chosen:
        abort(404)
    form = ShelterMarkForm()
    if not form.validate_on_submit():
        message = next(iter(form.errors.values()))[0]
        flash(str(message), "error")
        return redirect(url_for("disaster.event_page", event_id=event.id))
    try:
        mark_shelter(
            event,
            shelter,
            is_open=form.state.data != "closed",
            full=form.state.data == "full",
            capacity=form.capacity.data,
            by=current_user,
        )
    except ValueError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("disaster.event_page", event_id=event.id))
    db.session.commit()
    flash(_("避難所の状態を保存しました。"))
    return redirect(url_for("disaster.event_page", event_id=event.id))


# --- officers: shelters ------------------------------------------------------------------------


def _shelters_page(upload=None, own=None, errors=None, status=200):
    association = current_user.association
    chosen = association_shelters(association)
    radius = float(association.setting("shelter_radius_m"))
    nearby = shelters_within(association, max(radius * 2, 5000))
    chosen_ids = {s.id for s in chosen}
    candidates = chosen + [s for s in nearby if s.id not in chosen_ids]
    return render_template(
        "disaster/shelters.html",
        candidates=candidates,
        chosen_ids=chosen_ids,
        explicit=has_explicit_choice(association.id),
        chosen=chosen,
        capacities=association_capacities(association.id),
        capacity_form=ShelterCapacityForm(),
        radius=int(radius),
        upload=upload or ShelterUploadForm(),
        own=own or OwnPlaceForm(),
        confirm=ConfirmForm(),
        errors=errors or [],
    ), status


@bp.get("/shelters")
@login_required
def shelters():
    require_officer()
    return _shelters_page()


@bp.post("/shelters/choose")
@login_required
def choose():
    require_officer()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    ids = [_id_or_none(i) for i in request.form.getlist("shelter_ids")]
    try:
        set_chosen_shelters(current_user.association, [i for i in ids if i is not None])
    except ValueError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _shelters_page(status=400)
    db.session.commit()
    flash(_("避難所を保存しました。"))
    return redirect(url_for("disaster.shelters"))


@bp.post("/shelters/import")
@login_required
def upload():
    require_officer()
    form = ShelterUploadForm()
    if not form.validate_on_submit():
        return _shelters_page(upload=form, status=400)
    try:
        result = import_shelters(
            form.file.data.read(),
            current_user.association_id,
            by=current_user,
            max_rows=int(current_app.config["SHELTER_UPLOAD_MAX_ROWS"]),
        )
    except ShelterImportError as error:
        db.session.rollback()
        form.file.errors.append(str(error))
        return _shelters_page(upload=form, errors=error.errors[:MAX_ERRORS_SHOWN], status=400)
    db.session.commit()
    flash(
        _(
            "取り込みました。新しく %(created)s 件、更新 %(updated)s 件です。",
            created=result.created,
            updated=result.updated,
        )
    )
    return redirect(url_for("disaster.shelters"))


@bp.post("/shelters/own")
@login_required
def own_place():
    require_officer()
    form = OwnPlaceForm()
    if form.validate_on_submit():
        try:
            add_own_place(
                current_user.association,
                name=form.name.data,
                lat=form.lat.data,
                lon=form.lon.data,
                address=form.address.data or "",
                facility_type=form.facility_type.data,
                capacity=form.capacity.data,
                note=form.note.data or "",
            )
        except ValueError as error:
            db.session.rollback()
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("場所を加えました。"))
            return redirect(url_for("disaster.shelters"))
    return _shelters_page(own=form, status=400)
