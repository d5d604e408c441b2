"""login emails unique per association; deactivated members' logins end

Revision ID: roster_1
Revises: outage_1
Create Date: 2026-11-30 04:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "roster_1"
down_revision = "outage_1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_member_email"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_member_association_id_email"), ["association_id", "email"]
        )
        batch_op.create_index(batch_op.f("ix_member_email"), ["email"], unique=False)

    # Deactivation now ends a member's devices, cards and push subscriptions; do the same for
    # those deactivated before, so that reactivating them does not bring an old login back.
    inactive = sa.select(sa.column("id")).select_from(sa.table("member")).where(
        sa.column("active").is_(False)
    )
    now = sa.func.current_timestamp()
    for name in ("device", "login_card"):
        table = sa.table(name, sa.column("member_id"), sa.column("revoked_at"))
        op.execute(
            table.update()
            .where(table.c.revoked_at.is_(None), table.c.member_id.in_(inactive))
            .values(revoked_at=now)
        )
    subscription = sa.table("push_subscription", sa.column("member_id"))
    op.execute(subscription.delete().where(subscription.c.member_id.in_(inactive)))


def downgrade():
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_email"))
        batch_op.drop_constraint(batch_op.f("uq_member_association_id_email"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_member_email"), ["email"])
