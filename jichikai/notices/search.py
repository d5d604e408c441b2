"""Finding circulars: search over titles and bodies, the category filter and the archive.

Japanese has no spaces between words, so the index works on character trigrams:
SQLite uses an FTS5 table with the trigram tokenizer (`notice_search`, kept in step with
`notice` by triggers), PostgreSQL uses pg_trgm GIN indexes on `notice.title` and
`notice.body`. Both are created by the migration `search_1`. A search word shorter than three
characters has no trigram; it is matched with LIKE over the member's circulars instead.

Members find what they could open: published, not withdrawn, for the whole association or a
block of theirs (their household's or one they lead). Officers find every block's circulars.
Expired circulars stay findable and fill the archive.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import and_, or_, select, text
from sqlalchemy.orm import selectinload

from ..database import utcnow
from ..extensions import db
from ..org.models import Household, Member
from .models import CATEGORIES, Notice, ReadReceipt
from .permissions import can_manage_notices
from .services import FEED_PAGE_SIZE, audience_condition

# Names the migrations create outside the models (the autogenerate comparison skips them).
SQLITE_INDEX = "notice_search"
POSTGRES_INDEXES = ("ix_notice_title_trgm", "ix_notice_body_trgm")

QUERY_MAX = 100  # characters
TERMS_MAX = 5
TRIGRAM = 3
SNIPPET_CONTEXT = 30  # characters either side of the first match


def outside_models(name: str | None, type_: str, parent_names: dict) -> bool:
    """False for the search index's tables and indexes, which no model describes."""
    if type_ == "table" and name and name.startswith(SQLITE_INDEX):
        return False
    if type_ == "index" and name in POSTGRES_INDEXES:
        return False
    return True


class SearchError(ValueError):
    """A query that cannot be searched; the message says why, for the member."""


def search_terms(query: str) -> list[str]:
    """The words of a query: split on spaces (full-width too), duplicates and blanks dropped."""
    query = unicodedata.normalize("NFC", query or "").strip()
    terms: list[str] = []
    for term in re.split(r"[\s\u3000]+", query):
        if term and term.casefold() not in (t.casefold() for t in terms):
            terms.append(term)
    return terms[:TERMS_MAX]


def check_query(query: str) -> list[str]:
    """The terms of a query, or SearchError when it is too long."""
    if len(query or "") > QUERY_MAX:
        raise SearchError(_("探す言葉は %(n)d 文字までです。", n=QUERY_MAX))
    return search_terms(query)


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _fts_phrase(term: str) -> str:
    """A term as one FTS5 phrase (quotes doubled): no operator inside it is obeyed."""
    return '"' + term.replace('"', '""') + '"'


def _text_condition(terms: list[str]):
    """Every term in the title or the body, on the database in use."""
    dialect = db.session.get_bind().dialect.name
    conditions = []
    long_terms = [t for t in terms if len(t) >= TRIGRAM]
    if dialect == "sqlite" and long_terms:
        match = " AND ".join(_fts_phrase(t) for t in long_terms)
        conditions.append(
            Notice.id.in_(
                select(text("rowid"))
                .select_from(text(SQLITE_INDEX))
                .where(text(f"{SQLITE_INDEX} MATCH :match").bindparams(match=match))
            )
        )
        terms = [t for t in terms if len(t) < TRIGRAM]
    for term in terms:
        pattern = _like_pattern(term)
        if dialect == "postgresql":
            conditions.append(
                or_(
                    Notice.title.ilike(pattern, escape="\\"),
                    Notice.body.ilike(pattern, escape="\\"),
                )
            )
        else:
            conditions.append(
                or_(
                    Notice.title.like(pattern, escape="\\"),
                    Notice.body.like(pattern, escape="\\"),
                )
            )
    return and_(*conditions)


def _member_blocks(member: Member) -> set[int]:
    block_id = (
        db.session.scalar(select(Household.block_id).where(Household.id == member.household_id))
        if member.household_id
        else None
    )
    blocks = set(member.led_block_ids)
    if block_id is not None:
        blocks.add(block_id)
    return blocks


