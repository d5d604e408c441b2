"""The printed login cards say where to type the code and whom to ask, in the member's language."""

import re

from jichikai.extensions import db
from jichikai.org.services import assign_role, end_role, leaders_by_block

from ..factories import make_household, make_member


def _cards(html: str) -> dict[str, str]:
    """Each card's text by the member's name."""
    cards = {}
    for card in re.findall(r"<article class=\"login-card\".*?</article>", html, re.S):
        name = re.search(r'class="login-card-name">([^<]+)', card).group(1).strip()
        cards[name] = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", card))
    return cards


def test_cards_name_the_code_the_address_and_the_block_leader(client, world, as_member):
    as_member(world.officer)
    html = client.post(f"/admin/blocks/{world.block.id}/cards").get_data(as_text=True)
    cards = _cards(html)
    card = cards[world.member.name]
    assert "ログインコード" in card
    assert "カメラでQRコードを読み取る" in card and "このアドレスを開いてコードを入れる" in card
    assert "http://localhost/login" in card
    assert f"わからないときは：{world.leader.name}（1班の班長）" in card
    assert world.association.name in card
    assert "data-print" in html


def test_the_leaders_own_card_names_an_officer(client, world, as_member):
    as_member(world.officer)
    html = client.post(f"/admin/blocks/{world.block.id}/cards").get_data(as_text=True)
    assert "（役員）" in _cards(html)[world.leader.name]


def test_a_card_speaks_its_members_language(client, world, as_member):
    world.housemate.language = "en"
    db.session.commit()
    as_member(world.officer)
    html = client.post(f"/admin/blocks/{world.block.id}/cards").get_data(as_text=True)
    cards = _cards(html)
    assert "Scan the QR code" in cards[world.housemate.name]
    assert "Login code" in cards[world.housemate.name]
    assert "カメラでQRコードを読み取る" in cards[world.member.name]


def test_leaders_by_block_leaves_out_ended_roles_and_inactive_members(world):
    newcomer = make_member(make_household(world.block), name="新しい 班長")
    assignment = assign_role(newcomer, "leader", by=world.admin, block=world.block)
    db.session.flush()
    leaders = leaders_by_block(world.association.id)
    assert [m.id for m in leaders[world.block.id]] == [world.leader.id, newcomer.id]

    end_role(assignment, by=world.admin)
    world.leader.active = False
    db.session.flush()
    leaders = leaders_by_block(world.association.id)
    assert world.block.id not in leaders
    assert [m.id for m in leaders[world.other_block.id]] == [world.other_leader.id]
    assert world.outsider_block.id not in leaders
