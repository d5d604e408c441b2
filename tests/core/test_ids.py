"""Ids no id column can hold (2^31 and more) answer 404 in URLs and 422 in API requests, never 500.

The cases are generated from the application: every URL rule with an `<int:...>` part, and every
id field (`id`, `*_id`, `*_ids`) of the API's request bodies and query strings in the OpenAPI
document, so a new route or field is covered without a new test.
"""

import re
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from marshmallow import Schema, fields

from jichikai import create_app
from jichikai.apitools import Id
from jichikai.database import ID_MAX, IdConverter, id_value
from jichikai.disaster.services import active_event, start_event
from jichikai.extensions import api, db
from jichikai.notices.services import NoticeInput, create_notice

from ..conftest import TEST_CONFIG
from ..factories import login
from ..test_permission_matrix import CASES

# PostgreSQL's integer overflows at 2^31, SQLite's (and Python's sqlite3) at 2^63.
BEYOND = [2**31, 2**63, 10**20]
INT_PART = re.compile(r"<int:(\w+)>")
ID_NAME = re.compile(r"^(id|\w+_ids?)$")


def _is_id(spec: dict, name: str, schema: dict) -> bool:
    schema = _resolve(spec, schema)
    return bool(ID_NAME.match(name)) and "integer" in str(schema.get("items", schema).get("type"))


def _application():
    return create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def _int_rules() -> list[tuple[str, str]]:
    return sorted(
        (rule.rule, method)
        for rule in _application().url_map.iter_rules()
        if INT_PART.search(rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}
    )


def _spec() -> dict:
    with _application().app_context():
        return api.spec.to_dict()


def _resolve(spec: dict, schema: dict) -> dict:
    if "$ref" in schema:
        return spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _api_id_fields() -> list[tuple[str, str, str, str]]:
    """(OpenAPI path, method, "json" or "query", field) for every id a request carries."""
    spec = _spec()
    found = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":  # the path's own, described by its URL rule
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and _is_id(
                    spec, parameter["name"], parameter["schema"]
                ):
                    found.append((path, method.upper(), "query", parameter["name"]))
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                properties = _resolve(spec, body["schema"]).get("properties", {})
                for name, schema in properties.items():
                    if _is_id(spec, name, schema):
                        found.append((path, method.upper(), "json", name))
    return sorted(found)


INT_RULES = _int_rules()
API_ID_FIELDS = _api_id_fields()


def test_the_generated_cases_cover_the_known_routes():
    assert ("/notices/<int:notice_id>", "GET") in INT_RULES
    assert ("/api/v1/notices", "POST", "json", "block_ids") in API_ID_FIELDS
    assert ("/api/v1/disaster/checkins", "POST", "json", "member_ids") in API_ID_FIELDS
    assert ("/api/v1/notices/{notice_id}/receipts", "GET", "query", "block_id") in API_ID_FIELDS


@pytest.mark.parametrize("value", BEYOND)
@pytest.mark.parametrize(("rule", "method"), INT_RULES, ids=lambda v: v)
def test_url_with_an_id_beyond_the_columns_answers_404(client, world, rule, method, value):
    login(client, world.admin)
    url = INT_PART.sub(str(value), rule)
    response = client.open(url, method=method)
    assert response.status_code == 404, (method, url, response.status_code)


@pytest.mark.parametrize("value", BEYOND)
@pytest.mark.parametrize(("path", "method", "location", "name"), API_ID_FIELDS, ids=str)
def test_api_id_beyond_the_columns_is_a_validation_error(
    client, world, path, method, location, name, value
):
    login(client, world.admin)
    case = next(
        (
            case
            for case in CASES
            if case.method == method
            and re.fullmatch(re.sub(r"\{\w+\}", r"[^/]+", path), urlsplit(case.url(world)).path)
        ),
        None,
    )
    assert case is not None, f"no permission-matrix case builds a request for {method} {path}"
    parts = urlsplit(case.url(world))
    query = dict(parse_qsl(parts.query))
    body = case.json(world) if case.json else None
    if location == "query":
        query[name] = str(value)
    else:
        body = {**(body or {}), name: [value] if name.endswith("_ids") else value}
    url = parts.path + ("?" + urlencode(query) if query else "")

    response = client.open(url, method=method, json=body)

    assert response.status_code == 422, (method, url, body, response.status_code)
    assert name in response.get_json()["errors"][location]


