"""The forms_1 migration turns each old reply form (one list of choices and a free note) into
questions, keeping every answer and note."""

import flask_migrate
from sqlalchemy import text

from jichikai.extensions import db

NOW = "2026-01-01 00:00:00"
OLD_ROWS = [
    "INSERT INTO association (id, name, municipality, timezone, settings, created_at)"
    " VALUES (1, 'A', 'x', 'Asia/Tokyo', '{}', :now)",
    "INSERT INTO block (id, name, position, association_id) VALUES (1, '1班', 0, 1)",
    "INSERT INTO household (id, block_id, name, town, address_line, position, people_count,"
    " phone, paper_only, needs_assistance, assistance_note, created_at, association_id)"
    " VALUES (1, 1, '佐藤家', '', '', 0, 1, '', :no, :no, '', :now, 1),"
    " (2, 1, '鈴木家', '', '', 1, 1, '', :no, :no, '', :now, 1)",
    "INSERT INTO notice (id, title, body, category, all_blocks, created_at, publish_at,"
    " published_at, reply_kind, reply_per, association_id) VALUES"
    " (1, '総会', '', 'general', :yes, :now, :now, :now, 'attendance', 'household', 1),"
    " (2, 'お知らせ', '', 'general', :yes, :now, :now, :now, NULL, 'household', 1)",
    "INSERT INTO reply_option (id, notice_id, label, position, association_id) VALUES"
    " (1, 1, '出席', 0, 1), (2, 1, '欠席', 1, 1)",
    "INSERT INTO reply (id, notice_id, option_id, household_id, respondent, note,"
    " answered_at, association_id) VALUES"
    " (1, 1, 1, 1, 'h1', '2名で行きます', :now, 1), (2, 1, 2, 2, 'h2', '', :now, 1)",
]


def _rows(sql: str) -> list[tuple]:
    with db.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql)).all()]


def test_old_reply_forms_become_questions_and_come_back(app):
    flask_migrate.downgrade(revision="metrics_1")
    try:
        with db.engine.begin() as connection:
            for statement in OLD_ROWS:
                connection.execute(text(statement), {"now": NOW, "yes": True, "no": False})
        flask_migrate.upgrade(revision="forms_1")

        questions = _rows(
            "SELECT id, notice_id, position, kind, label, required FROM reply_question ORDER BY id"
        )
        assert [q[1:] for q in questions] == [
            (1, 0, "single", "出欠", True),
            (1, 1, "short", "ひとこと", False),
        ]
        choice, note = questions[0][0], questions[1][0]
        assert _rows("SELECT id, question_id FROM reply_option ORDER BY id") == [
            (1, choice),
            (2, choice),
        ]
        assert _rows(
            "SELECT reply_id, question_id, option_id, text FROM reply_answer ORDER BY id"
        ) == [(1, choice, 1, None), (1, note, None, "2名で行きます"), (2, choice, 2, None)]

        flask_migrate.downgrade(revision="metrics_1")
        assert _rows("SELECT id, option_id, note FROM reply ORDER BY id") == [
            (1, 1, "2名で行きます"),
            (2, 2, ""),
        ]
    finally:
        with db.engine.begin() as connection:
            for table in ("reply", "reply_option", "notice", "household", "block", "association"):
                connection.execute(text(f"DELETE FROM {table}"))
        flask_migrate.upgrade()
