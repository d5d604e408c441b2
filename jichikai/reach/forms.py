"""Forms of the channel pages."""

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, StringField
from wtforms.validators import DataRequired, Length

from ..forms import PageForm
from .models import CHANNEL_EMAIL, CHANNEL_LINE, CHANNEL_PUSH

AUTO = "auto"

CHANNEL_LABELS = {
    CHANNEL_PUSH: _l("このアプリ（スマートフォンの通知）"),
    CHANNEL_EMAIL: _l("メール"),
    CHANNEL_LINE: _l("LINE"),
}


class EmailForm(PageForm):
    address = StringField(
        _l("メールアドレス"),
        validators=[
            DataRequired(_l("メールアドレスを入れてください。")),
            Length(max=300, message=_l("メールアドレスが長すぎます（254文字まで）。")),
        ],
        render_kw={"autocomplete": "email", "inputmode": "email", "autocapitalize": "none"},
    )


class PreferredForm(PageForm):
    channel = RadioField(_l("回覧を受け取る方法"), validators=[DataRequired()])

    def __init__(self, working: list[str], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.channel.choices = [(AUTO, _l("自動（届く方法を順に使います）"))] + [
            (channel, CHANNEL_LABELS[channel]) for channel in working
        ]

    def chosen(self) -> str | None:
        return None if self.channel.data == AUTO else self.channel.data
