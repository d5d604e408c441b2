"""How an outbox row's actions show on LINE: what an action does decides, not its URL."""

from jichikai.line.messages import line_actions
from jichikai.reach.services import DOES_READ, Action, does_answer


def test_answers_and_reads_become_postbacks_shared_by_everyone():
    actions = [
        list(Action("無事です", "https://x.example/a/TOKEN-1/safe_home", does_answer("safe_home"))),
        list(Action("読みました", "https://x.example/r/TOKEN-2", DOES_READ)),
        list(Action("回覧を開く", "https://x.example/notices/5")),
    ]
    shown = line_actions(actions, event_id=7, notice_id=5)
    assert shown == (
        ("postback", "無事です", "a:7:safe_home"),
        ("postback", "読みました", "r:5"),
        ("uri", "回覧を開く", "https://x.example/notices/5"),
    )


def test_a_link_that_only_looks_like_an_answer_stays_a_link():
    # Stored before actions said what they do, or a plain link of that shape: never a postback,
    # so the member still gets a working link of their own.
    shown = line_actions([["無事です", "https://x.example/a/TOKEN/safe_home"]], 7, None)
    assert shown == (("uri", "無事です", "https://x.example/a/TOKEN/safe_home"),)


def test_an_answer_for_another_kind_of_row_or_an_unknown_answer_stays_a_link():
    answer = list(Action("無事です", "https://x.example/a/T/safe_home", does_answer("safe_home")))
    unknown = list(Action("？", "https://x.example/a/T/maybe", does_answer("maybe")))
    assert line_actions([answer], event_id=None, notice_id=5)[0][0] == "uri"
    assert line_actions([unknown], event_id=7, notice_id=None)[0][0] == "uri"
