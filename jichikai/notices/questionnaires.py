"""Reply forms (アンケート): questions, answers from the app or a paper slip, and tallies."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased, selectinload

from ..database import utcnow
from ..extensions import db
from ..org.models import Block, Household, Member
from .errors import NoticeError, NoticeForbidden, NoticeNotFound
from .models import (
    CHOICE_KINDS,
    PER_MEMBER,
    QUESTION_KINDS,
    QUESTION_MULTIPLE,
    QUESTION_NUMBER,
    QUESTION_SHORT,
    QUESTION_SINGLE,
    REPLY_ATTENDANCE,
    REPLY_KINDS,
    TEXT_KINDS,
    Notice,
    Reply,
    ReplyAnswer,
    ReplyOption,
    ReplyQuestion,
)
from .permissions import in_audience

QUESTIONS_MAX = 20
QUESTION_LABEL_MAX = 200
OPTION_MAX = 100
OPTIONS_MAX = 10
SHORT_TEXT_MAX = 200
LONG_TEXT_MAX = 2000
NUMBER_LIMIT = 1_000_000  # numbers beyond it are typing mistakes, not head counts

# Stored text is in the association's language (Japanese), not the writer's.
ATTENDANCE_LABEL = "出欠"
ATTENDANCE_OPTIONS = ["出席", "欠席"]


@dataclass
class QuestionInput:
    """One question as an officer writes it; the form and the services both use it."""

    label: str
    kind: str = QUESTION_SINGLE
    required: bool = True
    options: list[str] = field(default_factory=list)
    min_value: int | None = None
    max_value: int | None = None


def attendance_question() -> QuestionInput:
    return QuestionInput(ATTENDANCE_LABEL, QUESTION_SINGLE, True, list(ATTENDANCE_OPTIONS))


def question_inputs(notice: Notice) -> list[QuestionInput]:
    """A notice's questions as inputs (to compare with an edit, or to fill the form)."""
    return [
        QuestionInput(
            q.label,
            q.kind,
            q.required,
            [o.label for o in q.options],
            q.min_value,
            q.max_value,
        )
        for q in notice.questions
    ]


# Writing the form -----------------------------------------------------------------------


def check_questions(reply_kind: str | None, questions: list[QuestionInput]) -> list[QuestionInput]:
    """The questions of a reply form, cleaned; raises NoticeError with the first problem."""
    if not reply_kind:
        return []
    if reply_kind not in REPLY_KINDS:
        raise NoticeError(_("返信の種類を選んでください。"), field="reply_kind")
    # Rows left empty are skipped; a problem names the row as the officer sees it.
    cleaned: list[tuple[int, QuestionInput]] = []
    for row, question in enumerate(questions, start=1):
        question.label = (question.label or "").strip()
        question.options = [o.strip() for o in question.options if o and o.strip()]
        if question.label or question.options:
            cleaned.append((row, question))
    if not cleaned and reply_kind == REPLY_ATTENDANCE:
        cleaned = [(1, attendance_question())]
    if not cleaned:
        raise NoticeError(_("質問を1つ以上入れてください。"), field="questions")
    if len(cleaned) > QUESTIONS_MAX:
        raise NoticeError(_("質問は %(n)d 個までです。", n=QUESTIONS_MAX), field="questions")
    for row, question in cleaned:
        _check_question(row, question)
    return [question for _row, question in cleaned]


def _check_question(number: int, question: QuestionInput) -> None:
    def fail(message: str) -> None:
        raise NoticeError(_("質問%(n)d：", n=number) + message, field="questions")

    if not question.label:
        fail(_("質問の文を入れてください。"))
    if len(question.label) > QUESTION_LABEL_MAX:
        fail(_("質問の文は %(n)d 文字までです。", n=QUESTION_LABEL_MAX))
    if question.kind not in QUESTION_KINDS:
        fail(_("答え方を選んでください。"))
    if question.kind in CHOICE_KINDS:
        if len(question.options) < 2:
            fail(_("選択肢を2つ以上入れてください。"))
        if len(question.options) > OPTIONS_MAX:
            fail(_("選択肢は %(n)d 個までです。", n=OPTIONS_MAX))
        if any(len(o) > OPTION_MAX for o in question.options):
            fail(_("選択肢は1つ %(n)d 文字までです。", n=OPTION_MAX))
        if len(set(question.options)) != len(question.options):
            fail(_("同じ選択肢が2回あります。"))
    else:
        question.options = []
    if question.kind == QUESTION_NUMBER:
        for bound in (question.min_value, question.max_value):
            if bound is not None and abs(bound) > NUMBER_LIMIT:
                fail(_("数の範囲が大きすぎます。"))
        low, high = question.min_value, question.max_value
        if low is not None and high is not None and low > high:
            fail(_("いちばん小さい数は、いちばん大きい数以下にしてください。"))
    else:
        question.min_value = question.max_value = None


