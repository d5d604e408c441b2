"""Login and preference forms."""

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, RadioField, SelectChoice, StringField
from wtforms.validators import DataRequired, Length

from ..forms import PageForm
from ..i18n import html_lang, language_name


class CodeLoginForm(PageForm):
    code = StringField(
        _l("カードの番号"),
        validators=[DataRequired(_l("カードの番号を入れてください。")), Length(max=40)],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
    )


class PasswordLoginForm(PageForm):
    email = EmailField(_l("メールアドレス"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("パスワード"), validators=[DataRequired(), Length(max=200)])


class PreferencesForm(PageForm):
    language = RadioField(_l("ことば"), default="ja")
    text_size = RadioField(
        _l("文字の大きさ"),
        choices=[SelectChoice("normal", _l("ふつう")), SelectChoice("large", _l("大きい"))],
        default="normal",
    )

    def __init__(self, *args, languages: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = [
            SelectChoice(code, language_name(code), render_kw={"lang": html_lang(code)})
            for code in languages
        ]


class SetPasswordForm(PageForm):
    """An admin sets an officer's password for the email login."""

    password = PasswordField(
        _l("新しいパスワード"),
        validators=[
            DataRequired(_l("パスワードを入れてください。")),
            Length(min=10, max=200, message=_l("10文字以上、200文字までにしてください。")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class PasskeyNameForm(PageForm):
    """The name of a new passkey (the script sends it with the browser's answer)."""

    name = StringField(
        _l("パスキーの名前"),
        validators=[DataRequired(_l("名前を入れてください。")), Length(max=100)],
        render_kw={"autocomplete": "off", "maxlength": 100},
    )


class PasskeyPolicyForm(PageForm):
    policy = RadioField(
        _l("役員と管理者のログイン"),
        choices=[
            SelectChoice("any", _l("パスワードかパスキーのどちらか（標準）")),
            SelectChoice("passkey", _l("パスキーが必要（パスワードだけではログインできません）")),
            SelectChoice("both", _l("パスワードとパスキーの両方が必要")),
        ],
        default="any",
    )
