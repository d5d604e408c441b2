"""The permission matrix: every route x every role, declared per feature in tests/*/matrix.py.

A feature's `tests/<feature>/matrix.py` defines `CASES`, a list of `Case`. The test in
tests/test_permission_matrix.py runs each case for each role and fails for any route of the
application that no case covers.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

ROLES = ("anonymous", "member", "leader", "other_leader", "officer", "admin", "outsider")

# Not logged in: pages redirect to the login page, the API answers 401.
LOGIN = "login"


@dataclass
class Case:
    """One request, built from the test world, and the status each role must get."""

    method: str
    url: Callable
    expect: dict
    form: Callable | None = None
    json: Callable | None = None
    headers: dict = field(default_factory=dict)
    id: str = ""
    # Checked after the request, whoever made it: then(world) (e.g. that a one-tap link
    # acted for its own member and nobody else).
    then: Callable | None = None

    def status_for(self, role: str):
        return self.expect[role]


def expect(**statuses) -> dict:
    """Statuses by role; `default` fills the roles not named."""
    default = statuses.pop("default", None)
    result = {role: statuses.get(role, default) for role in ROLES}
    missing = [role for role, status in result.items() if status is None]
    if missing:
        raise ValueError(f"no status for {missing}")
    return result


def officers_only(ok: int = 200, outsider: int = 403) -> dict:
    """Officers and admins of the association; everyone else is refused."""
    return expect(anonymous=LOGIN, officer=ok, admin=ok, outsider=outsider, default=403)


def admins_only(ok: int = 200, outsider: int = 403) -> dict:
    return expect(anonymous=LOGIN, admin=ok, outsider=outsider, default=403)


def logged_in(ok: int = 200) -> dict:
    """Every logged-in member, of any association."""
    return expect(anonymous=LOGIN, default=ok)


def everyone(status: int = 200) -> dict:
    return expect(default=status)