def _event(world):
    start_event(world.association, kind="earthquake", title="地震", message="", drill=True)
    db.session.commit()


def _event_id(world) -> int:
    return active_event(world.association.id).id


# Pages reading ids from the query string or a form: such an id names nothing, like a word.
PAGE_IDS = [
    ("GET", lambda w, v: f"/admin/households?block={v}", None, 200),
    ("GET", lambda w, v: f"/admin/households/new?block={v}", None, 200),
    ("GET", lambda w, v: f"/admin/members?block={v}", None, 200),
    ("GET", lambda w, v: f"/admin/members/new?household={v}", None, 200),
    ("GET", lambda w, v: f"/disaster/rollcall?block_id={v}", None, 200),
    (
        "POST",
        lambda w, v: "/disaster/checkin",
        lambda w, v: {
            "status": "safe_home",
            "client_id": "ids-test-1",
            "member_ids": str(v),
            "event_id": _event_id(w),
        },
        302,
    ),
    (
        "POST",
        lambda w, v: "/disaster/checkin",
        lambda w, v: {"status": "safe_home", "client_id": "ids-test-3", "event_id": str(v)},
        400,
    ),
    (
        "POST",
        lambda w, v: "/disaster/checkin",
        lambda w, v: {
            "status": "at_shelter",
            "client_id": "ids-test-4",
            "shelter_id": str(v),
            "event_id": _event_id(w),
        },
        400,
    ),
    (
        "POST",
        lambda w, v: "/disaster/rollcall/report",
        lambda w, v: {
            "status": "safe_home",
            "client_id": "ids-test-2",
            "member_ids": str(v),
            "event_id": _event_id(w),
        },
        400,
    ),
    ("POST", lambda w, v: "/disaster/shelters/choose", lambda w, v: {"shelter_ids": str(v)}, 302),
]


@pytest.mark.parametrize("value", BEYOND)
@pytest.mark.parametrize(("method", "url", "form", "status"), PAGE_IDS, ids=lambda v: "")
def test_page_ids_beyond_the_columns_are_ignored(client, world, method, url, form, status, value):
    _event(world)
    login(client, world.admin)
    response = client.open(url(world, value), method=method, data=form and form(world, value))
    assert response.status_code == status, (url(world, value), response.status_code)


@pytest.mark.parametrize("value", BEYOND)
def test_read_on_paper_for_a_household_id_beyond_the_columns_is_refused(client, world, value):
    login(client, world.admin)
    notice = create_notice(world.association, world.admin, NoticeInput(title="回覧"))
    db.session.commit()
    response = client.post(
        f"/notices/{notice.id}/blocks/{world.block.id}/receipts",
        data={"household_id": str(value), "via": "paper"},
    )
    assert response.status_code == 400


def test_every_id_field_of_an_api_request_schema_is_bounded():
    """Request schemas declare ids with apitools.Id (the OpenAPI document shows the bound)."""
    spec = _spec()
    for path, method, location, name in API_ID_FIELDS:
        operation = spec["paths"][path][method.lower()]
        if location == "query":
            schema = next(p for p in operation["parameters"] if p["name"] == name)["schema"]
        else:
            body = _resolve(spec, operation["requestBody"]["content"]["application/json"]["schema"])
            schema = body["properties"][name]
        schema = schema.get("items", schema)
        assert schema.get("maximum") == ID_MAX, (method, path, name, schema)


def test_the_id_field_refuses_what_no_column_holds():
    class Example(Schema):
        block_ids = fields.List(Id(strict=True))

    assert Example().validate({"block_ids": [1, ID_MAX]}) == {}
    for value in [0, -1, *BEYOND]:
        assert "block_ids" in Example().validate({"block_ids": [value]})


@pytest.mark.parametrize("text", ["0", "-3", str(2**31), str(10**20), "abc", ""])
def test_id_value_refuses_what_cannot_be_an_id(text):
    with pytest.raises(ValueError):
        id_value(text)


def test_the_app_converter_for_int_url_parts_is_bounded(app):
    assert app.url_map.converters["int"] is IdConverter
