"""One outbox row as one email: plain text that every phone shows, feature phones included.

- Plain text only (no HTML part): the whole text of a circular or disaster message inline,
  the title again on top (feature phones cut long subjects), then each action as a label on
  one line ("▼読みました") and its link alone on the next, never broken.
- Lines are at most `LINE_WIDTH` columns (a full-width character counts two: 34 of them),
  broken between words or characters, never inside a link, and never before 、。」 and the
  like (they stay at the end of the line, as in print).
- Feature-phone carrier addresses (docomo.ne.jp, ezweb.ne.jp, softbank.ne.jp, ...): the text
  is NFKC-normalised (half-width kana to full-width, ① to 1, ...) and sent as ISO-2022-JP, the
  one encoding every Japanese phone reads; when a character still has no ISO-2022-JP form
  (a rare kanji, an emoji) the message goes as UTF-8 instead. Everyone else gets UTF-8.
  Subject and From are MIME encoded-words in the same charset.
- Headers: From is the association's name with MAIL_DEFAULT_SENDER, Reply-To is
  MAIL_REPLY_TO when set, `Auto-Submitted: auto-generated` (RFC 3834) keeps out-of-office
  replies away, and the Message-ID is derived from the outbox row, so that a message sent
  again after a crash has the same id and mail programs show it once. There is no
  List-Unsubscribe: no link stops one member's email without logging in (the footer says
  whom to ask instead).
"""

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass, replace
from email.header import Header
from email.utils import formataddr, parseaddr

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_mailman import EmailMessage

from ..i18n import ruby_plain

LINE_WIDTH = 68  # columns; a full-width character takes two
FEATURE_PHONE_DOMAINS = (
    "docomo.ne.jp",
    "mopera.net",
    "ezweb.ne.jp",
    "au.com",
    "softbank.ne.jp",
    "i.softbank.jp",
    "vodafone.ne.jp",
    "disney.ne.jp",
    "ymobile.ne.jp",
    "y-mobile.ne.jp",
    "emnet.ne.jp",
    "pdx.ne.jp",
    "willcom.com",
    "wcm.ne.jp",
)
# Characters that never begin a line in Japanese typesetting (kinsoku).
NO_LINE_START = set(
    "、。，．,.・：；:;？！?!ー～」』）】〕〉》］｝)]}"
    "ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ々"
)
URL = re.compile(r"https?://\S+")
TOKEN = re.compile(r"https?://\S+|[!-~]+|\s+|.", re.DOTALL)


def is_feature_phone(address: str) -> bool:
    """Whether the address is at a Japanese mobile carrier's mail domain."""
    domain = address.rpartition("@")[2].strip().lower().rstrip(".")
    return any(domain == d or domain.endswith("." + d) for d in FEATURE_PHONE_DOMAINS)


