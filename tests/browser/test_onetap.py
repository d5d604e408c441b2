"""One-tap answers in a real browser: the link an email carries, no login, no JavaScript."""

import pytest
from sqlalchemy import select

from jichikai.disaster.models import CheckIn
from jichikai.extensions import db
from jichikai.push.models import Outbox

from ..disaster.helpers import start
from ..mail.helpers import send_email
from ..reach.helpers import add_contact
from .conftest import axe_problems, screenshot
from .test_disaster import phone
from .test_login_and_app import log_in_by_card

pytestmark = pytest.mark.browser

# The confirm page's own HTML (the stylesheet is shared and cached): small on a weak signal.
MAX_PAGE_BYTES = 8_000


@pytest.fixture
def public_url(app, live_server):
    """Messages carry links to the live server, as they carry PUBLIC_URL in production."""
    app.config["PUBLIC_URL"] = live_server
    yield live_server
    app.config["PUBLIC_URL"] = ""


def email_links(member, event) -> dict[str, str]:
    """The answer links of the email queued for `member`: exactly what the email carries."""
    db.session.rollback()
    rows = db.session.scalars(
        select(Outbox).where(Outbox.member_id == member.id, Outbox.event_id == event.id)
    ).all()
    assert [row.channel for row in rows] == ["email"]  # an email address and nothing else
    return {label: url for label, url, *_does in rows[0].actions}


def received_links(smtp, address: str) -> dict[str, str]:
    """The links of the mail the SMTP server took for `address`: each "▼label" line is
    followed by its link alone on the next line."""
    [mail] = [m for m in smtp.received if address in m.rcpt_tos]
    lines = mail.parsed().get_content().splitlines()
    return {line[1:]: lines[n + 1] for n, line in enumerate(lines) if line.startswith("▼")}


def stored() -> list[CheckIn]:
    db.session.rollback()
    return list(db.session.scalars(select(CheckIn).order_by(CheckIn.id)))


def test_a_member_answers_from_the_email_and_the_leader_sees_it(
    browser_or_skip, public_url, world, smtp
):
    add_contact(world.member, "email", "hanako@example.jp")
    db.session.commit()
    leader_phone = phone(browser_or_skip, public_url)
    leader = leader_phone.new_page()
    log_in_by_card(leader, world.leader)

    event = start(world, drill=True)
    queued = email_links(world.member, event)
    summary = send_email()  # the email channel's sender, through a real SMTP server
    assert summary.sent == 1
    links = received_links(smtp, "hanako@example.jp")
    assert links["無事です・自宅にいます"] == queued["無事です・自宅にいます"]
    safe = links["無事です・自宅にいます"]
    assert safe.startswith(public_url + "/a/")

    # The member opens the link on a phone that never logged in.
    member_phone = phone(browser_or_skip, public_url)
    member = member_phone.new_page()
    response = member.goto(safe)
    assert response.status == 200
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "佐藤 花子 さんの安否" in member.content()
    assert "「無事です・自宅にいます」と知らせます。" in member.content()
    assert stored() == []  # opening stored nothing
    assert axe_problems(member) == []
    screenshot(member, "onetap-confirm")

    member.get_by_role("button", name="知らせる").click()
    member.wait_for_load_state()
    assert "安否を知らせました" in member.content()
    assert "届いている知らせ：" in member.content()
    screenshot(member, "onetap-answered")
    [checkin] = stored()
    assert (checkin.member_id, checkin.status, checkin.channel) == (
        world.member.id,
        "safe_home",
        "email",
    )

    # The leader's roll call shows the answer and how it came.
    leader.goto("/disaster/rollcall")
    line = leader.locator(".members li", has_text="佐藤 花子")
    assert "無事・自宅" in line.inner_text()
    assert "メールで回答" in line.inner_text()
    screenshot(leader, "onetap-rollcall")

    # The member changes the answer on the same page.
    member.get_by_role("button", name="助けが必要です").click()
    member.wait_for_load_state()
    member.get_by_role("button", name="動けない").click()
    member.wait_for_load_state()
    assert [(c.status, c.help_kind) for c in stored()][1:] == [
        ("need_help", "other"),
        ("need_help", "cannot_move"),
    ]
    leader.reload()
    assert "動けない" in leader.locator(".members li", has_text="佐藤 花子").inner_text()
    member_phone.close()
    leader_phone.close()


def test_the_confirm_page_is_small_and_works_without_javascript(browser_or_skip, public_url, world):
    add_contact(world.member, "email", "hanako@example.jp")
    db.session.commit()
    event = start(world, drill=True)
    need_help = email_links(world.member, event)["助けが必要です"]

    no_script = phone(browser_or_skip, public_url, java_script_enabled=False)
    member = no_script.new_page()
    response = member.goto(need_help)
    size = len(response.body())
    print(f"one-tap confirm page: {size} bytes of HTML")
    assert size < MAX_PAGE_BYTES
    member.get_by_role("button", name="知らせる").click()
    member.wait_for_load_state()
    assert "安否を知らせました" in member.content()
    [checkin] = stored()
    assert (checkin.status, checkin.channel) == ("need_help", "email")

    # 避難所・別の場所: the shelters and places are buttons, nothing to type.
    member.goto(email_links(world.member, event)["避難所・別の場所にいます"])
    assert member.locator("input[type=text], textarea").count() == 0
    member.get_by_role("button", name="車の中").click()
    member.wait_for_load_state()
    assert stored()[-1].place == "車の中"
    no_script.close()
