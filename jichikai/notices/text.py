"""Notice bodies are plain text: escaped, with line breaks kept and web addresses linked."""

import re

from markupsafe import Markup, escape

URL_PATTERN = re.compile(r"https?://[^\s<>\"'　、。「」（）]+", re.IGNORECASE)
TRAILING_PUNCTUATION = ".,;:!?)]"


def linkify(text: str) -> Markup:
    """Escape `text`, turn http(s) addresses into links and line breaks into <br>."""
    parts: list[str] = []
    position = 0
    for match in URL_PATTERN.finditer(text or ""):
        url = match.group(0)
        stripped = url.rstrip(TRAILING_PUNCTUATION)
        end = match.start() + len(stripped)
        parts.append(str(escape(text[position : match.start()])))
        link = escape(stripped)
        parts.append(f'<a href="{link}" rel="noopener noreferrer nofollow">{link}</a>')
        position = end
    parts.append(str(escape((text or "")[position:])))
    html = "".join(parts).replace("\r\n", "\n").replace("\n", "<br>\n")
    return Markup(html)


def summary(text: str, length: int = 80) -> str:
    """The first words of a body, on one line, for push messages and lists."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= length else flat[: length - 1] + "…"
