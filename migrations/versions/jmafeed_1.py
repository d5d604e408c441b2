"""jma entries: identified by the SHA-256 of their link; claimed by one poll at a time

Revision ID: jmafeed_1
Revises: jma_1
Create Date: 2026-11-30 04:20:00

"""
import hashlib

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "jmafeed_1"
down_revision = "jma_1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("jma_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("link_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))

    connection = op.get_bind()
    entries = sa.table("jma_entry", sa.column("id", sa.Integer), sa.column("link", sa.String),
                       sa.column("link_key", sa.String))
    for entry_id, link in connection.execute(sa.select(entries.c.id, entries.c.link)).all():
        connection.execute(
            entries.update()
            .where(entries.c.id == entry_id)
            .values(link_key=hashlib.sha256(link.encode()).hexdigest())
        )

    with op.batch_alter_table("jma_entry", schema=None) as batch_op:
        batch_op.alter_column("link_key", existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_constraint(batch_op.f("uq_jma_entry_link"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_jma_entry_link_key"), ["link_key"])


def downgrade():
    with op.batch_alter_table("jma_entry", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_jma_entry_link_key"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_jma_entry_link"), ["link"])
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("link_key")
