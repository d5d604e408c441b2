"""Runs every feature's permission cases for every role, and checks every route has a case."""

import importlib
import pkgutil
from pathlib import Path

import pytest

from .factories import login
from .matrix import LOGIN, ROLES, Case

EXEMPT_ENDPOINTS = {"static"}


def _all_cases() -> list[Case]:
    cases = []
    tests_dir = Path(__file__).parent
    for info in pkgutil.iter_modules([str(tests_dir)]):
        if not info.ispkg:
            continue
        try:
            module = importlib.import_module(f"tests.{info.name}.matrix")
        except ModuleNotFoundError:
            continue
        for case in module.CASES:
            case.id = case.id or f"{info.name}:{case.method}"
            cases.append(case)
    return cases


CASES = _all_cases()


def _request(client, case: Case, world):
    url = case.url(world)
    kwargs = {"headers": case.headers}
    if case.form is not None:
        kwargs["data"] = case.form(world)
    if case.json is not None:
        kwargs["json"] = case.json(world)
    return url, client.open(url, method=case.method, **kwargs)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_route_permission(app, client, world, case: Case, role: str):
    member = world.by_role(role)
    if member is not None:
        login(client, member)
    url, response = _request(client, case, world)
    response.close()
    if case.then is not None:
        case.then(world)
    wanted = case.status_for(role)
    if wanted == LOGIN:
        if url.startswith("/api/"):
            assert response.status_code == 401, (url, response.status_code)
        else:
            assert response.status_code == 302, (url, response.status_code)
            assert "/login" in response.headers["Location"]
        return
    assert response.status_code == wanted, (role, case.method, url, response.status_code)


def test_every_route_is_in_the_matrix(app, world):
    """A new route without a case in some tests/<feature>/matrix.py fails here."""
    adapter = app.url_map.bind("localhost")
    covered = set()
    for case in CASES:
        path = case.url(world).split("?")[0]
        endpoint, _args = adapter.match(path, method=case.method)
        covered.add((endpoint, case.method))
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in EXEMPT_ENDPOINTS:
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if (rule.endpoint, method) not in covered:
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert not missing, "routes without a permission case:\n" + "\n".join(sorted(missing))
