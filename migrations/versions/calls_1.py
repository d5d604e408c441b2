"""calls: the block leaders' call outcomes, and when an event's leaders were alerted

Revision ID: calls_1
Revises: reach_1
Create Date: 2026-11-30 07:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

import jichikai.database


# revision identifiers, used by Alembic.
revision = "calls_1"
down_revision = "reach_1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "call_outcome",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("association_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", jichikai.database.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["association_id"],
            ["association.id"],
            name=op.f("fk_call_outcome_association_id_association"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["disaster_event.id"],
            name=op.f("fk_call_outcome_event_id_disaster_event"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_call_outcome_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["member.id"],
            name=op.f("fk_call_outcome_recorded_by_id_member"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_outcome")),
    )
    with op.batch_alter_table("call_outcome", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_call_outcome_association_id"), ["association_id"], unique=False
        )
        batch_op.create_index(
            "ix_call_outcome_event_id_member_id", ["event_id", "member_id"], unique=False
        )
    with op.batch_alter_table("disaster_event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("leaders_alerted_at", jichikai.database.UTCDateTime(), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("disaster_event", schema=None) as batch_op:
        batch_op.drop_column("leaders_alerted_at")
    with op.batch_alter_table("call_outcome", schema=None) as batch_op:
        batch_op.drop_index("ix_call_outcome_event_id_member_id")
        batch_op.drop_index(batch_op.f("ix_call_outcome_association_id"))
    op.drop_table("call_outcome")
