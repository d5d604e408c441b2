"""Finding circulars: Japanese search on both databases, visibility, categories, archive."""

from datetime import timedelta

import pytest
from sqlalchemy import text

from jichikai.database import utcnow
from jichikai.extensions import db
from jichikai.notices.models import Notice
from jichikai.notices.search import (
    SearchError,
    archived_notices,
    search_notices,
    search_terms,
    snippet,
)
from jichikai.notices.services import NoticeInput, update_notice, withdraw_notice

from .helpers import make_notice


def titles(page) -> list[str]:
    return [entry.notice.title for entry in page.entries]


def test_japanese_words_are_found_inside_text_without_spaces(world):
    make_notice(world, title="防災訓練のお知らせ", body="11月の日曜日に公民館で行います。")
    make_notice(world, title="ごみ収集日の変更", body="年末年始は収集がありません。")
    assert titles(search_notices(world.member, "防災訓練")) == ["防災訓練のお知らせ"]
    assert titles(search_notices(world.member, "公民館")) == ["防災訓練のお知らせ"]
    assert titles(search_notices(world.member, "年始は収")) == ["ごみ収集日の変更"]
    assert titles(search_notices(world.member, "花火大会")) == []


def test_words_shorter_than_three_characters_are_found_too(world):
    make_notice(world, title="防災訓練のお知らせ", body="公民館で行います。")
    make_notice(world, title="ごみ収集日の変更", body="年末年始は収集がありません。")
    assert titles(search_notices(world.member, "ごみ")) == ["ごみ収集日の変更"]
    assert titles(search_notices(world.member, "防")) == ["防災訓練のお知らせ"]


def test_every_word_must_appear_and_full_width_spaces_separate_words(world):
    make_notice(world, title="防災訓練", body="公民館に集まります。")
    make_notice(world, title="夏祭り", body="公民館の前で行います。")
    assert titles(search_notices(world.member, "公民館　防災")) == ["防災訓練"]
    assert titles(search_notices(world.member, "公民館 夏祭り")) == ["夏祭り"]
    assert set(titles(search_notices(world.member, "公民館"))) == {"防災訓練", "夏祭り"}


def test_latin_letters_match_either_case(world):
    make_notice(world, title="AED講習会", body="Please come.")
    assert titles(search_notices(world.member, "aed")) == ["AED講習会"]
    assert titles(search_notices(world.member, "PLEASE")) == ["AED講習会"]


@pytest.mark.parametrize("query", ['"', '"防災', "AND", "防災 OR", "NEAR(", "*", "%", "_", "\\"])
def test_search_syntax_and_like_wildcards_are_taken_literally(world, query):
    make_notice(world, title="防災訓練", body="公民館に集まります。")
    assert titles(search_notices(world.member, query)) == []


def test_a_percent_sign_is_found_as_itself(world):
    make_notice(world, title="参加率100%", body="")
    make_notice(world, title="参加率1000", body="")
    assert titles(search_notices(world.member, "100%")) == ["参加率100%"]


def test_an_empty_or_too_long_query(world):
    make_notice(world)
    assert search_notices(world.member, "  　 ").entries == []
    with pytest.raises(SearchError):
        search_notices(world.member, "あ" * 101)
    assert search_terms("a A  b") == ["a", "b"]


def test_the_index_follows_edits_and_deletions(world):
    notice = make_notice(world, title="防災訓練", body="公民館に集まります。")
    update_notice(notice, NoticeInput(title="避難訓練", body="小学校に集まります。"))
    db.session.commit()
    assert titles(search_notices(world.member, "公民館")) == []
    assert titles(search_notices(world.member, "小学校")) == ["避難訓練"]
    db.session.delete(notice)
    db.session.commit()
    assert titles(search_notices(world.member, "小学校")) == []
    # Rows written without the ORM are indexed as well (triggers on SQLite, GIN on PostgreSQL).
    db.session.execute(
        Notice.__table__.insert().values(
            association_id=world.association.id,
            title="敬老会",
            body="公民館でお祝いします。",
            category="event",
            all_blocks=True,
            publish_at=utcnow(),
            published_at=utcnow(),
            created_at=utcnow(),
            reply_per="household",
        )
    )
    db.session.commit()
    assert titles(search_notices(world.member, "お祝い")) == ["敬老会"]