def build_questions(notice: Notice, questions: list[QuestionInput]) -> None:
    """Give a saved notice these questions (replacing any it had)."""
    notice.questions = [
        ReplyQuestion(
            association_id=notice.association_id,
            position=position,
            kind=q.kind,
            label=q.label,
            required=q.required,
            min_value=q.min_value,
            max_value=q.max_value,
            options=[
                ReplyOption(
                    association_id=notice.association_id,
                    notice_id=notice.id,
                    label=label,
                    position=i,
                )
                for i, label in enumerate(q.options)
            ],
        )
        for position, q in enumerate(questions)
    ]
    db.session.flush()
    db.session.expire(notice, ["options"])


def has_replies(notice: Notice) -> bool:
    return bool(db.session.scalar(select(func.count(Reply.id)).where(Reply.notice_id == notice.id)))


# Answering ------------------------------------------------------------------------------


class AnswerError(NoticeError):
    """Answers that cannot be taken as they are: a message per question id."""

    def __init__(self, errors: dict[int, str]):
        super().__init__(_("答えを確かめてください。"), field="answers")
        self.errors = errors


def respondent_key(notice: Notice, member: Member) -> str:
    if notice.reply_per == PER_MEMBER:
        return f"m{member.id}"
    return f"h{member.household_id}"


def _reply_by_key(notice: Notice, key: str) -> Reply | None:
    return db.session.scalars(
        select(Reply)
        .where(Reply.notice_id == notice.id, Reply.respondent == key)
        .options(selectinload(Reply.answers))
    ).first()


def current_reply(notice: Notice, member: Member) -> Reply | None:
    """The reply that counts for this member: their own, or their household's."""
    if not notice.reply_kind or not member.household_id:
        return None
    return _reply_by_key(notice, respondent_key(notice, member))


def household_reply(notice: Notice, household: Household) -> Reply | None:
    """The household's own reply: a member's (per household) or one from the paper slip."""
    return _reply_by_key(notice, f"h{household.id}")


def values_of(reply: Reply | None) -> dict[int, list[str]]:
    """A reply's answers as form values: question id -> submitted strings."""
    values: dict[int, list[str]] = defaultdict(list)
    for answer in reply.answers if reply else []:
        if answer.option_id is not None:
            values[answer.question_id].append(str(answer.option_id))
        elif answer.number is not None:
            values[answer.question_id].append(str(answer.number))
        elif answer.text is not None:
            values[answer.question_id].append(answer.text)
    return dict(values)


def _parse_number(text: str) -> int | None:
    text = unicodedata.normalize("NFKC", text).strip().replace(",", "")
    if text.startswith(("+", "-")):
        sign, digits = text[0], text[1:]
    else:
        sign, digits = "", text
    if not digits.isascii() or not digits.isdigit():
        return None
    return int(sign + digits)


