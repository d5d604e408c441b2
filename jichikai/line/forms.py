"""The officers' LINE settings form."""

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField
from wtforms.validators import Length

from ..forms import PageForm


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class LineSettingsForm(PageForm):
    basic_id = StringField(
        _l("ベーシックID（@で始まる）"), validators=[Length(max=40)], filters=[_strip]
    )
    access_token = PasswordField(
        _l("チャネルアクセストークン（長期）"), validators=[Length(max=400)], filters=[_strip]
    )
    channel_secret = PasswordField(
        _l("チャネルシークレット"), validators=[Length(max=64)], filters=[_strip]
    )
