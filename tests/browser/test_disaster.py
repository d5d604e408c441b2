"""A drill in a real browser: nearest shelter by location, the roll call, offline check-in."""

import time

import pytest
from playwright.sync_api import Error as PlaywrightError
from sqlalchemy import func, select

from jichikai.disaster import demo as disaster_demo
from jichikai.disaster.models import CheckIn
from jichikai.disaster.services import end_event
from jichikai.extensions import db

from ..disaster.helpers import start
from ..notices.helpers import make_notice
from .conftest import axe_problems, screenshot, wait_for, wait_for_service_worker
from .test_login_and_app import log_in_by_card

pytestmark = pytest.mark.browser

# Near 栄和小学校 in さいたま市桜区 (GSI 指定緊急避難場所).
NEAR_SAKAEWA_ES = {"latitude": 35.8612, "longitude": 139.6176}


def phone(browser, live_server, **options):
    return browser.new_context(
        base_url=live_server,
        locale="ja-JP",
        timezone_id="Asia/Tokyo",
        viewport={"width": 390, "height": 844},
        **options,
    )


def wait_until_outbox_is_empty(page, seconds: float = 10) -> None:
    """Poll from Python: the page's strict CSP forbids the eval that wait_for_function uses."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            page.wait_for_load_state()
            if page.evaluate("JichikaiQueue.all().then(items => items.length)") == 0:
                return
        except PlaywrightError:  # the page reloads itself once the outbox is sent
            pass
        time.sleep(0.1)
    raise AssertionError("the outbox was not sent")


def checkins() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(CheckIn.id)))


def test_drill_nearest_shelter_roll_call_and_paper_household(
    browser_or_skip, live_server, page, world
):
    disaster_demo.seed(world.association)
    db.session.commit()

    # An officer starts a drill.
    log_in_by_card(page, world.officer)
    page.goto("/disaster/")
    page.get_by_label("題名").fill("防災訓練")
    page.get_by_label("訓練", exact=True).check()
    page.get_by_role("button", name="次へ（確かめる）").click()
    page.wait_for_load_state()
    # The second screen says it is a drill and who will be told; nothing has started yet.
    assert page.get_by_text("これは「訓練」です。").is_visible()
    assert page.get_by_text("だれに、どうやって知らせるか").is_visible()
    assert "災害モード：" not in page.content()  # no banner: nothing started yet
    page.get_by_role("button", name="はじめる").click()
    page.wait_for_load_state()
    assert "【訓練】災害モード：防災訓練" in page.locator(".banner").inner_text()

    # A member, located in 桜区, reports: 避難所 (the phone says where it is: nearest first,
    # without another tap) -> 栄和小学校.
    member_phone = phone(
        browser_or_skip, live_server, geolocation=NEAR_SAKAEWA_ES, permissions=["geolocation"]
    )
    member = member_phone.new_page()
    log_in_by_card(member, world.member)
    assert "防災訓練" in member.content()
    assert axe_problems(member) == []
    screenshot(member, "checkin")
    assert member.get_by_text("いまいる場所をたずねます").is_visible()
    member.get_by_role("button", name="避難所").click()
    member.get_by_text("いまいる場所から近い順です。").wait_for()
    first = member.locator(".shelter-buttons button").first
    assert "栄和小学校" in first.inner_text()
    screenshot(member, "checkin-shelters")
    with member.expect_response("**/api/v1/disaster/checkins") as answer:
        first.click()
    assert answer.value.status == 201
    member.locator("[data-checkin-done]").wait_for()
    assert "安否を知らせました" in member.content()
    member_phone.close()

    # The block leader sees it in the roll call and answers for the paper-only household.
    leader_phone = phone(browser_or_skip, live_server)
    leader = leader_phone.new_page()
    log_in_by_card(leader, world.leader)
    leader.goto("/disaster/rollcall")
    assert "栄和小学校" in leader.locator("li", has_text="佐藤 花子").first.inner_text()
    paper = leader.locator("ul.rollcall > li", has_text="鈴木家")
    paper.get_by_text("訪ねた結果を入れる").click()
    paper.locator("select[name=status]").select_option("safe_home")
    with leader.expect_navigation():  # sent through the API, then the page reloads
        paper.get_by_role("button", name="報告を入れる").click()
    leader.wait_for_load_state()
    assert "無事" in leader.locator("li", has_text="鈴木 トメ").first.inner_text()
    assert axe_problems(leader) == []
    screenshot(leader, "rollcall")
    leader_phone.close()

    # The officers' dashboard.
    page.goto("/disaster/")
    page.get_by_role("link", name="集計を見る").click()
    page.wait_for_load_state()
    assert axe_problems(page) == []
    screenshot(page, "dashboard")

    # Ending asks first: the page says how many have answered; only its button ends the drill.
    page.goto("/disaster/")
    page.get_by_role("link", name="災害モードを終える").click()
    page.wait_for_load_state()
    assert "まだ安否を知らせていない方" in page.content()
    assert axe_problems(page) == []
    screenshot(page, "end-confirm")
    page.get_by_role("button", name="終える", exact=True).click()
    page.wait_for_load_state()
    assert "災害モードを終えました。" in page.content()
    assert page.locator(".banner").count() == 0


def test_online_check_in_is_one_small_request_and_the_page_stays(page, world):
    start(world)
    log_in_by_card(page, world.member)
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    with page.expect_response("**/api/v1/disaster/checkins") as answer:
        page.get_by_role("button", name="無事・自宅").click()
    assert answer.value.status == 201
    done = page.locator("[data-checkin-done]")
    done.wait_for()
    assert "安否を知らせました" in done.inner_text()
    assert navigations == []
    assert checkins() == 1
    assert axe_problems(page) == []
    page.get_by_role("link", name="知らせた内容を見る").click()
    page.wait_for_load_state()
    assert "無事・自宅" in page.locator("ul.list").inner_text()


def test_online_check_in_refused_by_the_api_falls_back_to_the_form(page, world):
    event = start(world)
    log_in_by_card(page, world.member)
    end_event(event, world.officer)  # ended while the page was open
    db.session.commit()
    with page.expect_response("**/api/v1/disaster/checkins") as answer:
        page.get_by_role("button", name="無事・自宅").click()
    assert answer.value.status == 409
    page.get_by_text("災害モードは終わりました。この知らせは数えていません。").wait_for()
    assert checkins() == 0


@pytest.mark.parametrize(
    "answer",
    [
        {"status": 503, "body": "busy"},
        # A captive portal (hotel or shelter Wi-Fi): 200, but not our server's answer.
        {"status": 200, "content_type": "text/html", "body": "<html>Wi-Fi login</html>"},
    ],
)
def test_a_busy_server_or_a_captive_portal_keeps_the_report_in_the_outbox(
    browser_or_skip, live_server, world, answer
):
    start(world)
    # Without the service worker, whose background sync would send the outbox at once.
    context = phone(browser_or_skip, live_server, service_workers="block")
    page = context.new_page()
    log_in_by_card(page, world.member)
    page.route("**/api/v1/disaster/checkins", lambda route: route.fulfill(**answer))
    page.get_by_role("button", name="無事・自宅").click()
    status = page.locator("[data-queue-status]")
    status.wait_for(state="visible")
    assert "送信待ち" in status.inner_text()
    assert checkins() == 0
    queued = page.evaluate("JichikaiQueue.all().then(items => items.map(i => i.client_id))")
    # The server's pages carry 32 hex digits; the page's script made a new id for this report.
    assert len(queued) == 1 and len(queued[0]) == 36, queued
    page.unroute("**/api/v1/disaster/checkins")
    page.reload()  # the outbox is sent when a page opens with the network up
    wait_until_outbox_is_empty(page)
    assert checkins() == 1
    context.close()


def test_offline_check_in_is_sent_once_when_the_network_returns(context, page, world):
    start(world)
    log_in_by_card(page, world.member)
    wait_for_service_worker(page)
    assert checkins() == 0

    context.set_offline(True)
    page.get_by_role("button", name="無事・自宅").click()
    status = page.locator("[data-queue-status]")
    status.wait_for(state="visible")
    assert "送信待ち" in status.inner_text()
    screenshot(page, "checkin-offline-pending")
    assert checkins() == 0

    context.set_offline(False)
    wait_until_outbox_is_empty(page)
    page.wait_for_load_state()
    assert checkins() == 1
    page.reload()
    page.wait_for_load_state()
    assert checkins() == 1


def test_a_report_queued_during_a_drill_is_not_counted_in_the_next_event(context, page, world):
    drill = start(world, drill=True)
    log_in_by_card(page, world.member)
    wait_for_service_worker(page)
    context.set_offline(True)
    page.get_by_role("button", name="無事・自宅").click()
    page.locator("[data-queue-status]").wait_for(state="visible")

    # While the phone is offline, the drill ends and a real event begins.
    end_event(drill, world.officer)
    db.session.commit()
    event = start(world)

    context.set_offline(False)
    wait_until_outbox_is_empty(page)
    refused = page.locator("[data-queue-refused]")
    refused.wait_for(state="visible")
    assert "いまの災害には数えていません" in refused.inner_text()
    assert checkins() == 0  # not stored in the new event, nor anywhere else
    again = refused.get_by_role("link", name="いまの様子を、もう一度知らせる")
    assert again.is_visible()
    assert axe_problems(page) == []
    screenshot(page, "checkin-refused-from-drill")

    # The list stays until the member has seen it; then they report for this event.
    page.reload()
    refused.wait_for(state="visible")
    refused.get_by_role("button", name="わかりました").click()
    refused.wait_for(state="hidden")
    with page.expect_response("**/api/v1/disaster/checkins") as answer:
        page.get_by_role("button", name="無事・自宅").click()
    assert answer.value.status == 201
    db.session.rollback()
    assert [c.event_id for c in db.session.scalars(select(CheckIn))] == [event.id]


def test_the_service_worker_replay_shows_a_refused_report_too(context, page, world):
    drill = start(world, drill=True)
    log_in_by_card(page, world.member)
    wait_for_service_worker(page)
    end_event(drill, world.officer)  # the page still shows the drill
    db.session.commit()
    start(world)
    # The page's own request is lost; the report waits for the service worker's sync.
    page.route("**/api/v1/disaster/checkins", lambda route: route.abort())
    page.get_by_role("button", name="無事・自宅").click()
    refused = page.locator("[data-queue-refused]")
    refused.wait_for(state="visible")  # told by the service worker, without a reload
    assert "いまの災害には数えていません" in refused.inner_text()
    assert page.evaluate("JichikaiQueue.all().then(items => items.length)") == 0
    assert checkins() == 0


def test_offline_shelter_choice_works_without_the_server(context, page, world):
    disaster_demo.seed(world.association)
    db.session.commit()
    start(world)
    log_in_by_card(page, world.member)
    context.set_offline(True)
    page.get_by_role("button", name="避難所").click()
    page.get_by_role("button", name="栄和小学校").click()
    page.locator("[data-queue-status]").wait_for(state="visible")
    context.set_offline(False)
    wait_until_outbox_is_empty(page)
    db.session.rollback()
    checkin = db.session.scalars(select(CheckIn)).one()
    assert checkin.status == "at_shelter" and checkin.shelter.name == "栄和小学校"


def test_push_shows_a_notification_whose_click_opens_the_notice(context, page, world):
    notice = make_notice(world, title="回覧板のお知らせ")
    context.grant_permissions(["notifications"])
    log_in_by_card(page, world.member)
    wait_for_service_worker(page)
    worker = context.service_workers[0]
    payload = {
        "title": "回覧板のお知らせ",
        "body": "新しい回覧です",
        "url": f"/notices/{notice.id}",
        "tag": f"notice-{notice.id}",
    }
    # Dispatched by a script, the event cannot extend the worker's life (waitUntil refuses
    # it): the evaluation itself waits for the notification, so the worker stays busy.
    shown = worker.evaluate(
        """async data => {
            self.dispatchEvent(new PushEvent('push', {data: JSON.stringify(data)}));
            for (let i = 0; i < 150; i++) {
                if ((await self.registration.getNotifications()).length) return true;
                await new Promise((resolve) => setTimeout(resolve, 100));
            }
            return false;
        }""",
        payload,
    )
    assert shown
    wait_for(
        page,
        "navigator.serviceWorker.ready.then(r => r.getNotifications())"
        ".then(list => list.length > 0)",
    )
    titles = page.evaluate(
        "navigator.serviceWorker.ready.then(r => r.getNotifications())"
        ".then(list => list.map(n => n.title))"
    )
    assert titles == ["回覧板のお知らせ"]
    worker.evaluate(
        "self.registration.getNotifications().then(list => self.dispatchEvent("
        "new NotificationEvent('notificationclick', {notification: list[0]})))"
    )
    page.wait_for_url(f"**/notices/{notice.id}")
    assert "回覧板のお知らせ" in page.content()


SHELL = (
    "/static/vendor/dads/tokens.css",
    "/static/css/app.css",
    "/static/js/app.js",
    "/static/js/queue.js",
    "/sw.js",
    "/manifest.webmanifest",
    "/static/icons/",
)


def test_check_in_page_first_load_is_at_most_30_kb(browser_or_skip, live_server, world):
    """Everything the check-in page loads, the app shell excepted, uncompressed."""
    start(world)
    context = phone(browser_or_skip, live_server, service_workers="block")
    page = context.new_page()
    log_in_by_card(page, world.member)
    sizes = {}
    page.on("response", lambda r: sizes.__setitem__(r.url, len(r.body())))
    page.goto("/")
    page.wait_for_load_state("networkidle")
    counted = {url: n for url, n in sizes.items() if not any(s in url for s in SHELL)}
    assert any(url.rstrip("/") == live_server for url in counted), counted
    assert sum(counted.values()) <= 30 * 1024, counted
    context.close()


def test_pages_are_accessible_in_large_text_mode(page, world):
    world.member.text_size = "large"
    world.leader.text_size = "large"
    db.session.commit()
    notice = make_notice(world, title="夏祭りのお知らせ")
    log_in_by_card(page, world.member)
    assert "text-large" in page.locator("html").get_attribute("class")
    assert axe_problems(page) == []
    page.goto(f"/notices/{notice.id}")
    assert axe_problems(page) == []
    screenshot(page, "notice-large-text")

    start(world)
    page.goto("/")
    assert axe_problems(page) == []
    screenshot(page, "checkin-large-text")
