"""Forms of the notices pages."""

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    MultipleFileField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..database import ID_MAX
from ..forms import PageForm
from .models import (
    CATEGORY_CITY,
    CATEGORY_EVENT,
    CATEGORY_GENERAL,
    CATEGORY_URGENT,
    PER_HOUSEHOLD,
    PER_MEMBER,
    QUESTION_LONG,
    QUESTION_MULTIPLE,
    QUESTION_NUMBER,
    QUESTION_SHORT,
    QUESTION_SINGLE,
    REPLY_ATTENDANCE,
    REPLY_SURVEY,
    VIA_PAPER,
    VIA_PROXY,
)
from .questionnaires import NUMBER_LIMIT, QuestionInput
from .services import BODY_MAX, EVENT_PLACE_MAX, TITLE_MAX, NoticeInput

# Rows of the question builder shown without JavaScript; 「質問を増やす」 adds one.
QUESTION_ROWS = 3


def category_labels() -> dict:
    """The categories' names in the member's language."""
    return {
        CATEGORY_GENERAL: str(_l("お知らせ")),
        CATEGORY_EVENT: str(_l("行事")),
        CATEGORY_URGENT: str(_l("緊急")),
        CATEGORY_CITY: str(_l("市からの回覧")),
    }


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def question_kind_labels() -> dict:
    """The kinds of question in the member's language."""
    return {
        QUESTION_SINGLE: str(_l("1つ選ぶ")),
        QUESTION_MULTIPLE: str(_l("いくつでも選ぶ")),
        QUESTION_SHORT: str(_l("短い文")),
        QUESTION_LONG: str(_l("長い文")),
        QUESTION_NUMBER: str(_l("数（人数など）")),
    }


class QuestionForm(Form):
    """One row of the question builder (a sub-form: the page's token covers it)."""

    label = StringField(_l("質問"), validators=[Length(max=200)])
    kind = SelectField(
        _l("答え方"),
        choices=[
            SelectChoice(QUESTION_SINGLE, _l("1つ選ぶ")),
            SelectChoice(QUESTION_MULTIPLE, _l("いくつでも選ぶ")),
            SelectChoice(QUESTION_SHORT, _l("短い文")),
            SelectChoice(QUESTION_LONG, _l("長い文")),
            SelectChoice(QUESTION_NUMBER, _l("数（人数など）")),
        ],
        default=QUESTION_SINGLE,
    )
    required = BooleanField(_l("答えが必要"), default=True)
    options = TextAreaField(_l("選択肢（1行に1つ）"), validators=[Length(max=2000)])
    min_value = IntegerField(
        _l("いちばん小さい数"),
        validators=[Optional(), NumberRange(-NUMBER_LIMIT, NUMBER_LIMIT)],
    )
    max_value = IntegerField(
        _l("いちばん大きい数"),
        validators=[Optional(), NumberRange(-NUMBER_LIMIT, NUMBER_LIMIT)],
    )

    def to_input(self) -> QuestionInput:
        return QuestionInput(
            label=self.label.data or "",
            kind=self.kind.data or QUESTION_SINGLE,
            required=bool(self.required.data),
            options=(self.options.data or "").splitlines(),
            min_value=self.min_value.data,
            max_value=self.max_value.data,
        )


