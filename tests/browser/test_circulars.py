"""A member reads a circular on the phone; the block leader sees it read and records paper."""

import pytest

from ..notices.helpers import make_notice
from .conftest import axe_problems, screenshot
from .test_login_and_app import log_in_by_card

pytestmark = pytest.mark.browser


def test_member_reads_and_the_leader_sees_it(browser_or_skip, live_server, page, world):
    notice = make_notice(world, title="ごみ収集日の変更", body="年末年始は収集がありません。")

    log_in_by_card(page, world.member)
    assert axe_problems(page) == []
    screenshot(page, "feed")
    page.get_by_role("link", name="ごみ収集日の変更").first.click()
    page.wait_for_url(f"**/notices/{notice.id}")
    assert "年末年始は収集がありません。" in page.content()
    assert axe_problems(page) == []
    screenshot(page, "notice")

    leader_context = browser_or_skip.new_context(
        base_url=live_server, locale="ja-JP", viewport={"width": 390, "height": 844}
    )
    leader = leader_context.new_page()
    log_in_by_card(leader, world.leader)
    leader.goto(f"/notices/{notice.id}/blocks/{world.block.id}")
    household = leader.locator("li", has_text="佐藤家")
    assert "確認済み" in household.inner_text()
    assert "佐藤 花子" in household.inner_text()

    paper = leader.locator("li", has_text="鈴木家")
    paper.get_by_role("button", name="紙で確認した").click()
    assert "確認済み" in leader.locator("li", has_text="鈴木家").inner_text()
    assert axe_problems(leader) == []
    screenshot(leader, "leader-receipts")
    leader_context.close()
