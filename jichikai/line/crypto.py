"""Encrypting the account's credentials at rest: Fernet, keyed by HKDF from LINE_CREDENTIALS_KEY.

That key is the setting, else SECRET_KEY when it is a setting, else the database's copy
(jichikai/keys/services.py): the same for every process. Changing it makes the stored token
and secret unreadable: the account is then treated as not set up, and officers paste both again.
"""

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from ..keys.services import line_credentials_key


def _fernet() -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"jichikai.line", info=b"line-credentials"
    ).derive(line_credentials_key(current_app._get_current_object()).encode())
    return Fernet(base64.urlsafe_b64encode(key))


def seal(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def unseal(value: str) -> str | None:
    """The clear text, or None when it cannot be read (another key, damage)."""
    try:
        return _fernet().decrypt(value.encode()).decode()
    except (InvalidToken, ValueError):
        return None
