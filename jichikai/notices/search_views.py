"""Pages for finding circulars: the search and the archive of expired ones."""

from flask import render_template, request
from flask_login import current_user, login_required

from . import bp
from .languages import reading_language, shown_texts
from .models import CATEGORIES
from .search import FoundPage, SearchError, archived_notices, search_notices
from .services import MAX_PAGE


def chosen_category() -> str | None:
    """The category asked for in the query string; an unknown one shows every category."""
    category = request.args.get("category")
    return category if category in CATEGORIES else None


def _page() -> int:
    return min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)


def _texts(found: FoundPage) -> dict:
    """The member's language's translation (else the original) of each circular found."""
    return shown_texts([entry.notice for entry in found.entries], reading_language())


@bp.get("/search")
@login_required
def search():
    """Circulars the member may see whose title or body holds the words typed."""
    query = request.args.get("q", "")
    category = chosen_category()
    error = None
    try:
        found = search_notices(current_user, query, category, page=_page())
    except SearchError as problem:
        error = str(problem)
        found = FoundPage([], 1, has_next=False, terms=[])
        query = query[:100]
    status = 400 if error else 200
    return render_template(
        "notices/search.html",
        found=found,
        texts=_texts(found),
        query=query,
        category=category,
        error=error,
    ), status


@bp.get("/archive")
@login_required
def archive():
    """Circulars whose time on the board has ended, newest first."""
    category = chosen_category()
    found = archived_notices(current_user, category, page=_page())
    return render_template(
        "notices/archive.html", found=found, texts=_texts(found), category=category
    )