def check_answers(notice: Notice, values: dict[int, list[str]]) -> list[ReplyAnswer]:
    """Answer rows from submitted values; raises AnswerError naming every wrong question."""
    errors: dict[int, str] = {}
    rows: list[ReplyAnswer] = []

    def row(question: ReplyQuestion, **kwargs) -> None:
        rows.append(
            ReplyAnswer(association_id=notice.association_id, question_id=question.id, **kwargs)
        )

    for question in notice.questions:
        given = [v for v in values.get(question.id, []) if v is not None]
        texts = [v.strip() for v in given if v.strip()]
        if question.kind in CHOICE_KINDS:
            ids = {str(o.id): o for o in question.options}
            chosen = [ids[v] for v in dict.fromkeys(texts) if v in ids]
            if len(chosen) != len(set(texts)):
                errors[question.id] = _("選択肢から選んでください。")
            elif question.kind == QUESTION_SINGLE and len(chosen) > 1:
                errors[question.id] = _("1つだけ選んでください。")
            elif not chosen and question.required:
                errors[question.id] = (
                    _("1つ以上選んでください。")
                    if question.kind == QUESTION_MULTIPLE
                    else _("1つ選んでください。")
                )
            for option in chosen:
                row(question, option_id=option.id)
        elif question.kind in TEXT_KINDS:
            text = "\n".join(texts)
            limit = SHORT_TEXT_MAX if question.kind == QUESTION_SHORT else LONG_TEXT_MAX
            if not text and question.required:
                errors[question.id] = _("書いてください。")
            elif len(text) > limit:
                errors[question.id] = _(
                    "%(n)d 文字までです（いまは %(now)d 文字）。", n=limit, now=len(text)
                )
            elif text:
                row(question, text=text)
        else:
            if not texts:
                if question.required:
                    errors[question.id] = _("数を入れてください。")
                continue
            number = _parse_number(texts[0])
            low, high = question.min_value, question.max_value
            if number is None or len(texts) > 1:
                errors[question.id] = _("数字だけで入れてください（例：3）。")
            elif abs(number) > NUMBER_LIMIT:
                errors[question.id] = _("数が大きすぎます。")
            elif low is not None and high is not None and not low <= number <= high:
                errors[question.id] = _(
                    "%(low)d から %(high)d までの数を入れてください。", low=low, high=high
                )
            elif low is not None and number < low:
                errors[question.id] = _("%(low)d 以上の数を入れてください。", low=low)
            elif high is not None and number > high:
                errors[question.id] = _("%(high)d 以下の数を入れてください。", high=high)
            else:
                row(question, number=number)
    if errors:
        raise AnswerError(errors)
    if not rows:
        raise AnswerError(
            {notice.questions[0].id: _("どれか1つはお答えください。")} if notice.questions else {}
        )
    return rows


def _save(
    notice: Notice,
    reply: Reply | None,
    key: str,
    household_id: int,
    rows: list[ReplyAnswer],
    now: datetime,
) -> Reply:
    if reply is None:
        reply = Reply(
            association_id=notice.association_id,
            notice_id=notice.id,
            respondent=key,
            household_id=household_id,
        )
        db.session.add(reply)
    reply.answers = rows
    reply.answered_at = now
    return reply


def answer(
    notice: Notice,
    member: Member,
    values: dict[int, list[str]],
    now: datetime | None = None,
) -> Reply:
    """Answer a notice's reply form, or change the answers, until the deadline."""
    from .permissions import is_recipient

    now = now or utcnow()
    if not notice.reply_kind:
        raise NoticeError(_("この回覧には返信がありません。"))
    if not is_recipient(member, notice):
        raise NoticeForbidden(_("この回覧には返信できません。"))
    if not notice.replies_open(now):
        raise NoticeError(_("返信の締め切りを過ぎました。"))
    rows = check_answers(notice, values)
    reply = current_reply(notice, member)
    reply = _save(notice, reply, respondent_key(notice, member), member.household_id, rows, now)
    reply.member_id = member.id
    reply.recorded_by_id = None
    db.session.flush()
    return reply


def record_paper_reply(
    notice: Notice,
    household: Household,
    values: dict[int, list[str]],
    by: Member,
    now: datetime | None = None,
) -> Reply:
    """A leader enters a paper-only household's answers from its slip (代理入力).

    Paper slips come back late, so the deadline does not apply; a member's own answer in the
    app is never overwritten.
    """
    now = now or utcnow()
    if not notice.reply_kind:
        raise NoticeError(_("この回覧には返信がありません。"))
    if household.association_id != notice.association_id:
        raise NoticeNotFound(_("世帯が見つかりません。"), field="household_id")
    if notice.published_at is None or notice.withdrawn_at is not None:
        raise NoticeError(_("この回覧はもう掲載されていません。"))
    if not in_audience(notice, household.block_id):
        raise NoticeError(_("この世帯はこの回覧の対象ではありません。"), field="household_id")
    if not household.paper_only:
        raise NoticeError(_("紙の回覧の世帯だけ、代わりに入力できます。"), field="household_id")
    reply = household_reply(notice, household)
    if reply is not None and not reply.by_proxy:
        raise NoticeError(_("この世帯はもうアプリで答えています。"), field="household_id")
    rows = check_answers(notice, values)
    reply = _save(notice, reply, f"h{household.id}", household.id, rows, now)
    reply.member_id = None
    reply.recorded_by_id = by.id
    db.session.flush()
    return reply


