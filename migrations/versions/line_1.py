"""line: the association's LINE official account, link codes, webhook events seen

Revision ID: line_1
Revises: calls_1
Create Date: 2026-11-30 07:10:00.000000

"""

from alembic import op
import sqlalchemy as sa

import jichikai.database


# revision identifiers, used by Alembic.
revision = "line_1"
down_revision = "calls_1"
branch_labels = None
depends_on = None


def _association_fk(table):
    return sa.ForeignKeyConstraint(
        ["association_id"],
        ["association.id"],
        name=op.f(f"fk_{table}_association_id_association"),
        ondelete="CASCADE",
    )


def upgrade():
    op.create_table(
        "line_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("association_id", sa.Integer(), nullable=False),
        sa.Column("basic_id", sa.String(length=40), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("access_token", sa.Text(), nullable=False),
        sa.Column("channel_secret", sa.Text(), nullable=False),
        sa.Column("token_tail", sa.String(length=4), nullable=False),
        sa.Column("secret_tail", sa.String(length=4), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("problem_at", jichikai.database.UTCDateTime(), nullable=True),
        sa.Column("paused_until", jichikai.database.UTCDateTime(), nullable=True),
        sa.Column("quota_type", sa.String(length=12), nullable=False),
        sa.Column("quota_limit", sa.Integer(), nullable=True),
        sa.Column("quota_used", sa.Integer(), nullable=True),
        sa.Column("quota_checked_at", jichikai.database.UTCDateTime(), nullable=True),
        sa.Column("updated_at", jichikai.database.UTCDateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        _association_fk("line_account"),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["member.id"],
            name=op.f("fk_line_account_updated_by_id_member"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_line_account")),
        sa.UniqueConstraint("association_id", name=op.f("uq_line_account_association_id")),
    )
    with op.batch_alter_table("line_account", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_line_account_association_id"), ["association_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_line_account_updated_by_id"), ["updated_by_id"], unique=False
        )

    op.create_table(
        "line_link_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("association_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", jichikai.database.UTCDateTime(), nullable=False),
        sa.Column("expires_at", jichikai.database.UTCDateTime(), nullable=False),
        _association_fk("line_link_code"),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_line_link_code_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_line_link_code")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_line_link_code_code_hash")),
    )
    with op.batch_alter_table("line_link_code", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_line_link_code_association_id"), ["association_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_line_link_code_member_id"), ["member_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_line_link_code_expires_at"), ["expires_at"], unique=False
        )

    op.create_table(
        "line_webhook_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("association_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("received_at", jichikai.database.UTCDateTime(), nullable=False),
        _association_fk("line_webhook_event"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_line_webhook_event")),
        sa.UniqueConstraint(
            "association_id", "event_id", name=op.f("uq_line_webhook_event_association_id_event_id")
        ),
    )
    with op.batch_alter_table("line_webhook_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_line_webhook_event_association_id"), ["association_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_line_webhook_event_received_at"), ["received_at"], unique=False
        )


def downgrade():
    op.drop_table("line_webhook_event")
    op.drop_table("line_link_code")
    op.drop_table("line_account")
