"""rollcall: reports for households without member records; call outcomes for them, with
client ids (made offline, stored once) and the 連絡がつかない outcome

Revision ID: rollcall_1
Revises: ops_1
Create Date: 2026-11-30 09:40:00.000000

"""

from alembic import op
import sqlalchemy as sa

import jichikai.database


# revision identifiers, used by Alembic.
revision = "rollcall_1"
down_revision = "ops_1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "household_check_in",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("association_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("shelter_id", sa.Integer(), nullable=True),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("help_kind", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("headcount", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", jichikai.database.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["association_id"],
            ["association.id"],
            name=op.f("fk_household_check_in_association_id_association"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["disaster_event.id"],
            name=op.f("fk_household_check_in_event_id_disaster_event"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["household.id"],
            name=op.f("fk_household_check_in_household_id_household"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"],
            ["member.id"],
            name=op.f("fk_household_check_in_reporter_id_member"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["shelter_id"],
            ["shelter.id"],
            name=op.f("fk_household_check_in_shelter_id_shelter"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household_check_in")),
        sa.UniqueConstraint(
            "event_id",
            "household_id",
            "client_id",
            name=op.f("uq_household_check_in_event_id_household_id_client_id"),
        ),
    )
    with op.batch_alter_table("household_check_in", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_household_check_in_association_id"), ["association_id"], unique=False
        )
        batch_op.create_index(
            "ix_household_check_in_event_id_household_id_id",
            ["event_id", "household_id", "id"],
            unique=False,
        )

    with op.batch_alter_table("call_outcome", schema=None) as batch_op:
        batch_op.add_column(sa.Column("household_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("client_id", sa.String(length=64), nullable=True))
        batch_op.alter_column("member_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_index(
            "ix_call_outcome_event_id_household_id", ["event_id", "household_id"], unique=False
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_call_outcome_event_id_client_id"), ["event_id", "client_id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_call_outcome_household_id_household"),
            "household",
            ["household_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade():
    # Outcomes of households without member records have no member to keep them under.
    op.execute("DELETE FROM call_outcome WHERE member_id IS NULL")
    with op.batch_alter_table("call_outcome", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_call_outcome_household_id_household"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("uq_call_outcome_event_id_client_id"), type_="unique")
        batch_op.drop_index("ix_call_outcome_event_id_household_id")
        batch_op.alter_column("member_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("client_id")
        batch_op.drop_column("household_id")

    with op.batch_alter_table("household_check_in", schema=None) as batch_op:
        batch_op.drop_index("ix_household_check_in_event_id_household_id_id")
        batch_op.drop_index(batch_op.f("ix_household_check_in_association_id"))

    op.drop_table("household_check_in")
