"""circ: translations of a circular's title and body, and the language it is written in

Revision ID: circ_1
Revises: shelters_1
Create Date: 2026-11-30 14:03:19.077250

"""
from alembic import op
import sqlalchemy as sa

import jichikai.database


# revision identifiers, used by Alembic.
revision = 'circ_1'
down_revision = 'shelters_1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notice_translation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('machine', sa.Boolean(), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', jichikai.database.UTCDateTime(), nullable=False),
    sa.Column('updated_at', jichikai.database.UTCDateTime(), nullable=False),
    sa.Column('association_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['association_id'], ['association.id'], name=op.f('fk_notice_translation_association_id_association'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['member.id'], name=op.f('fk_notice_translation_created_by_id_member'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['notice_id'], ['notice.id'], name=op.f('fk_notice_translation_notice_id_notice'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_translation')),
    sa.UniqueConstraint('notice_id', 'language', name=op.f('uq_notice_translation_notice_id_language'))
    )
    with op.batch_alter_table('notice_translation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_translation_association_id'), ['association_id'], unique=False)

    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), server_default='ja', nullable=False))


def downgrade():
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_column('language')

    with op.batch_alter_table('notice_translation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notice_translation_association_id'))

    op.drop_table('notice_translation')
