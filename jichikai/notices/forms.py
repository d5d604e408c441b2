"""Forms of the notices pages."""

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    MultipleFileField,
    RadioField,
    SelectChoice,
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
    REPLY_ATTENDANCE,
    REPLY_SURVEY,
    VIA_PAPER,
    VIA_PROXY,
)
from .services import BODY_MAX, TITLE_MAX, NoticeInput


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


class NoticeForm(PageForm):
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
    reply_options = TextAreaField(
        _l("選択肢（1行に1つ。出欠は空欄なら「出席」「欠席」）"), validators=[Length(max=2000)]
    )
    reply_deadline = DateTimeLocalField(
        _l("返信の締め切り"), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
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
            reply_options=(self.reply_options.data or "").splitlines(),
            reply_deadline=_aware(self.reply_deadline.data, zone),
            ack_required=bool(self.ack_required.data),
        )

    def fill_times(self, notice, timezone: str) -> None:
        """Show a notice's times in the association's zone."""
        zone = ZoneInfo(timezone)
        for name in ("publish_at", "expires_at", "reply_deadline"):
            value = getattr(notice, name)
            getattr(self, name).data = (
                value.astimezone(zone).replace(tzinfo=None) if value else None
            )


def _aware(value: datetime | None, zone: ZoneInfo) -> datetime | None:
    return value.replace(tzinfo=zone) if value else None


class ReplyForm(PageForm):
    option = RadioField(
        _l("お答え"), coerce=int, choices=[], validators=[InputRequired(_l("選んでください。"))]
    )
    note = StringField(_l("ひとこと（なくてもかまいません）"), validators=[Length(max=200)])


class RecordReadForm(PageForm):
    household_id = IntegerField(validators=[InputRequired(), NumberRange(1, ID_MAX)])
    via = HiddenField(validators=[DataRequired()])

    VIAS = (VIA_PAPER, VIA_PROXY)
