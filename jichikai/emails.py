"""Checking an email address typed by a person or listed in a roster.

No library of the project checks addresses, so this is a careful pattern and the lengths of
RFC 5321. It accepts what Japanese mobile carriers deliver even where RFC 5322 would not
(dots in a row or before the @, as in old docomo and au addresses), and refuses what cannot be
an address: no @, spaces, a domain without a dot or with characters domains cannot have.
"""

import re
import unicodedata

from flask_babel import gettext as _

MAX_EMAIL = 254
MAX_LOCAL_PART = 64
MAX_DOMAIN = 253

_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class EmailError(ValueError):
    """Why the text is not an email address, for the person who typed it."""


def normalize_email(text: str | None) -> str:
    """The address with its domain in lower case (an internationalised domain in its ASCII
    form); full-width characters from a Japanese keyboard become ASCII. EmailError if it
    cannot be an address."""
    value = unicodedata.normalize("NFKC", text or "").strip()
    if not value:
        raise EmailError(_("メールアドレスを入れてください。"))
    if len(value) > MAX_EMAIL:
        raise EmailError(_("メールアドレスが長すぎます（254文字まで）。"))
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain:
        raise EmailError(_("メールアドレスの形が正しくありません（@がありません）。"))
    if len(local) > MAX_LOCAL_PART or not _LOCAL.match(local):
        raise EmailError(_("メールアドレスの@より前に、使えない文字があります。"))
    domain = domain.lower().rstrip(".")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise EmailError(_("メールアドレスの@より後ろが正しくありません。")) from None
    labels = domain.split(".")
    if (
        len(labels) < 2
        or len(domain) > MAX_DOMAIN
        or not all(_LABEL.match(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise EmailError(_("メールアドレスの@より後ろが正しくありません。"))
    address = f"{local}@{domain}"
    if len(address) > MAX_EMAIL:
        raise EmailError(_("メールアドレスが長すぎます（254文字まで）。"))
    return address