def visible_conditions(member: Member) -> list:
    """What a member may find: published and not withdrawn (expired too), in their audience."""
    conditions = [
        Notice.association_id == member.association_id,
        Notice.published_at.is_not(None),
        Notice.withdrawn_at.is_(None),
    ]
    if not can_manage_notices(member):
        conditions.append(audience_condition(_member_blocks(member)))
    return conditions


def expired_condition(now: datetime):
    return and_(Notice.expires_at.is_not(None), Notice.expires_at <= now)


@dataclass
class Found:
    notice: Notice
    read_at: datetime | None
    expired: bool
    snippet: Markup | None = None
    title: Markup | None = None  # with the search words marked

    @property
    def read(self) -> bool:
        return self.read_at is not None


@dataclass
class FoundPage:
    entries: list[Found]
    page: int
    has_next: bool
    terms: list[str]


def mark_terms(text: str, terms: list[str]) -> Markup:
    """The text, escaped, with each search word in <mark>."""
    if not terms:
        return Markup(escape(text))
    pattern = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
    marked = Markup("")
    last = 0
    for hit in re.finditer(pattern, text, flags=re.IGNORECASE):
        marked += escape(text[last : hit.start()]) + Markup("<mark>%s</mark>") % hit.group(0)
        last = hit.end()
    return marked + escape(text[last:])


def snippet(body: str, terms: list[str]) -> Markup | None:
    """A short part of the body around the first term found, the terms marked."""
    folded = body.casefold()
    positions = [folded.find(t.casefold()) for t in terms]
    positions = [p for p in positions if p >= 0]
    if not positions:
        return None
    first = min(positions)
    start = max(first - SNIPPET_CONTEXT, 0)
    end = min(first + SNIPPET_CONTEXT * 2, len(body))
    part = " ".join(body[start:end].split())
    before = Markup("…") if start else Markup("")
    after = Markup("…") if end < len(body) else Markup("")
    return before + mark_terms(part, terms) + after


def _page_of(member: Member, conditions: list, order, page: int, per_page: int, now, terms):
    page = max(page, 1)
    rows = db.session.execute(
        select(Notice, ReadReceipt.read_at)
        .outerjoin(
            ReadReceipt,
            and_(ReadReceipt.notice_id == Notice.id, ReadReceipt.member_id == member.id),
        )
        .where(*conditions)
        .options(selectinload(Notice.audience))
        .order_by(*order)
        .limit(per_page + 1)
        .offset((page - 1) * per_page)
    ).all()
    entries = [
        Found(
            notice,
            read_at,
            expired=notice.expires_at is not None and notice.expires_at <= now,
            snippet=snippet(notice.body, terms) if terms else None,
            title=mark_terms(notice.title, terms),
        )
        for notice, read_at in rows[:per_page]
    ]
    return FoundPage(entries, page, has_next=len(rows) > per_page, terms=terms)


def search_notices(
    member: Member,
    query: str,
    category: str | None = None,
    page: int = 1,
    per_page: int = FEED_PAGE_SIZE,
    now: datetime | None = None,
) -> FoundPage:
    """The circulars a member may see whose title or body holds every word, newest first."""
    now = now or utcnow()
    terms = check_query(query)
    if not terms:
        return FoundPage([], max(page, 1), has_next=False, terms=[])
    conditions = [*visible_conditions(member), _text_condition(terms)]
    if category in CATEGORIES:
        conditions.append(Notice.category == category)
    order = (Notice.published_at.desc(), Notice.id.desc())
    return _page_of(member, conditions, order, page, per_page, now, terms)


def archived_notices(
    member: Member,
    category: str | None = None,
    page: int = 1,
    per_page: int = FEED_PAGE_SIZE,
    now: datetime | None = None,
) -> FoundPage:
    """The circulars a member may see whose time on the board has ended, newest first."""
    now = now or utcnow()
    conditions = [*visible_conditions(member), expired_condition(now)]
    if category in CATEGORIES:
        conditions.append(Notice.category == category)
    order = (Notice.published_at.desc(), Notice.id.desc())
    return _page_of(member, conditions, order, page, per_page, now, [])
