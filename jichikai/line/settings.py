"""The association's LINE account: saving its credentials (encrypted), reading them back."""

import re
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from ..audit.services import record
from ..database import utcnow
from ..extensions import db
from ..org.models import Association, Member
from .client import LineClient
from .crypto import seal, unseal
from .models import ACCOUNT_OFF, ACCOUNT_WORKING, LineAccount

BASIC_ID = re.compile(r"^@[0-9a-z._-]{3,30}$")
CHANNEL_SECRET = re.compile(r"^[0-9a-f]{32}$")
ACCESS_TOKEN = re.compile(r"^[A-Za-z0-9+/=._-]{20,400}$")


class LineSettingsError(ValueError):
    """The settings cannot be saved; the message says why, for the officer."""


@dataclass(frozen=True)
class Credentials:
    """What an officer typed; blank token or secret = keep the saved one."""

    basic_id: str = ""
    access_token: str = ""
    channel_secret: str = ""


def account_of(association_id: int) -> LineAccount | None:
    return db.session.scalar(
        select(LineAccount).where(LineAccount.association_id == association_id)
    )


def account_token(account: LineAccount) -> str | None:
    """The clear access token, or None when it cannot be read (SECRET_KEY changed)."""
    return unseal(account.access_token)


def account_secret(account: LineAccount) -> str | None:
    return unseal(account.channel_secret)


def normalize_basic_id(value: str) -> str:
    value = (value or "").strip().lower()
    if value and not value.startswith("@"):
        value = "@" + value
    return value


def check(credentials: Credentials, account: LineAccount | None) -> Credentials:
    """Cleaned credentials; raises LineSettingsError with what is wrong."""
    basic_id = normalize_basic_id(credentials.basic_id)
    token = (credentials.access_token or "").strip()
    secret = (credentials.channel_secret or "").strip().lower()
    if basic_id and not BASIC_ID.match(basic_id):
        raise LineSettingsError(_("ベーシックIDは「@」で始まる英数字です。"))
    if account is None and not (token and secret):
        raise LineSettingsError(
            _("チャネルアクセストークンとチャネルシークレットを入れてください。")
        )
    if token and not ACCESS_TOKEN.match(token):
        raise LineSettingsError(_("チャネルアクセストークンの形が正しくありません。"))
    if secret and not CHANNEL_SECRET.match(secret):
        raise LineSettingsError(_("チャネルシークレットは32けたの英数字です。"))
    return Credentials(basic_id, token, secret)


def save_account(
    association: Association, credentials: Credentials, by: Member, ip: str = ""
) -> LineAccount:
    """Check the token with LINE (it gives the basic ID) and save; flush, no commit.

    Raises LineSettingsError when LINE refuses the token or cannot be asked."""
    account = account_of(association.id)
    credentials = check(credentials, account)
    token = credentials.access_token or (account_token(account) if account else None)
    if not token:
        raise LineSettingsError(_("チャネルアクセストークンをもう一度入れてください。"))
    if not credentials.channel_secret and (account is None or account_secret(account) is None):
        raise LineSettingsError(_("チャネルシークレットをもう一度入れてください。"))

    client = LineClient(token)
    try:
        answer, info = client.bot_info()
    finally:
        client.close()
    if answer.refused_token:
        raise LineSettingsError(_("LINEがこのチャネルアクセストークンを受け付けませんでした。"))
    if info is None:
        raise LineSettingsError(
            _("LINEに確かめられませんでした。しばらくしてから、もう一度保存してください。")
        )

    if account is None:
        account = LineAccount(association_id=association.id)
        db.session.add(account)
    if credentials.access_token:
        account.access_token = seal(credentials.access_token)
        account.token_tail = credentials.access_token[-4:]
    if credentials.channel_secret:
        account.channel_secret = seal(credentials.channel_secret)
        account.secret_tail = credentials.channel_secret[-4:]
    account.basic_id = normalize_basic_id(info["basic_id"]) or credentials.basic_id
    account.display_name = info["display_name"][:100]
    account.state = ACCOUNT_WORKING
    account.problem, account.problem_at, account.paused_until = "", None, None
    account.updated_at, account.updated_by_id = utcnow(), by.id
    record(
        "line.settings",
        association_id=association.id,
        actor=by,
        target=account,
        ip=ip,
        basic_id=account.basic_id,
        token_changed=bool(credentials.access_token),
        secret_changed=bool(credentials.channel_secret),
    )
    db.session.flush()
    return account


def turn_off(account: LineAccount, why: str, now: datetime | None = None) -> None:
    """LINE refused the token: stop sending for this account until officers save a new one."""
    account.state = ACCOUNT_OFF
    account.problem = why[:500]
    account.problem_at = now or utcnow()