def columns(text: str) -> int:
    """How many columns `text` takes on a Japanese phone: full-width, wide and ambiguous
    characters (○, ▼, ①) count two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WFA" else 1 for c in text)


def wrap_line(line: str, width: int = LINE_WIDTH) -> list[str]:
    """One line of text as lines of at most `width` columns (links and kinsoku excepted)."""
    lines: list[str] = []
    current, used = "", 0
    for token in TOKEN.findall(line):
        size = columns(token)
        if token.isspace():
            if used + size <= width:
                current, used = current + token, used + size
            else:
                lines.append(current.rstrip())
                current, used = "", 0
            continue
        if used + size <= width or (token in NO_LINE_START and current):
            current, used = current + token, used + size
            continue
        if current.strip():
            lines.append(current.rstrip())
        current, used = "", 0
        while size > width and not URL.fullmatch(token):  # a long word: cut it
            cut = _fit(token, width)
            lines.append(token[:cut])
            token = token[cut:]
            size = columns(token)
        current, used = token, size
    lines.append(current.rstrip())
    return lines


def _fit(text: str, width: int) -> int:
    used = 0
    for index, char in enumerate(text):
        used += columns(char)
        if used > width:
            return max(1, index)
    return len(text)


def wrap(text: str, width: int = LINE_WIDTH) -> list[str]:
    """Every line of `text` wrapped; blank lines are kept."""
    wrapped: list[str] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        wrapped.extend(wrap_line(line.rstrip(), width))
    return wrapped


@dataclass(frozen=True)
class Outgoing:
    """What one email is made of: an outbox row with its address and association."""

    id: int
    address: str
    title: str
    body: str
    actions: tuple[tuple[str, str], ...]
    language: str
    association_name: str


def outgoing(row, address: str, association_name: str) -> Outgoing:
    """What one outbox row (any object with the Outbox columns) sends to `address`: each
    action as its label and link (what it does is for channels with buttons, not mail)."""
    return Outgoing(
        id=row.id,
        address=address,
        title=row.title,
        body=row.body or "",
        actions=tuple((str(a[0]), str(a[1])) for a in row.actions or ()),
        language=row.language,
        association_name=association_name,
    )


def message_text(item: Outgoing) -> str:
    """The plain text of the message, wrapped; the links each on a line of their own."""
    lines = [*wrap(item.title), ""]
    if item.body.strip():
        lines += [*wrap(item.body.strip()), ""]
    for label, link in item.actions:
        lines += wrap("▼" + label)
        lines += [link, ""]
    lines += [
        "--",
        *wrap(_("%(name)sの連絡網から送っています。", name=item.association_name)),
        *wrap(_("受け取りをやめたいときは、役員にお伝えください。")),
    ]
    return ruby_plain("\n".join(lines) + "\n")  # plain text: furigana as 漢字(かんじ)


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _encodable(charset: str, *texts: str) -> bool:
    try:
        for text in texts:
            text.encode(charset)
    except UnicodeEncodeError:
        return False
    return True


def encoded_subject(subject: str, charset: str) -> str:
    """The Subject as MIME encoded-words short enough that "Subject: " and the first one fit
    on one line (Flask-Mailman's own encoding makes one long word, which the generator then
    folds before it: readers show a leading space)."""
    if subject.isascii():
        return subject
    words = Header(subject, charset, header_name="Subject").encode()
    return " ".join(word.strip() for word in words.splitlines())


def message_id(row_id: int, sender: str) -> str:
    """The same Message-ID for every attempt of one outbox row."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    key = str(current_app.secret_key).encode()
    digest = hmac.new(key, f"mail-{row_id}".encode(), hashlib.sha256).hexdigest()[:20]
    return f"<{row_id}.{digest}@{domain}>"


def compose(item: Outgoing, *, sender: str, reply_to: str = "") -> EmailMessage:
    """The Flask-Mailman message of one outbox row, in the recipient's language."""
    phone = is_feature_phone(item.address)
    if phone:  # before wrapping: half-width kana become full-width, twice as wide
        item = replace(
            item,
            title=_nfkc(item.title),
            body=_nfkc(item.body),
            actions=tuple((_nfkc(label), link) for label, link in item.actions),
            association_name=_nfkc(item.association_name),
        )
    with force_locale(item.language):
        subject, text = item.title.replace("\n", " ").strip(), message_text(item)
    sender_name, sender_address = parseaddr(sender)
    name = sender_name or item.association_name
    charset = "utf-8"
    if phone:
        text = _nfkc(text)  # the footer too
        if _encodable("iso-2022-jp", subject, text, name):
            charset = "iso-2022-jp"
    message = EmailMessage(
        subject=encoded_subject(subject, charset),
        body=text,
        from_email=formataddr((name, sender_address), charset=charset),
        to=[item.address],
        reply_to=[reply_to] if reply_to else None,
        headers={
            "Message-ID": message_id(item.id, sender_address),
            "Auto-Submitted": "auto-generated",
        },
    )
    message.encoding = charset
    return message
