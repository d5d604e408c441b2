"""push subscription: the login (device) that saved it

Revision ID: idsw_1
Revises: passkeys_1
Create Date: 2026-11-30 04:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "idsw_1"
down_revision = "passkeys_1"
branch_labels = None
depends_on = None


def upgrade():
    # Rows saved before have no device: only their keys prove the browser.
    with op.batch_alter_table("push_subscription", schema=None) as batch_op:
        batch_op.add_column(sa.Column("device_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_push_subscription_device_id"), ["device_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_push_subscription_device_id_device"),
            "device",
            ["device_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("push_subscription", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_push_subscription_device_id_device"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_push_subscription_device_id"))
        batch_op.drop_column("device_id")
