"""Permission cases of the circulars' pages and API."""

from sqlalchemy import func, select

from jichikai.extensions import db
from jichikai.notices.calendar import renew_feed
from jichikai.notices.models import REPLY_ATTENDANCE, CalendarFeed, ReadReceipt
from jichikai.reach import tokens

from ..matrix import LOGIN, Case, everyone, expect, logged_in, officers_only
from ..reach.helpers import tampered
from .helpers import PDF_BYTES, make_notice, png_bytes


def _notice(world):
    """One published notice for the whole association, with a reply form and attachments."""
    if getattr(world, "_notice", None) is None:
        world._notice = make_notice(
            world,
            reply_kind=REPLY_ATTENDANCE,
            files=[("chirashi.png", png_bytes()), ("annai.pdf", PDF_BYTES)],
        )
        db.session.commit()
    return world._notice


def _n(world) -> str:
    return f"/notices/{_notice(world).id}"


def _image(world) -> int:
    return _notice(world).attachments[0].id


def _block(world) -> str:
    return f"{_n(world)}/blocks/{world.block.id}"


# Everyone of the association sees the notice; another association gets 404.
VISIBLE = expect(anonymous=LOGIN, outsider=404, default=200)
# The block's leader and the officers follow block 1's receipts.
FOLLOWERS = {"anonymous": LOGIN, "member": 403, "other_leader": 403, "outsider": 404}


def followers(ok: int) -> dict:
    return expect(leader=ok, officer=ok, admin=ok, **FOLLOWERS)


def _paper_reply(world) -> str:
    return f"{_block(world)}/replies/{world.paper_household.id}"


def _answer_form(world) -> dict:
    notice = _notice(world)
    return {f"q{notice.questions[0].id}": str(notice.options[0].id)}


def _notice_form(world) -> dict:
    return {"title": "回覧板のテスト", "body": "本文です。", "category": "general"}


CASES = [
    Case("GET", lambda w: "/notices/", logged_in(200), id="feed"),
    Case("GET", _n, VISIBLE, id="show"),
    Case(
        "POST",
        lambda w: f"{_n(w)}/reply",
        expect(anonymous=LOGIN, outsider=404, default=303),
        form=_answer_form,
        id="reply",
    ),
    # 確認しました: everyone of the association has a household the notice goes to.
    Case(
        "POST",
        lambda w: f"{_n(w)}/ack",
        expect(anonymous=LOGIN, outsider=404, default=303),
        id="ack",
    ),
    Case(
        "POST",
        lambda w: f"/api/v1{_n(w)}/ack",
        expect(anonymous=LOGIN, outsider=404, default=201),
        json=lambda w: {"client_id": "matrix"},
        id="api-ack",
    ),
    Case("GET", lambda w: f"{_n(w)}/files/{_image(w)}", VISIBLE, id="file"),
    Case("GET", lambda w: f"{_n(w)}/files/{_image(w)}/web", VISIBLE, id="file-web"),
    Case(
        "GET",
        lambda w: "/notices/blocks",
        expect(
            anonymous=LOGIN,
            member=403,
            leader=200,
            other_leader=200,
            officer=200,
            admin=200,
            outsider=403,
        ),
        id="leader-index",
    ),
    Case("GET", _block, followers(200), id="block"),
    Case("POST", lambda w: f"{_block(w)}/remind", followers(302), id="remind"),
    Case(
        "POST",
        lambda w: f"{_block(w)}/receipts",
        followers(302),
        form=lambda w: {"household_id": str(w.paper_household.id), "via": "paper"},
        id="record-read",
    ),
    Case(
        "POST",
        lambda w: f"{_block(w)}/receipts/{w.paper_household.id}/undo",
        followers(302),
        id="undo-read",
    ),
    Case("GET", lambda w: f"{_block(w)}/print", followers(200), id="print"),
    Case("GET", lambda w: "/notices/manage", officers_only(), id="manage"),
    Case("GET", lambda w: "/notices/new", officers_only(), id="new"),
    Case("POST", lambda w: "/notices/new", officers_only(303), form=_notice_form, id="create"),
    Case("GET", lambda w: f"{_n(w)}/edit", officers_only(), id="edit"),
    Case("POST", lambda w: f"{_n(w)}/edit", officers_only(303), form=_notice_form, id="update"),
    Case("POST", lambda w: f"{_n(w)}/withdraw", officers_only(303), id="withdraw"),
    Case(
        "POST",
        lambda w: f"{_n(w)}/attachments/{_image(w)}/delete",
        officers_only(303),
        id="delete-attachment",
    ),
    Case("GET", lambda w: f"{_n(w)}/report", officers_only(), id="report"),
    Case("GET", lambda w: f"{_n(w)}/answers", officers_only(), id="written-answers"),
    Case("GET", _paper_reply, followers(200), id="paper-reply"),
    Case("POST", _paper_reply, followers(303), form=_answer_form, id="paper-reply-save"),
    Case("POST", lambda w: f"{_paper_reply(w)}/undo", followers(303), id="paper-reply-undo"),
    Case("GET", lambda w: "/notices/calendar", logged_in(200), id="calendar"),
    Case("GET", lambda w: "/notices/calendar/feed", logged_in(200), id="calendar-feed-settings"),
    Case("POST", lambda w: "/notices/calendar/feed", logged_in(303), id="calendar-feed-renew"),
    Case("POST", lambda w: "/notices/calendar/feed/stop", logged_in(303), id="calendar-feed-stop"),
    Case("GET", lambda w: f"{_n(w)}/report.csv", officers_only(), id="report-csv"),
    Case("GET", lambda w: "/api/v1/notices", logged_in(200), id="api-feed"),
    Case("GET", lambda w: "/api/v1/notices/offline", logged_in(200), id="api-offline"),
    Case("GET", lambda w: "/notices/search?q=ごみ", logged_in(200), id="search"),
    Case("GET", lambda w: "/notices/archive", logged_in(200), id="archive"),
    Case("GET", lambda w: "/api/v1/notices/search?q=ごみ", logged_in(200), id="api-search"),
    Case("GET", lambda w: "/api/v1/notices/archive", logged_in(200), id="api-archive"),
    Case("GET", lambda w: f"/api/v1{_n(w)}", VISIBLE, id="api-show"),
    Case(
        "POST",
        lambda w: "/api/v1/notices",
        officers_only(201),
        json=lambda w: {"title": "API の回覧", "body": "本文"},
        id="api-create",
    ),
    Case(
        "GET",
        lambda w: f"/api/v1{_n(w)}/receipts?block_id={w.block.id}",
        followers(200),
        id="api-receipts",
    ),
    Case(
        "POST",
        lambda w: f"/api/v1{_n(w)}/receipts",
        followers(201),
        json=lambda w: {"household_id": w.paper_household.id, "via": "paper"},
        id="api-record",
    ),
]