def test_members_find_only_what_they_may_open(world):
    make_notice(world, title="1班の回覧 公民館", block_ids=[world.block.id])
    make_notice(world, title="2班の回覧 公民館", block_ids=[world.other_block.id])
    make_notice(world, title="全体の回覧 公民館")
    withdrawn = make_notice(world, title="取り下げ 公民館")
    withdraw_notice(withdrawn, world.officer)
    make_notice(world, title="予約 公民館", publish_at=utcnow() + timedelta(days=1))
    db.session.commit()

    assert set(titles(search_notices(world.member, "公民館"))) == {
        "1班の回覧 公民館",
        "全体の回覧 公民館",
    }
    assert set(titles(search_notices(world.other_leader, "公民館"))) == {
        "2班の回覧 公民館",
        "全体の回覧 公民館",
    }
    # Officers find every block's circulars, still only published and not withdrawn ones.
    assert set(titles(search_notices(world.officer, "公民館"))) == {
        "1班の回覧 公民館",
        "2班の回覧 公民館",
        "全体の回覧 公民館",
    }
    assert titles(search_notices(world.outsider, "公民館")) == []


def test_results_are_newest_first_and_paged(world):
    start = utcnow() - timedelta(days=30)
    for n in range(5):
        make_notice(world, title=f"公民館だより {n}", now=start + timedelta(days=n))
    first = search_notices(world.member, "公民館", per_page=2)
    assert titles(first) == ["公民館だより 4", "公民館だより 3"] and first.has_next
    last = search_notices(world.member, "公民館", per_page=2, page=3)
    assert titles(last) == ["公民館だより 0"] and not last.has_next


def test_search_can_keep_to_one_category(world):
    make_notice(world, title="公民館の夏祭り", category="event")
    make_notice(world, title="公民館の工事", category="city")
    assert titles(search_notices(world.member, "公民館", category="event")) == ["公民館の夏祭り"]


def test_expired_circulars_are_found_and_fill_the_archive(world):
    now = utcnow()
    old = make_notice(
        world,
        title="夏祭り 公民館",
        now=now - timedelta(days=100),
        expires_at=now - timedelta(days=1),
    )
    make_notice(world, title="防災訓練 公民館")
    found = search_notices(world.member, "公民館")
    assert {(e.notice.title, e.expired) for e in found.entries} == {
        ("夏祭り 公民館", True),
        ("防災訓練 公民館", False),
    }
    archive = archived_notices(world.member)
    assert titles(archive) == ["夏祭り 公民館"] and archive.entries[0].notice.id == old.id
    assert archived_notices(world.other_leader).entries[0].notice.id == old.id
    assert titles(archived_notices(world.outsider)) == []


def test_the_archive_keeps_to_the_members_blocks_and_a_category(world):
    now = utcnow()
    past = dict(now=now - timedelta(days=10), expires_at=now - timedelta(days=1))
    make_notice(world, title="2班だけ", block_ids=[world.other_block.id], **past)
    make_notice(world, title="行事", category="event", **past)
    make_notice(world, title="お知らせ", **past)
    assert set(titles(archived_notices(world.member))) == {"行事", "お知らせ"}
    assert titles(archived_notices(world.member, category="event")) == ["行事"]


def test_a_snippet_shows_the_words_in_context_escaped():
    body = "<b>ご案内</b>" + "あ" * 50 + "公民館で行います。" + "い" * 80
    marked = str(snippet(body, ["公民館"]))
    assert "<mark>公民館</mark>" in marked and "&lt;b&gt;" not in marked
    assert marked.startswith("…") and marked.endswith("…")
    assert str(snippet("<i>AED</i>", ["aed"])) == "&lt;i&gt;<mark>AED</mark>&lt;/i&gt;"
    assert snippet("本文", ["ない"]) is None


def test_the_search_index_exists_on_this_database(world):
    dialect = db.engine.dialect.name
    if dialect == "sqlite":
        names = set(
            db.session.scalars(
                text("SELECT name FROM sqlite_master WHERE name LIKE 'notice_search%'")
            )
        )
        assert {"notice_search", "notice_search_insert", "notice_search_update"} <= names
        assert "notice_search_delete" in names
    else:
        indexes = set(
            db.session.scalars(text("SELECT indexname FROM pg_indexes WHERE tablename = 'notice'"))
        )
        assert {"ix_notice_title_trgm", "ix_notice_body_trgm"} <= indexes