def remove_paper_reply(notice: Notice, household: Household) -> bool:
    """Take back answers entered from a paper slip by mistake (members' answers stay)."""
    reply = household_reply(notice, household)
    if reply is None or not reply.by_proxy:
        return False
    db.session.delete(reply)
    db.session.flush()
    return True


# Tallies --------------------------------------------------------------------------------


@dataclass
class QuestionTally:
    question: ReplyQuestion
    # block id -> option id -> count (choices), block id -> answers (texts and numbers)
    by_block: dict[int, dict[int, int]] = field(default_factory=dict)
    totals: dict[int, int] = field(default_factory=dict)
    answered: dict[int, int] = field(default_factory=dict)  # block id -> replies answering it
    sums: dict[int, int] = field(default_factory=dict)  # block id -> sum (numbers)

    @property
    def answered_total(self) -> int:
        return sum(self.answered.values())

    @property
    def sum_total(self) -> int:
        return sum(self.sums.values())


@dataclass
class Tally:
    blocks: list[Block]
    expected: dict[int, int]  # block id -> households (or members) asked
    replied: dict[int, int]  # block id -> replies
    questions: list[QuestionTally]
    proxy: int  # replies entered from paper slips

    def unanswered(self, block_id: int) -> int:
        return max(self.expected.get(block_id, 0) - self.replied.get(block_id, 0), 0)

    @property
    def expected_total(self) -> int:
        return sum(self.expected.values())

    @property
    def replied_total(self) -> int:
        return sum(self.replied.values())

    @property
    def unanswered_total(self) -> int:
        return sum(self.unanswered(b.id) for b in self.blocks)


def _expected(notice: Notice, blocks: list[Block]) -> dict[int, int]:
    """Who is asked per block: households, or members (a household without any counts once)."""
    block_ids = [b.id for b in blocks]
    if not block_ids:
        return {}
    if notice.reply_per != PER_MEMBER:
        return dict(
            db.session.execute(
                select(Household.block_id, func.count(Household.id))
                .where(Household.block_id.in_(block_ids))
                .group_by(Household.block_id)
            ).all()
        )
    members = (
        select(Household.id.label("household_id"), func.count(Member.id).label("n"))
        .outerjoin(Member, (Member.household_id == Household.id) & Member.active.is_(True))
        .where(Household.block_id.in_(block_ids))
        .group_by(Household.id)
        .subquery()
    )
    at_least_one = case((members.c.n > 0, members.c.n), else_=1)
    return dict(
        db.session.execute(
            select(Household.block_id, func.sum(at_least_one))
            .join(members, members.c.household_id == Household.id)
            .group_by(Household.block_id)
        ).all()
    )


