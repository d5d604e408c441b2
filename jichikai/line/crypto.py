"""Encrypting the account's credentials at rest: Fernet, keyed from SECRET_KEY by HKDF.

Changing SECRET_KEY makes the stored token and secret unreadable: the account is then treated
as not set up, and officers paste both again.
"""

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app


def _fernet() -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"jichikai.line", info=b"line-credentials"
    ).derive(str(current_app.secret_key).encode())
    return Fernet(base64.urlsafe_b64encode(key))


def seal(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def unseal(value: str) -> str | None:
    """The clear text, or None when it cannot be read (another SECRET_KEY, damage)."""
    try:
        return _fernet().decrypt(value.encode()).decode()
    except (InvalidToken, ValueError):
        return None
