"""The officers' LINE settings page, the allowance, and a member's link page."""

from sqlalchemy import select

from jichikai.extensions import db
from jichikai.line.models import LineAccount, LineLinkCode
from jichikai.line.services import allowance
from jichikai.line.settings import account_secret, account_token

from ..disaster.helpers import start
from .conftest import SECRET, linked
from .emulator import TOKEN


def _save(client, **form):
    data = {"basic_id": "", "access_token": "", "channel_secret": "", **form}
    return client.post("/line/settings", data=data)


def test_officers_save_the_account_encrypted(world, line, as_member):
    client = as_member(world.officer)
    page = client.get("/line/settings").get_data(as_text=True)
    assert f"/line/webhook/{world.association.id}" in page

    response = _save(client, access_token=TOKEN, channel_secret=SECRET.upper())
    assert response.status_code == 302
    account = db.session.scalar(select(LineAccount))
    assert TOKEN not in account.access_token and SECRET not in account.channel_secret
    assert (account_token(account), account_secret(account)) == (TOKEN, SECRET)
    assert (account.basic_id, account.display_name) == ("@123abcde", "テスト町内会")

    page = client.get("/line/settings").get_data(as_text=True)
    assert TOKEN not in page and SECRET not in page
    assert TOKEN[-4:] in page and "設定済み" in page


def test_a_token_line_refuses_is_not_saved(world, line, as_member):
    client = as_member(world.officer)
    response = _save(client, access_token="wrong-token-0000-0000-0000", channel_secret=SECRET)
    assert response.status_code == 400
    assert "受け付けませんでした" in response.get_data(as_text=True)
    assert db.session.scalar(select(LineAccount)) is None


def test_a_malformed_secret_is_refused(world, line, as_member):
    response = _save(as_member(world.officer), access_token=TOKEN, channel_secret="short")
    assert response.status_code == 400
    assert "32けた" in response.get_data(as_text=True)


def test_blank_fields_keep_what_was_saved(world, account, line, as_member):
    response = _save(as_member(world.officer), basic_id="@123abcde")
    assert response.status_code == 302
    db.session.expire_all()
    assert account_token(db.session.scalar(select(LineAccount))) == TOKEN


def test_the_page_shows_the_months_count_against_the_allowance(world, account, line, as_member):
    line.quota, line.usage = 200, 187
    page = as_member(world.officer).get("/line/settings").get_data(as_text=True)
    assert "187" in page and "200" in page


def test_allowance_warns_before_an_event_would_exceed_it(world, account, line):
    from jichikai.line.services import refresh_quota

    line.quota, line.usage = 200, 198
    for member in (world.member, world.housemate, world.leader):
        linked(member)
    refresh_quota(db.session.scalar(select(LineAccount)), force=True)
    db.session.commit()

    before = allowance(world.association)
    assert (before.limit, before.used, before.linked, before.remaining) == (200, 198, 3, 2)
    assert before.exceeded_by(before.linked) == 1
    start(world)  # queues three LINE messages
    assert allowance(world.association).remaining == 0


def test_allowance_without_an_account(world):
    result = allowance(world.association)
    assert (result.configured, result.exceeded_by(10)) == (False, 0)


def test_a_member_gets_a_one_time_code_and_a_prefilled_link(world, account, as_member):
    client = as_member(world.member)
    assert "番号を出す" in client.get("/line/link").get_data(as_text=True)
    page = client.post("/line/link").get_data(as_text=True)
    assert "https://line.me/R/oaMessage/%40123abcde/?" in page
    assert "https://line.me/R/ti/p/%40123abcde" in page
    assert db.session.scalar(select(LineLinkCode.member_id)) == world.member.id
    client.post("/line/link")
    assert len(db.session.scalars(select(LineLinkCode)).all()) == 1  # the new one replaced it


def test_a_member_stops_line(world, account, as_member):
    linked(world.member)
    client = as_member(world.member)
    assert "つながっています" in client.get("/line/link").get_data(as_text=True)
    assert client.post("/line/link/stop").status_code == 302
    assert "番号を出す" in client.get("/line/link").get_data(as_text=True)


def test_without_an_account_the_link_page_says_so(world, as_member):
    client = as_member(world.member)
    assert "まだLINEを使っていません" in client.get("/line/link").get_data(as_text=True)
    assert client.post("/line/link").status_code == 400


def test_members_settings_offer_line_only_while_the_account_works(world, account, as_member):
    client = as_member(world.member)
    page = client.get("/me/notifications").get_data(as_text=True)
    assert 'href="/line/link"' in page and "LINEでも受け取る" in page
    account.state = "off"
    db.session.commit()
    page = client.get("/me/notifications").get_data(as_text=True)
    assert 'href="/line/link"' not in page


def test_the_start_form_warns_when_line_would_pass_the_free_allowance(
    world, account, line, as_member
):
    from jichikai.line.services import refresh_quota

    line.quota, line.usage = 200, 199
    for member in (world.member, world.housemate, world.leader):
        linked(member)
    refresh_quota(db.session.scalar(select(LineAccount)), force=True)
    db.session.commit()
    page = as_member(world.officer).get("/disaster/").get_data(as_text=True)
    assert "LINE 3人" in page
    assert "LINEの今月の無料の数を 2通こえます" in page


def test_line_contacts_reach_nobody_while_the_account_is_off(world, account, line):
    from jichikai.reach.services import plan

    linked(world.member)
    db.session.commit()
    assert plan([world.member], every_channel=True).by_channel == {"line": 1}
    account.state = "off"
    db.session.commit()
    reach = plan([world.member], every_channel=True)
    assert reach.by_channel == {} and reach.unreached == [world.member.id]
