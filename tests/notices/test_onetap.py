"""The 読みました link of a circular sent by email or LINE: /r/<token>, no login."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from jichikai.database import utcnow
from jichikai.extensions import db
from jichikai.notices.models import ReadReceipt
from jichikai.notices.services import withdraw_notice
from jichikai.reach import tokens

from ..factories import login
from ..matrix import ROLES
from ..reach.helpers import press_without_referer, tampered
from .helpers import PDF_BYTES, make_notice


def link(member, notice, channel="email") -> str:
    return f"/r/{tokens.read_token(member.id, notice.id, channel)}"


def receipts() -> list[ReadReceipt]:
    return list(db.session.scalars(select(ReadReceipt).order_by(ReadReceipt.id)))


def page(response) -> str:
    return response.get_data(as_text=True)


def test_opening_the_link_shows_the_circular_and_stores_nothing(app, client, world):
    notice = make_notice(world, body="12月29日から1月3日まで収集はありません。")
    response = client.get(link(world.member, notice))
    html = page(response)
    assert response.status_code == 200
    assert "ごみ収集日の変更" in html and "1月3日まで収集はありません" in html
    assert "佐藤 花子 さんへの回覧" in html
    assert html.count('type="submit"') == 1 and "読みました" in html
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response.headers["X-Robots-Tag"]
    client.get(link(world.member, notice))
    assert receipts() == []


@pytest.mark.parametrize("channel", ["email", "line"])
def test_the_button_records_the_receipt_with_the_channel_once(app, client, world, channel):
    notice = make_notice(world)
    first = client.post(link(world.member, notice, channel))
    assert first.status_code == 303
    client.post(link(world.member, notice, channel))
    [receipt] = receipts()
    assert (receipt.member_id, receipt.household_id, receipt.via) == (
        world.member.id,
        world.household.id,
        channel,
    )
    shown = page(client.get(first.headers["Location"]))
    assert "読んだことを伝えました" in shown
    assert 'type="submit"' not in shown.split("</article>")[1]


def test_attachments_stay_in_the_app(app, client, world):
    notice = make_notice(world, files=[("案内.pdf", PDF_BYTES)])
    html = page(client.get(link(world.member, notice)))
    assert "添付ファイル（1件）" in html
    assert "/files/" not in html


def test_a_withdrawn_or_expired_circular_gets_a_polite_page(app, client, world):
    withdrawn = make_notice(world)
    withdraw_notice(withdrawn, world.officer)
    expired = make_notice(world, title="夏祭り")
    expired.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    for notice in (withdrawn, expired):
        for response in (
            client.get(link(world.member, notice)),
            client.post(link(world.member, notice)),
        ):
            assert response.status_code == 410
            assert "もう掲載されていません" in page(response)
    assert receipts() == []


@pytest.mark.parametrize(
    "make",
    [
        lambda w, n: "/r/forged",
        lambda w, n: "/r/" + tampered(tokens.read_token(w.member.id, n.id, "email")),
        lambda w, n: f"/r/{tokens.answer_token(w.member.id, n.id, 'email')}",
        lambda w, n: link(w.member, n, "push"),
        lambda w, n: link(w.outsider, n),
        lambda w, n: link(w.other_leader, n),  # 2班: not in the audience
    ],
    ids=["garbage", "tampered", "answer-link", "push", "other-association", "not-audience"],
)
def test_forged_foreign_or_outside_links_are_not_found(app, client, world, make):
    notice = make_notice(world, block_ids=[world.block.id])
    url = make(world, notice)
    for response in (client.get(url), client.post(url)):
        assert response.status_code == 404
        assert "ごみ収集日" not in page(response)
    assert receipts() == []


def test_a_departed_member_link_is_not_found(app, client, world):
    notice = make_notice(world)
    world.member.active = False
    db.session.commit()
    assert client.get(link(world.member, notice)).status_code == 404
    assert client.post(link(world.member, notice)).status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_whoever_opens_the_link_records_only_its_member(app, client, world, role):
    notice = make_notice(world)
    member = world.by_role(role)
    if member is not None:
        login(client, member)
    client.post(link(world.member, notice))
    assert [(r.member_id, r.via) for r in receipts()] == [(world.member.id, "email")]


def test_leaders_see_the_channel_and_cannot_undo_a_members_read(app, client, world, as_member):
    notice = make_notice(world)
    client.post(link(world.member, notice, "line"))
    as_member(world.leader)
    html = page(client.get(f"/notices/{notice.id}/blocks/{world.block.id}"))
    household = html.split("佐藤家")[1].split("</ul>")[0]
    assert "佐藤 花子：既読（LINE）" in household
    assert "取り消す" not in household


def test_csrf_is_checked_without_a_referer_over_https(app, client, world, csrf_enabled):
    notice = make_notice(world)
    refused, pressed = press_without_referer(client, link(world.member, notice))
    assert (refused.status_code, pressed.status_code) == (400, 303)
    assert len(receipts()) == 1
