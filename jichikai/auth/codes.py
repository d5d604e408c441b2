"""Login codes: 12 characters of Crockford base32, forgiving of how people type them."""

import re
import secrets
import unicodedata

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 12

# Crockford's readings of look-alike letters.
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
# Spaces and every dash a Japanese keyboard or IME produces (after NFKC).
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−ー_・.]+")
_LETTERS = re.compile(f"[{ALPHABET}]+")


def new_code(length: int = CODE_LENGTH) -> str:
    """A new random code (5 bits a character: 60 bits by default), without separators."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def format_code(code: str) -> str:
    """Show a code in groups of four: 7KQ2-M9XD-4FTR."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalize_code(raw: str, length: int = CODE_LENGTH) -> str | None:
    """The canonical code for what someone typed, or None if it cannot be a code of
    `length` characters (other features' short codes share the same forgiving reading)."""
    text = unicodedata.normalize("NFKC", raw or "").upper()
    text = _SEPARATORS.sub("", text).translate(_LOOKALIKES)
    if len(text) != length or not _LETTERS.fullmatch(text):
        return None
    return text
