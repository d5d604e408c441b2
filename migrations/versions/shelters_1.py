"""shelters: household locations, shelters marked full, the association's own capacities

Revision ID: shelters_1
Revises: rollcall_1
Create Date: 2026-11-30 09:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "shelters_1"
down_revision = "rollcall_1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lat", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("lon", sa.Double(), nullable=True))

    with op.batch_alter_table("event_shelter", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("full", sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    with op.batch_alter_table("association_shelter", schema=None) as batch_op:
        batch_op.add_column(sa.Column("capacity", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("association_shelter", schema=None) as batch_op:
        batch_op.drop_column("capacity")

    with op.batch_alter_table("event_shelter", schema=None) as batch_op:
        batch_op.drop_column("full")

    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.drop_column("lon")
        batch_op.drop_column("lat")