def tallies(notice: Notice) -> Tally:
    """Answers per question and block, with who has not answered yet (five queries)."""
    from .reports import audience_blocks

    blocks = audience_blocks(notice)
    replied = dict(
        db.session.execute(
            select(Household.block_id, func.count(Reply.id))
            .join(Household, Household.id == Reply.household_id)
            .where(Reply.notice_id == notice.id)
            .group_by(Household.block_id)
        ).all()
    )
    proxy = db.session.scalar(
        select(func.count(Reply.id)).where(
            Reply.notice_id == notice.id, Reply.recorded_by_id.is_not(None)
        )
    )
    by_question = {q.id: QuestionTally(q) for q in notice.questions}
    rows = db.session.execute(
        select(
            Household.block_id,
            ReplyAnswer.question_id,
            ReplyAnswer.option_id,
            func.count(func.distinct(ReplyAnswer.reply_id)),
            func.sum(ReplyAnswer.number),
        )
        .join(Reply, Reply.id == ReplyAnswer.reply_id)
        .join(Household, Household.id == Reply.household_id)
        .where(Reply.notice_id == notice.id)
        .group_by(Household.block_id, ReplyAnswer.question_id, ReplyAnswer.option_id)
    ).all()
    for block_id, question_id, option_id, count, total in rows:
        tally = by_question.get(question_id)
        if tally is None:
            continue
        if option_id is not None:
            tally.by_block.setdefault(block_id, {})[option_id] = count
            tally.totals[option_id] = tally.totals.get(option_id, 0) + count
        else:
            tally.answered[block_id] = tally.answered.get(block_id, 0) + count
            if total is not None:
                tally.sums[block_id] = tally.sums.get(block_id, 0) + int(total)
    answered_choice = db.session.execute(
        select(
            Household.block_id,
            ReplyAnswer.question_id,
            func.count(func.distinct(ReplyAnswer.reply_id)),
        )
        .join(Reply, Reply.id == ReplyAnswer.reply_id)
        .join(Household, Household.id == Reply.household_id)
        .where(Reply.notice_id == notice.id, ReplyAnswer.option_id.is_not(None))
        .group_by(Household.block_id, ReplyAnswer.question_id)
    ).all()
    for block_id, question_id, count in answered_choice:
        if question_id in by_question:
            by_question[question_id].answered[block_id] = count
    return Tally(
        blocks=blocks,
        expected=_expected(notice, blocks),
        replied=replied,
        questions=list(by_question.values()),
        proxy=proxy or 0,
    )


@dataclass
class WrittenAnswer:
    block_name: str
    household_name: str
    member_name: str | None
    recorder_name: str | None
    text: str
    answered_at: datetime


def written_answers(notice: Notice) -> dict[int, list[WrittenAnswer]]:
    """The free-text answers per question id, in block and household order (one query)."""
    recorder = aliased(Member)
    rows = db.session.execute(
        select(ReplyAnswer.question_id, ReplyAnswer.text, Block.name, Household.name)
        .add_columns(Member.name, recorder.name, Reply.answered_at)
        .join(Reply, Reply.id == ReplyAnswer.reply_id)
        .join(Household, Household.id == Reply.household_id)
        .join(Block, Block.id == Household.block_id)
        .outerjoin(Member, Member.id == Reply.member_id)
        .outerjoin(recorder, recorder.id == Reply.recorded_by_id)
        .where(Reply.notice_id == notice.id, ReplyAnswer.text.is_not(None))
        .order_by(Block.position, Block.id, Household.position, Household.id, Reply.id)
    ).all()
    result: dict[int, list[WrittenAnswer]] = defaultdict(list)
    for question_id, text, block, household, member, recorder_name, at in rows:
        result[question_id].append(WrittenAnswer(block, household, member, recorder_name, text, at))
    return dict(result)


def answer_text(question: ReplyQuestion, answers: list[ReplyAnswer]) -> str:
    """One question's answers of a reply as text (for the CSV and the block page)."""
    labels = {o.id: o.label for o in question.options}
    parts = []
    for answer in answers:
        if answer.question_id != question.id:
            continue
        if answer.option_id is not None:
            parts.append(labels.get(answer.option_id, ""))
        elif answer.number is not None:
            parts.append(str(answer.number))
        elif answer.text is not None:
            parts.append(answer.text)
    return "、".join(parts)


def replies_by_household(notice: Notice, household_ids: list[int]) -> dict[int, list[Reply]]:
    """Every reply of these households, with answers and who entered them (two queries)."""
    if not household_ids:
        return {}
    replies = db.session.scalars(
        select(Reply)
        .where(Reply.notice_id == notice.id, Reply.household_id.in_(household_ids))
        .options(
            selectinload(Reply.answers),
            selectinload(Reply.member),
            selectinload(Reply.recorded_by),
        )
        .order_by(Reply.id)
    )
    result: dict[int, list[Reply]] = defaultdict(list)
    for reply in replies:
        result[reply.household_id].append(reply)
    return dict(result)
