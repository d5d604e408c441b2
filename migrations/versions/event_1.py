"""event: bulletins posted during a disaster event; updates to a member's request for help

Revision ID: event_1
Revises: metrics_1
Create Date: 2026-11-30 09:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

import jichikai.database

# revision identifiers, used by Alembic.
revision = "event_1"
down_revision = "metrics_1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "bulletin",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("template", sa.String(length=20), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("block_ids", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("posted_by_id", sa.Integer(), nullable=True),
        sa.Column("reach", sa.JSON(), nullable=False),
        sa.Column("created_at", jichikai.database.UTCDateTime(), nullable=False),
        sa.Column("association_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["association_id"],
            ["association.id"],
            name=op.f("fk_bulletin_association_id_association"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["disaster_event.id"],
            name=op.f("fk_bulletin_event_id_disaster_event"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["posted_by_id"],
            ["member.id"],
            name=op.f("fk_bulletin_posted_by_id_member"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulletin")),
    )
    with op.batch_alter_table("bulletin", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bulletin_association_id"), ["association_id"])
        batch_op.create_index(batch_op.f("ix_bulletin_event_id"), ["event_id"])

    op.create_table(
        "help_update",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("checkin_id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", jichikai.database.UTCDateTime(), nullable=False),
        sa.Column("association_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["association_id"],
            ["association.id"],
            name=op.f("fk_help_update_association_id_association"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["checkin_id"],
            ["check_in.id"],
            name=op.f("fk_help_update_checkin_id_check_in"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["disaster_event.id"],
            name=op.f("fk_help_update_event_id_disaster_event"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_help_update_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"],
            ["member.id"],
            name=op.f("fk_help_update_reporter_id_member"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_update")),
    )
    with op.batch_alter_table("help_update", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_help_update_association_id"), ["association_id"])
        batch_op.create_index(batch_op.f("ix_help_update_checkin_id"), ["checkin_id"])
        batch_op.create_index("ix_help_update_event_id_member_id", ["event_id", "member_id"])


def downgrade():
    op.drop_table("help_update")
    op.drop_table("bulletin")
