"""metrics: when each JMA feed was last read successfully; running totals of outbox outcomes

Revision ID: metrics_1
Revises: line_1
Create Date: 2026-11-30 07:10:00.000000

"""
from alembic import op
import sqlalchemy as sa

import jichikai.database


# revision identifiers, used by Alembic.
revision = "metrics_1"
down_revision = "line_1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "outbox_tally",
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("channel", "outcome", name=op.f("pk_outbox_tally")),
    )

    with op.batch_alter_table("jma_feed", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("last_success_at", jichikai.database.UTCDateTime(), nullable=True)
        )

    # A feed whose last poll went well was read when that poll began.
    feeds = sa.table(
        "jma_feed",
        sa.column("last_polled_at", jichikai.database.UTCDateTime()),
        sa.column("last_result", sa.String),
        sa.column("last_success_at", jichikai.database.UTCDateTime()),
    )
    op.execute(
        feeds.update()
        .where(feeds.c.last_polled_at.is_not(None), ~feeds.c.last_result.startswith("error:"))
        .values(last_success_at=feeds.c.last_polled_at)
    )


def downgrade():
    op.drop_table("outbox_tally")

    with op.batch_alter_table("jma_feed", schema=None) as batch_op:
        batch_op.drop_column("last_success_at")