class NoticeForm(PageForm):
    questions_error = ""  # a problem of the questions as a whole, set by the view
    title = StringField(
        _l("題名"),
        validators=[DataRequired(_l("題名を入れてください。")), Length(max=TITLE_MAX)],
    )
    body = TextAreaField(_l("本文"), validators=[Length(max=BODY_MAX)])
    category = RadioField(
        _l("種類"),
        choices=[
            SelectChoice(CATEGORY_GENERAL, _l("お知らせ")),
            SelectChoice(CATEGORY_EVENT, _l("行事")),
            SelectChoice(CATEGORY_URGENT, _l("緊急")),
            SelectChoice(CATEGORY_CITY, _l("市からの回覧")),
        ],
        default=CATEGORY_GENERAL,
    )
    blocks = CheckboxesField(_l("送る班（選ばないと全員）"), coerce=int, choices=[])
    publish_at = DateTimeLocalField(
        _l("公開する日時（空欄ならすぐ）"), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    expires_at = DateTimeLocalField(
        _l("掲載の終わり（空欄なら終わりなし）"), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    reply_kind = RadioField(
        _l("返信"),
        choices=[
            SelectChoice("", _l("なし")),
            SelectChoice(REPLY_ATTENDANCE, _l("出欠")),
            SelectChoice(REPLY_SURVEY, _l("アンケート")),
        ],
        default="",
        validate_choice=True,
    )
    reply_per = RadioField(
        _l("返信する人"),
        choices=[
            SelectChoice(PER_HOUSEHOLD, _l("世帯ごとに1つ")),
            SelectChoice(PER_MEMBER, _l("一人ずつ")),
        ],
        default=PER_HOUSEHOLD,
    )
    questions = FieldList(FormField(QuestionForm), min_entries=QUESTION_ROWS, max_entries=20)
    reply_deadline = DateTimeLocalField(
        _l("返信の締め切り"), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    event_starts_at = DateTimeLocalField(
        _l("行事の始まり（行事でなければ空欄）"), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    event_ends_at = DateTimeLocalField(
        _l("行事の終わり（なくてもかまいません）"), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    event_place = StringField(_l("場所"), validators=[Length(max=EVENT_PLACE_MAX)])
    files = MultipleFileField(_l("添付ファイル（PDF、JPEG、PNG）"))
    ack_required = BooleanField(
        _l("要確認にする（読んだ人に「確認しました」を押してもらいます）"), default=False
    )

    def to_input(self, timezone: str) -> NoticeInput:
        """The form's content for the services, times turned into UTC."""
        zone = ZoneInfo(timezone)
        return NoticeInput(
            title=self.title.data or "",
            body=self.body.data or "",
            category=self.category.data,
            block_ids=list(self.blocks.data or []),
            publish_at=_aware(self.publish_at.data, zone),
            expires_at=_aware(self.expires_at.data, zone),
            reply_kind=self.reply_kind.data or None,
            reply_per=self.reply_per.data or PER_HOUSEHOLD,
            questions=[row.form.to_input() for row in self.questions],
            reply_deadline=_aware(self.reply_deadline.data, zone),
            event_starts_at=_aware(self.event_starts_at.data, zone),
            event_ends_at=_aware(self.event_ends_at.data, zone),
            event_place=self.event_place.data or "",
            ack_required=bool(self.ack_required.data),
        )

    def fill_questions(self, questions: list[QuestionInput]) -> None:
        """Show a notice's questions, with empty rows to add more."""
        while len(self.questions):
            self.questions.pop_entry()
        for question in questions:
            self.questions.append_entry()
            row = self.questions[-1].form
            row.label.data = question.label
            row.kind.data = question.kind
            row.required.data = question.required
            row.options.data = "\n".join(question.options)
            row.min_value.data = question.min_value
            row.max_value.data = question.max_value
        while len(self.questions) < max(QUESTION_ROWS, len(questions) + 1):
            self.questions.append_entry()
            self.questions[-1].form.required.data = True

    def fill_times(self, notice, timezone: str) -> None:
        """Show a notice's times in the association's zone."""
        zone = ZoneInfo(timezone)
        for name in (
            "publish_at",
            "expires_at",
            "reply_deadline",
            "event_starts_at",
            "event_ends_at",
        ):
            value = getattr(notice, name)
            getattr(self, name).data = (
                value.astimezone(zone).replace(tzinfo=None) if value else None
            )


def _aware(value: datetime | None, zone: ZoneInfo) -> datetime | None:
    return value.replace(tzinfo=zone) if value else None


class RecordReadForm(PageForm):
    household_id = IntegerField(validators=[InputRequired(), NumberRange(1, ID_MAX)])
    via = HiddenField(validators=[DataRequired()])

    VIAS = (VIA_PAPER, VIA_PROXY)


class TranslationForm(PageForm):
    """An officer's translation of a circular's title and body (checked by the service)."""

    title = StringField(_l("題名"))
    body = TextAreaField(_l("本文"), render_kw={"rows": 10})


class OriginalLanguageForm(PageForm):
    """The language the circular is written in."""

    language = SelectField(_l("原文の言語"))
