"""reads: 確認しました apart from opening, and circulars that ask for it (要確認)

Revision ID: reads_1
Revises: forms_1
Create Date: 2026-11-30 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import jichikai.database


# revision identifiers, used by Alembic.
revision = "reads_1"
down_revision = "forms_1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("ack_required", sa.Boolean(), server_default="0", nullable=False)
        )

    with op.batch_alter_table("read_receipt", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("acknowledged_at", jichikai.database.UTCDateTime(), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("read_receipt", schema=None) as batch_op:
        batch_op.drop_column("acknowledged_at")

    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.drop_column("ack_required")
