"""ops: attachments kept in the database; keys shared by every process

Revision ID: ops_1
Revises: search_1
Create Date: 2026-11-30 09:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

import jichikai.database


# revision identifiers, used by Alembic.
revision = "ops_1"
down_revision = "search_1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "stored_file",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", jichikai.database.UTCDateTime(), nullable=False),
        sa.Column("association_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["association_id"],
            ["association.id"],
            name=op.f("fk_stored_file_association_id_association"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_stored_file")),
    )
    with op.batch_alter_table("stored_file", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stored_file_association_id"), ["association_id"], unique=False
        )

    op.create_table(
        "server_key",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("created_at", jichikai.database.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_server_key")),
    )


def downgrade():
    op.drop_table("server_key")
    with op.batch_alter_table("stored_file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stored_file_association_id"))
    op.drop_table("stored_file")
