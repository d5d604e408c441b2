"""Forms of the officers' administration pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DecimalField,
    FloatField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import PageForm
from .models import ROLE_ADMIN, ROLE_LEADER, ROLE_OFFICER
from .services import SETTING_LIMITS


class CheckboxesField(SelectMultipleField):
    """Several choices as check boxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _required(label: str):
    return DataRequired(_l("%(label)sを入れてください。", label=label))


class BlockForm(PageForm):
    name = StringField(
        _l("班の名前"),
        validators=[
            _required(_l("班の名前")),
            Length(max=100, message=_l("100文字までにしてください。")),
        ],
        description=_l("例：1班"),
    )


class MoveForm(PageForm):
    direction = HiddenField(validators=[DataRequired()])

    def validate_direction(self, field) -> None:
        if field.data not in ("up", "down"):
            raise ValidationError("up or down")


class HouseholdForm(PageForm):
    block_id = SelectField(_l("班"), coerce=int, validators=[InputRequired()])
    name = StringField(
        _l("世帯の名前"),
        validators=[
            _required(_l("世帯の名前")),
            Length(max=200, message=_l("200文字までにしてください。")),
        ],
        description=_l("例：佐藤家"),
    )
    town = StringField(
        _l("町丁目"), validators=[Length(max=200, message=_l("200文字までにしてください。"))]
    )
    address_line = StringField(
        _l("住所"), validators=[Length(max=300, message=_l("300文字までにしてください。"))]
    )
    people_count = IntegerField(
        _l("人数"),
        default=1,
        validators=[
            InputRequired(_l("人数を入れてください。")),
            NumberRange(1, 99, message=_l("1から99までの数にしてください。")),
        ],
    )
    phone = StringField(
        _l("電話番号"), validators=[Length(max=40, message=_l("40文字までにしてください。"))]
    )
    paper_only = BooleanField(_l("紙だけの世帯（スマートフォンを使わない）"))
    needs_assistance = BooleanField(_l("避難に手助けが必要（避難行動要支援者）"))
    assistance_note = TextAreaField(
        _l("手助けの内容"),
        validators=[Length(max=2000, message=_l("2000文字までにしてください。"))],
        description=_l("例：足が不自由で、ひとりでは避難できません。"),
    )

    def validate_assistance_note(self, field) -> None:
        if (field.data or "").strip() and not self.needs_assistance.data:
            raise ValidationError(
                _l("手助けの内容を書くときは「避難に手助けが必要」にも印をつけてください。")
            )


class MemberForm(PageForm):
    household_id = SelectField(_l("世帯"), coerce=int, validators=[InputRequired()])
    name = StringField(
        _l("氏名"),
        validators=[
            _required(_l("氏名")),
            Length(max=200, message=_l("200文字までにしてください。")),
        ],
    )
    kana = StringField(
        _l("ふりがな"), validators=[Length(max=200, message=_l("200文字までにしてください。"))]
    )
    email = StringField(
        _l("ログイン用メールアドレス"),
        validators=[
            Optional(),
            Length(max=254, message=_l("254文字までにしてください。")),
            Regexp(
                r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
                message=_l("メールアドレスの形が正しくありません。"),
            ),
        ],
        description=_l(
            "役員がパスワードでログインするときに使います。会員は空のままでかまいません。"
            "お知らせを送るメールアドレスは「連絡先と受け取る方法」で登録します。"
        ),
    )


def role_choices(can_grant_officers: bool) -> list[tuple[str, str]]:
    choices = [(ROLE_LEADER, _l("班長"))]
    if can_grant_officers:
        choices += [(ROLE_OFFICER, _l("役員")), (ROLE_ADMIN, _l("管理者"))]
    return choices


class RoleForm(PageForm):
    role = SelectField(_l("役"), validators=[InputRequired()])
    block_id = SelectField(_l("班（班長のとき）"), coerce=int, validators=[Optional()])

    def validate_block_id(self, field) -> None:
        if self.role.data == ROLE_LEADER and not field.data:
            raise ValidationError(_l("班長にするときは班を選んでください。"))


def _setting_field(label, key: str, unit):
    low, high = SETTING_LIMITS[key]
    return IntegerField(
        label,
        validators=[
            InputRequired(_l("数を入れてください。")),
            NumberRange(
                low,
                high,
                message=_l("%(low)dから%(high)dまでの数にしてください。", low=low, high=high),
            ),
        ],
        description=unit,
    )


class AssociationForm(PageForm):
    name = StringField(
        _l("自治会の名前"),
        validators=[
            _required(_l("自治会の名前")),
            Length(max=200, message=_l("200文字までにしてください。")),
        ],
    )
    municipality = StringField(
        _l("市区町村"),
        validators=[Length(max=200, message=_l("200文字までにしてください。"))],
        description=_l("例：さいたま市桜区"),
    )
    center_lat = DecimalField(
        _l("中心の緯度"),
        places=6,
        validators=[
            Optional(),
            NumberRange(-90, 90, message=_l("-90から90までの数にしてください。")),
        ],
        description=_l("例：35.853"),
    )
    center_lon = DecimalField(
        _l("中心の経度"),
        places=6,
        validators=[
            Optional(),
            NumberRange(-180, 180, message=_l("-180から180までの数にしてください。")),
        ],
        description=_l("例：139.61"),
    )
    notice_reminder_hours = _setting_field(
        _l("回覧を読んでいない人へのお知らせ（何時間後）"), "notice_reminder_hours", _l("時間")
    )
    checkin_reminder_minutes = _setting_field(
        _l("安否の返事がない人へのお知らせの間隔"), "checkin_reminder_minutes", _l("分")
    )
    checkin_reminder_max = _setting_field(
        _l("安否のお知らせの回数（最大）"), "checkin_reminder_max", _l("回")
    )
    escalation_minutes = _setting_field(
        _l("返事がない人を班長さんの連絡リストに入れるまで"), "escalation_minutes", _l("分")
    )
    checkin_retention_days = _setting_field(
        _l("安否の記録を残す日数"), "checkin_retention_days", _l("日")
    )
    shelter_radius_m = _setting_field(
        _l("近くの避難所を探す範囲"), "shelter_radius_m", _l("メートル")
    )
    notice_ack_required = BooleanField(
        _l("新しい回覧をはじめから「要確認」にする（回覧ごとに変えられます）")
    )
    languages = CheckboxesField(_l("会員が選べることば"), choices=[])

    def __init__(self, *args, languages: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.languages.choices = languages

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if (self.center_lat.data is None) != (self.center_lon.data is None):
            self.center_lon.errors = [
                *self.center_lon.errors,
                _l("緯度と経度は両方入れるか、両方空にしてください。"),
            ]
            return False
        return valid


class RosterUploadForm(PageForm):
    file = FileField(
        _l("名簿のCSVファイル"),
        validators=[
            FileRequired(_l("ファイルを選んでください。")),
            FileAllowed(["csv", "txt"], _l("CSVファイル（.csv）を選んでください。")),
        ],
    )


class AuditFilterForm(PageForm):
    class Meta:
        csrf = False

    action = SelectField(_l("種類"), validators=[Optional()])


class HouseholdLocationForm(PageForm):
    """Where a household lives: typed, or put in by a tap on the map (static/js/map.js)."""

    lat = FloatField(
        _l("緯度"),
        validators=[Optional()],
        description=_l("例：35.8612（地図をタップすると入ります）"),
    )
    lon = FloatField(_l("経度"), validators=[Optional()], description=_l("例：139.6176"))
