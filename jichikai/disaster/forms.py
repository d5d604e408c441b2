"""Officers' forms of disaster mode; the members' check-in is a plain form read in the view."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    FloatField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from ..forms import PageForm


def kind_choices():
    return [
        SelectChoice("earthquake", _l("地震")),
        SelectChoice("flood", _l("洪水")),
        SelectChoice("landslide", _l("土砂災害")),
        SelectChoice("fire", _l("火災")),
        SelectChoice("tsunami", _l("津波")),
        SelectChoice("volcano", _l("火山")),
        SelectChoice("other", _l("その他")),
    ]


class StartEventForm(PageForm):
    kind = RadioField(_l("災害の種類"), choices=kind_choices(), default="earthquake")
    title = StringField(
        _l("題名"),
        validators=[DataRequired(_l("題名を入れてください。")), Length(max=200)],
    )
    message = TextAreaField(_l("みなさんへのお知らせ"), validators=[Length(max=2000)])
    # No default: a stray tap must not start a real event (or a drill) by omission.
    drill = RadioField(
        _l("訓練ですか、本番ですか"),
        choices=[SelectChoice("drill", _l("訓練")), SelectChoice("real", _l("本番"))],
        validators=[
            InputRequired(_l("訓練か本番かを選んでください。")),
            AnyOf(["drill", "real"], message=_l("訓練か本番かを選んでください。")),
        ],
        validate_choice=False,
    )

    @property
    def is_drill(self) -> bool:
        return self.drill.data == "drill"


class EndEventForm(PageForm):
    """Sent only from the confirmation page: without "yes" nothing ends."""

    # No default: an empty POST must not count as confirmed; the page writes value="yes".
    confirmed = HiddenField(validators=[AnyOf(["yes"])])


class ShelterUploadForm(PageForm):
    file = FileField(
        _l("避難所の CSV ファイル"),
        validators=[
            FileRequired(_l("ファイルを選んでください。")),
            FileAllowed(["csv", "txt"], _l("CSV ファイルを選んでください。")),
        ],
    )


class OwnPlaceForm(PageForm):
    name = StringField(_l("名前"), validators=[DataRequired(), Length(max=200)])
    address = StringField(_l("住所"), validators=[Length(max=300)])
    lat = FloatField(
        _l("緯度"),
        validators=[InputRequired(_l("緯度を入れてください。")), NumberRange(-90, 90)],
    )
    lon = FloatField(
        _l("経度"),
        validators=[InputRequired(_l("経度を入れてください。")), NumberRange(-180, 180)],
    )
    facility_type = SelectField(
        _l("種類"),
        choices=[
            SelectChoice("gathering_point", _l("一時集合場所")),
            SelectChoice("shelter", _l("避難所")),
            SelectChoice("emergency_site", _l("緊急避難場所")),
        ],
        default="gathering_point",
    )
    capacity = IntegerField(
        _l("受け入れられる人数"), validators=[Optional(), NumberRange(0, 100000)]
    )
    note = TextAreaField(_l("メモ"), validators=[Length(max=1000)])


CAPACITY_RANGE = _l("人数は 0 から 100000 までにしてください。")


class ShelterMarkForm(PageForm):
    state = RadioField(
        _l("開設"),
        choices=[
            SelectChoice("open", _l("開設")),
            SelectChoice("full", _l("満員")),
            SelectChoice("closed", _l("閉鎖")),
        ],
        validators=[InputRequired(_l("開設・満員・閉鎖から選んでください。"))],
    )
    capacity = IntegerField(
        _l("受け入れられる人数"), validators=[Optional(), NumberRange(0, 100000, CAPACITY_RANGE)]
    )


class ShelterCapacityForm(PageForm):
    capacity = IntegerField(
        _l("受け入れられる人数"), validators=[Optional(), NumberRange(0, 100000, CAPACITY_RANGE)]
    )


class BulletinForm(PageForm):
    """A bulletin: a fixed phrase with its place and time, or free text; to whom."""

    # No default: the officer chooses a phrase or free text on purpose.
    template = RadioField(
        _l("お知らせの種類"),
        choices=[
            SelectChoice("water", _l("給水車が来ます")),
            SelectChoice("full", _l("避難所が満員です")),
            SelectChoice("move", _l("移動してください")),
            SelectChoice("food", _l("食料と水を配ります")),
            SelectChoice("free", _l("自由に書く")),
        ],
        validators=[InputRequired(_l("お知らせの種類を選んでください。"))],
    )
    place = StringField(_l("場所"), validators=[Length(max=100)])
    time = StringField(_l("時間（例：午後3時）"), validators=[Length(max=100)])
    text = TextAreaField(_l("お知らせの文（自由に書くとき）"), validators=[Length(max=500)])
    # Block ids; none chosen: everyone.
    blocks = SelectMultipleField(_l("送る班（選ばなければ全員）"), coerce=int, choices=[])
