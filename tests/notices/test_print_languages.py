"""The printed circular carries a reply slip in each language its paper households read."""

from sqlalchemy import select

from jichikai.extensions import db
from jichikai.notices.models import QUESTION_SINGLE, REPLY_SURVEY
from jichikai.notices.printing import household_languages
from jichikai.notices.questionnaires import QuestionInput
from jichikai.org.models import Member

from .helpers import make_notice


def _survey(world):
    return make_notice(
        world,
        reply_kind=REPLY_SURVEY,
        questions=[QuestionInput("出席しますか", QUESTION_SINGLE, True, ["出る", "出ない"])],
    )


def _paper_member(world) -> Member:
    return db.session.scalars(
        select(Member).where(Member.household_id == world.paper_household.id)
    ).one()


def _print(client, world, notice) -> str:
    url = f"/notices/{notice.id}/blocks/{world.block.id}/print"
    return client.get(url).get_data(as_text=True)


def test_a_paper_household_reading_english_gets_a_slip_in_english(client, world, as_member):
    _paper_member(world).language = "en"
    db.session.commit()
    notice = _survey(world)
    as_member(world.leader)

    page = _print(client, world, notice)

    assert page.count('class="slip"') == 2
    _before, japanese, english = page.split('class="slip"')
    assert "返信票" in japanese and "Reply slip" not in japanese
    assert japanese.rstrip().endswith('<div lang="en">\n<section')  # marked English
    assert "Reply slip" in english and "返信票" not in english
    assert "出席しますか" in english  # the questions are as the officer wrote them


def test_no_other_slip_when_the_paper_households_read_the_printers_language(
    client, world, as_member
):
    notice = _survey(world)
    as_member(world.leader)
    assert _print(client, world, notice).count('class="slip"') == 1


def test_a_household_reads_its_first_active_members_offered_language(world):
    member = _paper_member(world)
    member.language = "ko"
    db.session.commit()
    assert household_languages([world.paper_household]) == {world.paper_household.id: "ko"}
    world.association.languages = ["ja", "en"]
    db.session.commit()
    assert household_languages([world.paper_household]) == {world.paper_household.id: "ja"}
