"""The member's notification preferences."""

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectChoice
from wtforms.validators import InputRequired

from ..forms import PageForm


class PreferenceForm(PageForm):
    push_preference = RadioField(
        _l("スマートフォンへのお知らせ"),
        choices=[
            SelectChoice("all", _l("すべてのお知らせ")),
            SelectChoice("urgent", _l("急ぎのお知らせだけ")),
            SelectChoice("none", _l("受け取らない")),
        ],
        validators=[InputRequired(_l("どれか一つを選んでください。"))],
    )
