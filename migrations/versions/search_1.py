"""search: a trigram index over circulars' titles and bodies; a device remembers its browser

SQLite: an FTS5 table `notice_search` (trigram tokenizer) reading its text from `notice`,
kept in step by three triggers. PostgreSQL: the pg_trgm extension and GIN indexes on
`notice.title` and `notice.body`. Neither is described by a model (see
jichikai/notices/search.py, `outside_models`).

A later migration that copies `notice` on SQLite (batch_alter_table) drops the triggers with
the old table: it must call `create_sqlite_search()` again.

pg_trgm is a trusted extension (PostgreSQL 13 and later): the database's owner may create it.

Revision ID: search_1
Revises: reads_1
Create Date: 2026-11-30 09:45:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "search_1"
down_revision = "reads_1"
branch_labels = None
depends_on = None


SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE notice_search USING fts5("
    "title, body, content='notice', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER notice_search_insert AFTER INSERT ON notice BEGIN"
    " INSERT INTO notice_search (rowid, title, body) VALUES (new.id, new.title, new.body);"
    " END",
    "CREATE TRIGGER notice_search_delete AFTER DELETE ON notice BEGIN"
    " INSERT INTO notice_search (notice_search, rowid, title, body)"
    " VALUES ('delete', old.id, old.title, old.body);"
    " END",
    "CREATE TRIGGER notice_search_update AFTER UPDATE OF title, body ON notice BEGIN"
    " INSERT INTO notice_search (notice_search, rowid, title, body)"
    " VALUES ('delete', old.id, old.title, old.body);"
    " INSERT INTO notice_search (rowid, title, body) VALUES (new.id, new.title, new.body);"
    " END",
    "INSERT INTO notice_search (notice_search) VALUES ('rebuild')",
]


def create_sqlite_search():
    for statement in SQLITE_SEARCH:
        op.execute(statement)


def upgrade():
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.add_column(sa.Column("browser_hash", sa.String(length=64), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_device_browser_hash"), ["member_id", "browser_hash"], unique=False
        )

    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        create_sqlite_search()
    elif dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_notice_title_trgm ON notice USING gin (title gin_trgm_ops)")
        op.execute("CREATE INDEX ix_notice_body_trgm ON notice USING gin (body gin_trgm_ops)")


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS notice_search_{trigger}")
        op.execute("DROP TABLE IF EXISTS notice_search")
    elif dialect == "postgresql":
        # The extension stays: something else in the database may use it.
        op.execute("DROP INDEX IF EXISTS ix_notice_body_trgm")
        op.execute("DROP INDEX IF EXISTS ix_notice_title_trgm")

    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_browser_hash"))
        batch_op.drop_column("browser_hash")
