"""langops: the languages an association offers its members

Revision ID: langops_1
Revises: circ_1
Create Date: 2026-11-30 14:20:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "langops_1"
down_revision = "circ_1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("association", schema=None) as batch_op:
        batch_op.add_column(sa.Column("languages", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("association", schema=None) as batch_op:
        batch_op.drop_column("languages")
