"""In the browser: an officer builds a questionnaire, a member answers it with taps, a leader
enters a paper slip, and members look at the calendar of events on a phone."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from jichikai.database import utcnow
from jichikai.notices.models import QUESTION_NUMBER, QUESTION_SINGLE, REPLY_SURVEY, Reply
from jichikai.notices.questionnaires import QuestionInput

from ..notices.helpers import make_notice
from .conftest import axe_problems, screenshot
from .test_login_and_app import log_in_by_card

pytestmark = pytest.mark.browser


def _new_context(browser, live_server):
    return browser.new_context(
        base_url=live_server, locale="ja-JP", viewport={"width": 390, "height": 844}
    )


def test_officer_builds_a_questionnaire_and_a_member_answers_it(
    browser_or_skip, live_server, page, world
):
    log_in_by_card(page, world.officer)
    page.goto("/notices/new")
    page.get_by_label("題名").fill("夏祭りのお手伝い")
    page.get_by_label("本文").fill("8月2日に公園で夏祭りをします。")
    page.get_by_role("radio", name="アンケート").check()
    first = page.locator(".question-row").nth(0)
    first.get_by_label("質問", exact=True).fill("来られますか")
    first.get_by_label("選択肢（1行に1つ）").fill("行く\n行かない")
    second = page.locator(".question-row").nth(1)
    second.get_by_label("質問", exact=True).fill("何人で来ますか")
    second.get_by_label("答え方").select_option("number")
    second.get_by_label("いちばん小さい数").fill("1")
    second.get_by_label("いちばん大きい数").fill("8")
    page.evaluate("window.stillTheSamePage = true")
    page.get_by_role("button", name="質問を増やす").click()
    assert page.locator(".question-row").count() == 4
    assert page.evaluate("window.stillTheSamePage === true")  # added in the page by the script
    assert page.locator('[name="questions-3-label"]').count() == 1
    assert page.locator(".question-row legend").nth(3).inner_text() == "質問4"
    # What was typed survived the round trip without JavaScript.
    assert page.locator(".question-row").nth(1).get_by_label("質問", exact=True).input_value() == (
        "何人で来ますか"
    )
    fourth = page.locator(".question-row").nth(3)
    fourth.get_by_label("質問", exact=True).fill("ひとこと")
    fourth.get_by_label("答え方").select_option("long")
    fourth.get_by_label("答えが必要").uncheck()
    assert axe_problems(page) == []
    screenshot(page, "questionnaire-builder")
    page.get_by_role("button", name="回覧を出す").click()
    page.wait_for_url("**/report")

    member_context = _new_context(browser_or_skip, live_server)
    member = member_context.new_page()
    log_in_by_card(member, world.member)
    member.get_by_role("link", name="夏祭りのお手伝い").first.click()
    member.get_by_role("radio", name="行く", exact=True).check()
    member.get_by_label("何人で来ますか").fill("12")
    member.get_by_label("ひとこと").fill("テントを持っていきます")
    member.get_by_role("button", name="答える").click()
    assert "1 から 8 までの数を入れてください。" in member.content()
    assert member.get_by_role("radio", name="行く", exact=True).is_checked()
    assert member.get_by_label("ひとこと").input_value() == "テントを持っていきます"
    assert axe_problems(member) == []
    screenshot(member, "questionnaire-error")
    member.get_by_label("何人で来ますか").fill("3")
    member.get_by_role("button", name="答える").click()
    member.wait_for_url("**#reply")
    assert "返信を受け付けました" in member.content()
    assert axe_problems(member) == []
    screenshot(member, "questionnaire-answered")
    member_context.close()

    page.reload()
    assert "返信：1 / 5（未回答 4）" in page.content()
    assert axe_problems(page) == []
    screenshot(page, "questionnaire-report")
    page.get_by_role("link", name="書かれた答えを読む（1 件）").click()
    assert "テントを持っていきます" in page.content()
    assert axe_problems(page) == []


def test_leader_enters_a_paper_slip(browser_or_skip, live_server, page, world):
    notice = make_notice(
        world,
        title="防災訓練の出欠",
        reply_kind=REPLY_SURVEY,
        questions=[
            QuestionInput("出席しますか", QUESTION_SINGLE, True, ["出席", "欠席"]),
            QuestionInput("人数", QUESTION_NUMBER, True, [], 1, 5),
        ],
    )
    log_in_by_card(page, world.leader)
    page.goto(f"/notices/{notice.id}/blocks/{world.block.id}/print")
    assert "返信票" in page.content()
    assert axe_problems(page) == []
    screenshot(page, "print-with-slip")

    page.goto(f"/notices/{notice.id}/blocks/{world.block.id}")
    page.locator(".replies li", has_text="鈴木家").get_by_role("link", name="返信票を入力").click()
    page.get_by_role("radio", name="欠席").check()
    page.get_by_label("人数").fill("１")
    assert axe_problems(page) == []
    screenshot(page, "paper-reply")
    page.get_by_role("button", name="入力を保存する").click()
    page.wait_for_url("**#replies")
    entry = page.locator(".replies li", has_text="鈴木家").inner_text()
    assert "紙の返信票（高橋 健太 が" in entry and "欠席" in entry
    assert axe_problems(page) == []

    from jichikai.extensions import db

    reply = db.session.query(Reply).one()
    assert reply.recorded_by_id == world.leader.id
    assert reply.household_id == world.paper_household.id


def test_calendar_fits_a_phone_and_makes_a_feed(browser_or_skip, live_server, page, world):
    tokyo = ZoneInfo("Asia/Tokyo")
    today = utcnow().astimezone(tokyo).date()
    start = datetime.combine(today + timedelta(days=1), datetime.min.time(), tokyo)
    make_notice(
        world,
        title="町内一斉清掃（長い題名でも画面からはみ出さないこと）",
        category="event",
        event_starts_at=start.replace(hour=8),
        event_ends_at=start.replace(hour=10),
        event_place="集会所前",
    )
    log_in_by_card(page, world.member)
    page.goto(f"/notices/calendar?month={start.strftime('%Y-%m')}")
    assert "集会所前" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.get_by_role("table").count() == 1
    assert axe_problems(page) == []
    screenshot(page, "calendar")

    page.get_by_role("link", name="スマートフォンのカレンダーに入れる").click()
    assert axe_problems(page) == []
    page.get_by_role("button", name="住所を作る").click()
    address = page.get_by_label("住所", exact=True).input_value()
    assert address.endswith(".ics")
    assert (
        page.get_by_role("link", name="カレンダーに入れる")
        .get_attribute("href")
        .startswith("webcal://")
    )
    assert axe_problems(page) == []
    screenshot(page, "calendar-feed")
    feed = page.request.get(address)
    assert feed.status == 200 and "町内一斉清掃" in feed.text()
