"""Reply forms with several questions: writing, answering, paper slips, tallies and exports."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from jichikai.database import utcnow
from jichikai.extensions import db
from jichikai.notices.errors import NoticeError
from jichikai.notices.models import (
    PER_MEMBER,
    QUESTION_LONG,
    QUESTION_MULTIPLE,
    QUESTION_NUMBER,
    QUESTION_SHORT,
    QUESTION_SINGLE,
    REPLY_SURVEY,
    Notice,
    Reply,
    ReplyQuestion,
)
from jichikai.notices.questionnaires import (
    AnswerError,
    QuestionInput,
    answer,
    record_paper_reply,
    tallies,
)
from jichikai.notices.services import NoticeInput, update_notice

from .helpers import make_notice


def survey(world, **fields):
    """A survey with one question of each kind (only the first and the number required)."""
    fields.setdefault(
        "questions",
        [
            QuestionInput("夏祭りに来ますか", QUESTION_SINGLE, True, ["行く", "行かない"]),
            QuestionInput("手伝えること", QUESTION_MULTIPLE, False, ["テント", "受付", "片付け"]),
            QuestionInput("参加人数", QUESTION_NUMBER, True, [], 0, 10),
            QuestionInput("アレルギー", QUESTION_SHORT, False),
            QuestionInput("ご意見", QUESTION_LONG, False),
        ],
    )
    return make_notice(world, reply_kind=REPLY_SURVEY, **fields)


def form_of(notice: Notice, *values) -> dict:
    """Form data answering the questions in order (None: left empty)."""
    data = {}
    for question, value in zip(notice.questions, values, strict=True):
        if value is not None:
            data[f"q{question.id}"] = value
    return data


def _ids(question: ReplyQuestion, *labels) -> list[str]:
    by_label = {o.label: str(o.id) for o in question.options}
    return [by_label[label] for label in labels]


# Writing the form -----------------------------------------------------------------------


def _builder_post(**questions) -> dict:
    data = {
        "title": "夏祭りのお知らせ",
        "body": "8月に公園で開きます。",
        "category": "event",
        "reply_kind": "survey",
        "reply_per": "household",
    }
    for key, value in questions.items():
        data[key] = value
    return data


def test_officer_builds_a_form_of_several_questions_without_javascript(client, world, as_member):
    as_member(world.officer)
    page = client.get("/notices/new").get_data(as_text=True)
    assert 'name="questions-2-label"' in page and 'name="questions-3-label"' not in page

    # 「質問を増やす」 shows a fourth row and saves nothing; what was typed stays.
    more = client.post(
        "/notices/new",
        data=_builder_post(**{"questions-0-label": "来ますか", "add_question": "1"}),
    )
    text = more.get_data(as_text=True)
    assert more.status_code == 200 and 'name="questions-3-label"' in text
    assert 'value="来ますか"' in text
    assert db.session.scalar(select(func.count(Notice.id))) == 0

    response = client.post(
        "/notices/new",
        data=_builder_post(
            **{
                "questions-0-label": "来ますか",
                "questions-0-kind": "single",
                "questions-0-required": "y",
                "questions-0-options": "行く\n行かない\n",
                "questions-1-label": "参加人数",
                "questions-1-kind": "number",
                "questions-1-required": "y",
                "questions-1-min_value": "1",
                "questions-1-max_value": "8",
                "questions-2-label": "",  # an unused row
                "questions-3-label": "ご意見",
                "questions-3-kind": "long",
            }
        ),
    )
    assert response.status_code == 303
    notice = db.session.scalars(select(Notice)).one()
    shape = [
        (q.label, q.kind, q.required, [o.label for o in q.options], q.min_value, q.max_value)
        for q in notice.questions
    ]
    assert shape == [
        ("来ますか", "single", True, ["行く", "行かない"], None, None),
        ("参加人数", "number", True, [], 1, 8),
        ("ご意見", "long", False, [], None, None),
    ]


def test_a_wrong_question_is_named_and_nothing_typed_is_lost(client, world, as_member):
    as_member(world.officer)
    response = client.post(
        "/notices/new",
        data=_builder_post(
            **{
                "questions-0-label": "来ますか",
                "questions-0-kind": "single",
                "questions-0-options": "行く",
                "questions-1-label": "人数",
                "questions-1-kind": "number",
            }
        ),
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "質問1：選択肢を2つ以上入れてください。" in text
    assert (
        'value="夏祭りのお知らせ"' in text and 'value="人数"' in text and "行く</textarea>" in text
    )
    assert db.session.scalar(select(func.count(Notice.id))) == 0


def test_a_problem_names_the_row_the_officer_sees(world):
    rows = [
        QuestionInput(""),
        QuestionInput("来ますか", QUESTION_SINGLE, True, ["行く", "行かない"]),
        QuestionInput("人数", QUESTION_NUMBER, True, [], 3, 1),
    ]
    with pytest.raises(NoticeError, match="^質問3："):
        make_notice(world, reply_kind=REPLY_SURVEY, questions=rows)


def test_a_survey_needs_a_question(world):
    with pytest.raises(NoticeError, match="質問を1つ以上"):
        make_notice(world, reply_kind=REPLY_SURVEY, questions=[])


def test_number_bounds_must_be_in_order(world):
    with pytest.raises(NoticeError, match="いちばん小さい数"):
        survey(world, questions=[QuestionInput("人数", QUESTION_NUMBER, True, [], 5, 1)])


def test_questions_cannot_change_once_answered_but_the_deadline_can(world):
    notice = survey(world)
    answer(
        notice,
        world.member,
        {notice.questions[0].id: [str(notice.options[0].id)], notice.questions[2].id: ["2"]},
    )
    db.session.commit()
    data = NoticeInput(
        title=notice.title,
        reply_kind=REPLY_SURVEY,
        questions=[QuestionInput("夏祭りに来ますか", QUESTION_SINGLE, True, ["行く", "未定"])],
    )
    with pytest.raises(NoticeError, match="質問と選択肢は変えられません"):
        update_notice(notice, data)
    db.session.rollback()

    same = NoticeInput(
        title=notice.title,
        reply_kind=REPLY_SURVEY,
        questions=[
            QuestionInput(
                q.label, q.kind, q.required, [o.label for o in q.options], q.min_value, q.max_value
            )
            for q in notice.questions
        ],
        reply_deadline=utcnow() + timedelta(days=3),
    )
    update_notice(notice, same)
    db.session.commit()
    assert notice.reply_deadline is not None
    assert db.session.scalar(select(func.count(Reply.id))) == 1


# Answering ------------------------------------------------------------------------------


def test_member_answers_every_kind_of_question(client, world, as_member):
    notice = survey(world)
    come, helps, people, allergy, opinion = notice.questions
    as_member(world.member)
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert f'type="radio" name="q{come.id}"' in page
    assert f'type="checkbox" name="q{helps.id}"' in page
    assert 'inputmode="numeric"' in page and "0 から 10 までの数" in page

    response = client.post(
        f"/notices/{notice.id}/reply",
        data=form_of(
            notice,
            _ids(come, "行く"),
            _ids(helps, "テント", "片付け"),
            "３",  # full-width digits, as Japanese keyboards type them
            "そば",
            "雨の日は\nどうしますか",
        ),
    )
    assert response.status_code == 303
    reply = db.session.scalars(select(Reply)).one()
    got = {(a.question_id, a.option_id, a.text, a.number) for a in reply.answers}
    tent, _reception, tidy = (o.id for o in helps.options)
    assert got == {
        (come.id, come.options[0].id, None, None),
        (helps.id, tent, None, None),
        (helps.id, tidy, None, None),
        (people.id, None, None, 3),
        (allergy.id, None, "そば", None),
        (opinion.id, None, "雨の日は\nどうしますか", None),
    }
    assert reply.member_id == world.member.id and not reply.by_proxy

    # The housemate sees the household's answers and may change them.
    as_member(world.housemate)
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert "そば" in page and "答えを変える" in page


def test_wrong_answers_are_named_per_question_and_kept(client, world, as_member):
    notice = survey(world)
    come, helps, people, allergy, _opinion = notice.questions
    as_member(world.member)
    response = client.post(
        f"/notices/{notice.id}/reply",
        data=form_of(notice, None, _ids(helps, "受付"), "12", "x" * 201, "ご苦労さまです"),
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "1つ選んでください。" in text
    assert "0 から 10 までの数を入れてください。" in text
    assert "200 文字までです（いまは 201 文字）。" in text
    # What was sent comes back: the checked choice, the number and the texts.
    assert f'value="{helps.options[1].id}" checked' in text
    assert 'value="12"' in text and "ご苦労さまです</textarea>" in text
    assert db.session.scalar(select(func.count(Reply.id))) == 0


@pytest.mark.parametrize(
    ("typed", "message"),
    [("三", "数字だけで"), ("-1", "0 から 10 まで"), ("", "数を入れてください")],
)
def test_number_answers_are_checked(world, typed, message):
    notice = survey(world)
    come, _helps, people, _allergy, _opinion = notice.questions
    with pytest.raises(AnswerError) as raised:
        answer(notice, world.member, {come.id: [str(come.options[0].id)], people.id: [typed]})
    assert message in raised.value.errors[people.id]


def test_a_choice_of_another_question_is_refused(world):
    notice = survey(world)
    come, helps, people, _allergy, _opinion = notice.questions
    with pytest.raises(AnswerError) as raised:
        answer(notice, world.member, {come.id: [str(helps.options[0].id)], people.id: ["1"]})
    assert raised.value.errors == {come.id: "選択肢から選んでください。"}


def test_single_choice_takes_one_option_only(world):
    notice = survey(world)
    come, _helps, people, _allergy, _opinion = notice.questions
    both = [str(o.id) for o in come.options]
    with pytest.raises(AnswerError) as raised:
        answer(notice, world.member, {come.id: both, people.id: ["1"]})
    assert raised.value.errors == {come.id: "1つだけ選んでください。"}


# Paper slips ----------------------------------------------------------------------------


def test_leader_enters_a_paper_slip_marked_as_proxy(client, world, as_member):
    notice = survey(world)
    come, helps, people, _allergy, opinion = notice.questions
    as_member(world.leader)
    block_page = client.get(f"/notices/{notice.id}/blocks/{world.block.id}").get_data(as_text=True)
    url = f"/notices/{notice.id}/blocks/{world.block.id}/replies/{world.paper_household.id}"
    assert url in block_page and "未回答" in block_page

    bad = client.post(url, data=form_of(notice, _ids(come, "行く"), None, None, None, None))
    assert bad.status_code == 400 and "数を入れてください。" in bad.get_data(as_text=True)

    response = client.post(
        url, data=form_of(notice, _ids(come, "行く"), _ids(helps, "受付"), "2", None, "よろしく")
    )
    assert response.status_code == 303
    reply = db.session.scalars(select(Reply)).one()
    assert reply.household_id == world.paper_household.id
    assert reply.recorded_by_id == world.leader.id and reply.member_id is None
    assert reply.answered_at is not None
    page = client.get(f"/notices/{notice.id}/blocks/{world.block.id}").get_data(as_text=True)
    assert "紙の返信票（高橋 健太 が" in page and "よろしく" in page

    # The officer's tally counts it, and says how many came from paper.
    as_member(world.officer)
    report = client.get(f"/notices/{notice.id}/report").get_data(as_text=True)
    assert "うち紙の返信票から入力：1" in report

    as_member(world.leader)
    client.post(f"{url}/undo")
    assert db.session.scalar(select(func.count(Reply.id))) == 0
    assert opinion.id  # the questions stay


def test_paper_entry_is_for_paper_households_and_never_overwrites_the_app(world):
    notice = survey(world)
    come, _helps, people, _allergy, _opinion = notice.questions
    values = {come.id: [str(come.options[1].id)], people.id: ["0"]}
    with pytest.raises(NoticeError, match="紙の回覧の世帯だけ"):
        record_paper_reply(notice, world.household, values, by=world.leader)

    answer(notice, world.paper_household.members[0], values)
    with pytest.raises(NoticeError, match="アプリで答えています"):
        record_paper_reply(notice, world.paper_household, values, by=world.leader)


def test_paper_entry_is_taken_after_the_deadline(world):
    notice = survey(world, reply_deadline=utcnow() + timedelta(hours=1))
    notice.reply_deadline = utcnow() - timedelta(hours=1)
    come, _helps, people, _allergy, _opinion = notice.questions
    reply = record_paper_reply(
        notice,
        world.paper_household,
        {come.id: [str(come.options[0].id)], people.id: ["4"]},
        by=world.leader,
    )
    assert reply.by_proxy


def test_another_blocks_leader_cannot_enter_a_slip(client, world, as_member):
    notice = survey(world)
    as_member(world.other_leader)
    url = f"/notices/{notice.id}/blocks/{world.block.id}/replies/{world.paper_household.id}"
    assert client.get(url).status_code == 403
    assert client.post(url, data={}).status_code == 403


# Tallies and exports --------------------------------------------------------------------


def _answer_all(world, notice):
    come, helps, people, allergy, opinion = notice.questions
    go, stay = (str(o.id) for o in come.options)
    tent = str(helps.options[0].id)
    answer(
        notice,
        world.member,
        {come.id: [go], helps.id: [tent], people.id: ["3"], allergy.id: ["えび"]},
    )
    answer(notice, world.leader, {come.id: [stay], people.id: ["0"], opinion.id: ["雨なら中止？"]})
    record_paper_reply(
        notice, world.paper_household, {come.id: [go], people.id: ["2"]}, by=world.leader
    )
    answer(notice, world.other_leader, {come.id: [go], people.id: ["1"]})
    db.session.commit()


def test_tallies_per_question_and_block_with_unanswered(world):
    notice = survey(world)
    _answer_all(world, notice)
    tally = tallies(notice)
    one, two = world.block.id, world.other_block.id
    come, helps, people, allergy, _opinion = tally.questions
    go, stay = (o.id for o in come.question.options)
    assert come.by_block == {one: {go: 2, stay: 1}, two: {go: 1}}
    assert come.totals == {go: 3, stay: 1}
    assert helps.totals == {helps.question.options[0].id: 1}
    assert (people.sums, people.sum_total) == ({one: 5, two: 1}, 6)
    assert allergy.answered == {one: 1}
    # 1班: 3 households, all answered; 2班: 田中家 answered, 伊藤家 not.
    assert (tally.unanswered(one), tally.unanswered(two), tally.unanswered_total) == (0, 1, 1)
    assert tally.proxy == 1


def test_per_member_forms_count_people(world):
    notice = survey(world, reply_per=PER_MEMBER)
    come, _helps, people, _allergy, _opinion = notice.questions
    for member in (world.member, world.housemate):
        answer(notice, member, {come.id: [str(come.options[0].id)], people.id: ["1"]})
    tally = tallies(notice)
    # 1班: 佐藤 ×2, 鈴木 ×1, 高橋 ×1 = 4 people; two answered.
    assert tally.expected[world.block.id] == 4
    assert tally.unanswered(world.block.id) == 2


def test_report_page_and_written_answers_page(client, world, as_member):
    notice = survey(world)
    _answer_all(world, notice)
    as_member(world.officer)
    report = client.get(f"/notices/{notice.id}/report").get_data(as_text=True)
    assert "返信：4 / 5（未回答 1）" in report
    assert "参加人数" in report and ">6</strong>" in report
    assert f"/notices/{notice.id}/answers#question-" in report

    written = client.get(f"/notices/{notice.id}/answers").get_data(as_text=True)
    assert "えび" in written and "雨なら中止？" in written and "佐藤家" in written


def test_csv_has_a_column_per_question_and_marks_paper_and_unanswered(client, world, as_member):
    notice = survey(world)
    _answer_all(world, notice)
    as_member(world.officer)
    rows = client.get(f"/notices/{notice.id}/report.csv").data.decode("utf-8-sig").splitlines()
    header = rows[0].split(",")
    assert header[-5:] == ["夏祭りに来ますか", "手伝えること", "参加人数", "アレルギー", "ご意見"]
    # The household's row carries its reply; each member's row follows it with their own read.
    household_rows = [row for row in rows[1:] if row.split(",")[3] == "（世帯）"]
    by_household = {row.split(",")[1]: row for row in household_rows}
    assert by_household["佐藤家"].endswith("行く,テント,3,えび,")
    members = [
        row for row in rows[1:] if row.split(",")[1] == "佐藤家" and row not in household_rows
    ]
    assert members and all(row.endswith(",,,,,,,") for row in members)  # no reply on them
    assert "高橋 健太 が紙から入力" in by_household["鈴木家"]
    assert "未回答" in by_household["伊藤家"]


def test_written_answers_page_is_for_officers(client, world, as_member):
    notice = survey(world)
    as_member(world.leader)
    assert client.get(f"/notices/{notice.id}/answers").status_code == 403
