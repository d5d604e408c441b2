"""Disaster mode in each member's language: the call list asks in the member's language,
fixed phrases are translated for the reader, free text is shown as written and marked."""

from sqlalchemy import select

from jichikai.disaster.bulletins import post_bulletin
from jichikai.extensions import db
from jichikai.org.models import Member

from .helpers import start


def _paper_member(world) -> Member:
    return db.session.scalars(
        select(Member).where(Member.household_id == world.paper_household.id)
    ).one()


def _call_section(page: str) -> str:
    return page.split('id="calls-title"')[1].split("世帯ごとの様子")[0]


def test_the_call_list_gives_the_question_in_the_members_language(client, world, as_member):
    neighbour = _paper_member(world)
    neighbour.language = "en"
    db.session.commit()
    start(world)
    as_member(world.leader)

    calls = _call_section(client.get("/disaster/rollcall").get_data(as_text=True))

    entry = calls.split("鈴木 トメ")[1].split("</li>")[0]
    assert '<span lang="en">English</span>' in entry
    assert '<span lang="en">Are you safe? Do you need help?</span>' in entry


def test_the_call_list_says_nothing_more_for_a_member_of_the_leaders_language(
    client, world, as_member
):
    start(world)
    as_member(world.leader)
    calls = _call_section(client.get("/disaster/rollcall").get_data(as_text=True))
    assert "鈴木 トメ" in calls and "ご無事ですか" not in calls


def test_a_language_the_association_no_longer_offers_is_not_asked_in(client, world, as_member):
    neighbour = _paper_member(world)
    neighbour.language = "en"
    world.association.languages = ["ja", "vi"]
    db.session.commit()
    start(world)
    as_member(world.leader)
    calls = _call_section(client.get("/disaster/rollcall").get_data(as_text=True))
    assert "Are you safe?" not in calls


def test_free_text_is_marked_japanese_on_a_page_in_another_language(client, world, as_member):
    world.member.language = "en"
    db.session.commit()
    event = start(world)
    post_bulletin(event, text="公民館は あいています。", by=world.officer)
    post_bulletin(event, template="full", params={"place": "桜小学校"}, by=world.officer)
    db.session.commit()
    as_member(world.member)

    page = client.get("/").get_data(as_text=True)

    assert '<html lang="en"' in page
    assert '<span lang="ja">地震がありました</span>' in page
    assert '<span lang="ja">公民館は あいています。</span>' in page
    assert "桜小学校 is full. Please go to another shelter." in page


def test_furigana_in_free_text_shows_as_ruby(client, world, as_member):
    event = start(world)
    post_bulletin(event, text="｜給水《きゅうすい》は 10時です。", by=world.officer)
    db.session.commit()
    as_member(world.member)
    page = client.get("/").get_data(as_text=True)
    assert "<ruby>給水<rp>(</rp><rt>きゅうすい</rt><rp>)</rp></ruby>は 10時です。" in page