# The 読みました link (no login): whoever holds it records the read of its member only.


def _read_link(member=lambda w: w.member):
    return lambda w: f"/r/{tokens.read_token(member(w).id, _notice(w).id, 'email')}"


def _read_by_the_link_member_only(world):
    rows = db.session.execute(select(ReadReceipt.member_id, ReadReceipt.via)).all()
    assert rows == [(world.member.id, "email")]


CASES += [
    Case("GET", _read_link(), everyone(200), id="onetap-read"),
    Case(
        "POST",
        _read_link(),
        everyone(303),
        then=_read_by_the_link_member_only,
        id="onetap-mark-read",
    ),
    Case(
        "GET",
        lambda w: "/r/" + tampered(_read_link()(w)[3:]),
        everyone(404),
        id="onetap-read-forged",
    ),
    Case(
        "POST",
        _read_link(member=lambda w: w.outsider),  # B's member, A's circular
        everyone(404),
        then=lambda w: _no_receipt(),
        id="onetap-read-other-association",
    ),
]


# The calendar feed (no login): its secret address opens one member's events, nothing else.


def _feed(world) -> str:
    if getattr(world, "_feed_token", None) is None:
        world._feed_token = renew_feed(world.member)
        db.session.commit()
    return f"/calendar/{world._feed_token}.ics"


def _feed_of_the_member_only(world):
    feed = db.session.scalars(select(CalendarFeed)).one()
    assert feed.member_id == world.member.id and feed.last_used_at is not None


CASES += [
    Case("GET", _feed, everyone(200), then=_feed_of_the_member_only, id="calendar-feed"),
    Case(
        "GET", lambda w: "/calendar/" + "x" * 43 + ".ics", everyone(404), id="calendar-feed-forged"
    ),
]


def _no_receipt():
    assert db.session.scalar(select(func.count(ReadReceipt.id))) == 0


# Translations of a circular: officers only (another association's officer sees no notice).


def _translation_form(world) -> dict:
    return {"title": "Thay đổi ngày thu gom rác", "body": "Không thu gom vào cuối năm."}


CASES += [
    Case("GET", lambda w: f"{_n(w)}/translations", officers_only(), id="translations"),
    Case("GET", lambda w: f"{_n(w)}/translations/vi", officers_only(), id="translation"),
    Case(
        "POST",
        lambda w: f"{_n(w)}/translations/vi",
        officers_only(303),
        form=_translation_form,
        id="translation-save",
    ),
    Case(
        "POST",
        lambda w: f"{_n(w)}/translations/vi/delete",
        officers_only(303),
        id="translation-delete",
    ),
    Case(
        "POST",
        lambda w: f"{_n(w)}/language",
        officers_only(303),
        form=lambda w: {"language": "ja"},
        id="original-language",
    ),
    # Machine translation is off in these tests: officers reach the route and find nothing.
    Case(
        "POST",
        lambda w: f"{_n(w)}/machine-translations",
        officers_only(404),
        id="machine-translations",
    ),
]
