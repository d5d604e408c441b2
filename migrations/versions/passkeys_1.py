"""passkeys: credentials, single-use challenges and the association's passkey policy

Revision ID: passkeys_1
Revises: roster_1
Create Date: 2026-11-30 04:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "passkeys_1"
down_revision = "roster_1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "passkey",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.LargeBinary(length=1023), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sign_count", sa.Integer(), nullable=False),
        sa.Column("transports", sa.JSON(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("association_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["association_id"],
            ["association.id"],
            name=op.f("fk_passkey_association_id_association"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_passkey_member_id_member")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_passkey")),
        sa.UniqueConstraint("credential_id", name=op.f("uq_passkey_credential_id")),
    )
    with op.batch_alter_table("passkey", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_passkey_association_id"), ["association_id"])
        batch_op.create_index(batch_op.f("ix_passkey_member_id"), ["member_id"])

    op.create_table(
        "passkey_challenge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("challenge", sa.String(length=100), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_passkey_challenge_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_passkey_challenge")),
        sa.UniqueConstraint("challenge", name=op.f("uq_passkey_challenge_challenge")),
    )
    with op.batch_alter_table("passkey_challenge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_passkey_challenge_expires_at"), ["expires_at"])
        batch_op.create_index(batch_op.f("ix_passkey_challenge_member_id"), ["member_id"])

    with op.batch_alter_table("association", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("passkey_policy", sa.String(length=10), server_default="any", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("association", schema=None) as batch_op:
        batch_op.drop_column("passkey_policy")
    op.drop_table("passkey_challenge")
    op.drop_table("passkey")
