"""Permission cases of the officers' administration pages."""

from ..matrix import Case, officers_only

CASES = [
    Case("GET", lambda w: "/admin/", officers_only(), id="admin-index"),
]
