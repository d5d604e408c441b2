"""reach: members' email and LINE contacts, the preferred channel, an outbox for every channel

Revision ID: reach_1
Revises: idsw_1
Create Date: 2026-11-30 07:10:00.000000

"""
from alembic import op
import sqlalchemy as sa

import jichikai.database


# revision identifiers, used by Alembic.
revision = "reach_1"
down_revision = "idsw_1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "member_contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("association_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("created_at", jichikai.database.UTCDateTime(), nullable=False),
        sa.Column("confirmed_at", jichikai.database.UTCDateTime(), nullable=True),
        sa.Column("last_success_at", jichikai.database.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("failures", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["association_id"],
            ["association.id"],
            name=op.f("fk_member_contact_association_id_association"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_member_contact_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_contact")),
        sa.UniqueConstraint(
            "member_id", "channel", "address", name=op.f("uq_member_contact_member_id_channel_address")
        ),
    )
    with op.batch_alter_table("member_contact", schema=None) as batch_op:
        batch_op.create_index(
            "ix_member_contact_address", ["association_id", "channel", "address"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_member_contact_association_id"), ["association_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_member_contact_member_id"), ["member_id"], unique=False)

    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.add_column(sa.Column("preferred_channel", sa.String(length=8), nullable=True))

    with op.batch_alter_table("push_delivery", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("channel", sa.String(length=8), server_default="push", nullable=False)
        )
        batch_op.add_column(sa.Column("member_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("contact_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("kind", sa.String(length=12), server_default="", nullable=False))
        batch_op.add_column(sa.Column("notice_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("event_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("language", sa.String(length=8), server_default="ja", nullable=False)
        )
        batch_op.add_column(sa.Column("actions", sa.JSON(), nullable=True))
        batch_op.alter_column("subscription_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_index(
            "ix_push_delivery_channel_due", ["channel", "status", "next_attempt_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_push_delivery_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_push_delivery_contact_id"), ["contact_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_push_delivery_notice_id"), ["notice_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_push_delivery_event_id"), ["event_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_push_delivery_member_id_member"),
            "member",
            ["member_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_push_delivery_contact_id_member_contact"),
            "member_contact",
            ["contact_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_push_delivery_notice_id_notice"),
            "notice",
            ["notice_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_push_delivery_event_id_disaster_event"),
            "disaster_event",
            ["event_id"],
            ["id"],
            ondelete="CASCADE",
        )
    with op.batch_alter_table("check_in", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("channel", sa.String(length=8), server_default="app", nullable=False)
        )
    op.execute("UPDATE check_in SET channel = 'proxy' WHERE proxy")

    # Rows queued before: their member is their subscription's.
    op.execute(
        "UPDATE push_delivery SET member_id = (SELECT member_id FROM push_subscription"
        " WHERE push_subscription.id = push_delivery.subscription_id)"
    )


def downgrade():
    # Rows of other channels have no subscription: they cannot stay in a push-only outbox.
    op.execute("DELETE FROM push_delivery WHERE channel <> 'push' OR subscription_id IS NULL")
    with op.batch_alter_table("push_delivery", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_push_delivery_event_id_disaster_event"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("fk_push_delivery_notice_id_notice"), type_="foreignkey")
        batch_op.drop_constraint(
            batch_op.f("fk_push_delivery_contact_id_member_contact"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("fk_push_delivery_member_id_member"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_push_delivery_event_id"))
        batch_op.drop_index(batch_op.f("ix_push_delivery_notice_id"))
        batch_op.drop_index(batch_op.f("ix_push_delivery_contact_id"))
        batch_op.drop_index(batch_op.f("ix_push_delivery_member_id"))
        batch_op.drop_index("ix_push_delivery_channel_due")
        batch_op.alter_column("subscription_id", existing_type=sa.Integer(), nullable=False)
        for column in (
            "actions",
            "language",
            "event_id",
            "notice_id",
            "kind",
            "contact_id",
            "member_id",
            "channel",
        ):
            batch_op.drop_column(column)
    with op.batch_alter_table("check_in", schema=None) as batch_op:
        batch_op.drop_column("channel")
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.drop_column("preferred_channel")
    op.drop_table("member_contact")
