"""forms: questionnaires with several questions, paper replies, events and calendar feeds

Revision ID: forms_1
Revises: event_1
Create Date: 2026-11-30 09:45:00.000000

A reply form had one list of choices and a free note. Each such form becomes two questions:
the choice ("出欠" or "お答え", required) and "ひとこと" (short text, optional), so that every
existing answer and note is kept as an answer to one of them.
"""
from alembic import op
import sqlalchemy as sa

import jichikai.database


# revision identifiers, used by Alembic.
revision = "forms_1"
down_revision = "event_1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event_starts_at", jichikai.database.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("event_ends_at", jichikai.database.UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("event_place", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.create_index("ix_notice_event", ["association_id", "event_starts_at"], unique=False)
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.alter_column("event_place", server_default=None)

    op.create_table(
        "reply_question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("min_value", sa.Integer(), nullable=True),
        sa.Column("max_value", sa.Integer(), nullable=True),
        sa.Column("association_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["association_id"], ["association.id"], name=op.f("fk_reply_question_association_id_association"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["notice_id"], ["notice.id"], name=op.f("fk_reply_question_notice_id_notice"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reply_question")),
    )
    with op.batch_alter_table("reply_question", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reply_question_association_id"), ["association_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reply_question_notice_id"), ["notice_id"], unique=False)

    op.create_table(
        "reply_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reply_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("option_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("association_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["association_id"], ["association.id"], name=op.f("fk_reply_answer_association_id_association"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["option_id"], ["reply_option.id"], name=op.f("fk_reply_answer_option_id_reply_option"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["question_id"], ["reply_question.id"], name=op.f("fk_reply_answer_question_id_reply_question"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["reply_id"], ["reply.id"], name=op.f("fk_reply_answer_reply_id_reply"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reply_answer")),
    )
    with op.batch_alter_table("reply_answer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reply_answer_association_id"), ["association_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reply_answer_reply_id"), ["reply_id"], unique=False)
        batch_op.create_index("ix_reply_answer_question", ["question_id", "option_id"], unique=False)

    with op.batch_alter_table("reply_option", schema=None) as batch_op:
        batch_op.add_column(sa.Column("question_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("reply", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recorded_by_id", sa.Integer(), nullable=True))

    _questions_from_old_forms()

    with op.batch_alter_table("reply_option", schema=None) as batch_op:
        batch_op.alter_column("question_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f("fk_reply_option_question_id_reply_question"), "reply_question", ["question_id"], ["id"], ondelete="CASCADE")
        batch_op.create_index(batch_op.f("ix_reply_option_question_id"), ["question_id"], unique=False)
    with op.batch_alter_table("reply", schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f("fk_reply_recorded_by_id_member"), "member", ["recorded_by_id"], ["id"], ondelete="SET NULL")
        batch_op.drop_constraint("fk_reply_option_id_reply_option", type_="foreignkey")
        batch_op.drop_column("option_id")
        batch_op.drop_column("note")

    op.create_table(
        "calendar_feed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", jichikai.database.UTCDateTime(), nullable=False),
        sa.Column("last_used_at", jichikai.database.UTCDateTime(), nullable=True),
        sa.Column("association_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["association_id"], ["association.id"], name=op.f("fk_calendar_feed_association_id_association"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], name=op.f("fk_calendar_feed_member_id_member"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feed")),
        sa.UniqueConstraint("member_id", name=op.f("uq_calendar_feed_member_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_feed_token_hash")),
    )
    with op.batch_alter_table("calendar_feed", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calendar_feed_association_id"), ["association_id"], unique=False)


_notice = sa.table("notice", sa.column("id", sa.Integer), sa.column("association_id", sa.Integer), sa.column("reply_kind", sa.String))
_question = sa.table(
    "reply_question",
    sa.column("id", sa.Integer),
    sa.column("association_id", sa.Integer),
    sa.column("notice_id", sa.Integer),
    sa.column("position", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("label", sa.String),
    sa.column("required", sa.Boolean),
)
_option = sa.table("reply_option", sa.column("id", sa.Integer), sa.column("notice_id", sa.Integer), sa.column("question_id", sa.Integer))
_reply = sa.table(
    "reply",
    sa.column("id", sa.Integer),
    sa.column("association_id", sa.Integer),
    sa.column("notice_id", sa.Integer),
    sa.column("option_id", sa.Integer),
    sa.column("note", sa.String),
)
_answer = sa.table(
    "reply_answer",
    sa.column("association_id", sa.Integer),
    sa.column("reply_id", sa.Integer),
    sa.column("question_id", sa.Integer),
    sa.column("option_id", sa.Integer),
    sa.column("text", sa.Text),
)


def _questions_from_old_forms():
    """Each old reply form becomes a choice question and an optional note question."""
    bind = op.get_bind()
    with_options = sa.select(_option.c.notice_id)
    notices = bind.execute(
        sa.select(_notice.c.id, _notice.c.association_id, _notice.c.reply_kind)
        .where(sa.or_(_notice.c.reply_kind.is_not(None), _notice.c.id.in_(with_options)))
        .order_by(_notice.c.id)
    ).all()
    for notice_id, association_id, kind in notices:
        row = {"association_id": association_id, "notice_id": notice_id, "required": True}
        choice_id = bind.execute(
            _question.insert()
            .values(**row, position=0, kind="single", label="出欠" if kind == "attendance" else "お答え")
            .returning(_question.c.id)
        ).scalar_one()
        row["required"] = False
        note_id = bind.execute(
            _question.insert().values(**row, position=1, kind="short", label="ひとこと").returning(_question.c.id)
        ).scalar_one()
        bind.execute(_option.update().where(_option.c.notice_id == notice_id).values(question_id=choice_id))
        replies = bind.execute(
            sa.select(_reply.c.id, _reply.c.option_id, _reply.c.note).where(_reply.c.notice_id == notice_id)
        ).all()
        for reply_id, option_id, note in replies:
            answer = {"association_id": association_id, "reply_id": reply_id}
            bind.execute(_answer.insert().values(**answer, question_id=choice_id, option_id=option_id))
            if note:
                bind.execute(_answer.insert().values(**answer, question_id=note_id, text=note))


def downgrade():
    op.drop_table("calendar_feed")

    # The first choice of each reply goes back to the reply; notes come from short texts.
    with op.batch_alter_table("reply", schema=None) as batch_op:
        batch_op.add_column(sa.Column("option_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("note", sa.String(length=200), nullable=False, server_default=""))
    bind = op.get_bind()
    answer = sa.table(
        "reply_answer",
        sa.column("reply_id", sa.Integer),
        sa.column("option_id", sa.Integer),
        sa.column("text", sa.Text),
        sa.column("id", sa.Integer),
    )
    for reply_id, option_id, text in bind.execute(
        sa.select(answer.c.reply_id, answer.c.option_id, answer.c.text).order_by(answer.c.id.desc())
    ).all():
        if option_id is not None:
            bind.execute(_reply.update().where(_reply.c.id == reply_id).values(option_id=option_id))
        elif text:
            bind.execute(_reply.update().where(_reply.c.id == reply_id).values(note=text[:200]))
    bind.execute(_reply.delete().where(_reply.c.option_id.is_(None)))
    with op.batch_alter_table("reply", schema=None) as batch_op:
        batch_op.alter_column("option_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("note", server_default=None)
        batch_op.create_foreign_key(batch_op.f("fk_reply_option_id_reply_option"), "reply_option", ["option_id"], ["id"], ondelete="CASCADE")
        batch_op.drop_constraint("fk_reply_recorded_by_id_member", type_="foreignkey")
        batch_op.drop_column("recorded_by_id")

    with op.batch_alter_table("reply_option", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reply_option_question_id"))
        batch_op.drop_constraint("fk_reply_option_question_id_reply_question", type_="foreignkey")
        batch_op.drop_column("question_id")

    op.drop_table("reply_answer")
    op.drop_table("reply_question")

    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.drop_index("ix_notice_event")
        batch_op.drop_column("event_place")
        batch_op.drop_column("event_ends_at")
        batch_op.drop_column("event_starts_at")
