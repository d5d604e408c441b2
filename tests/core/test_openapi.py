"""The OpenAPI document describes every route under /api/v1, with each of its methods."""

import re

DOCUMENT = "/api/v1/openapi.json"


def test_every_api_route_is_in_the_openapi_document(app, client):
    paths = client.get(DOCUMENT).get_json()["paths"]
    routes = [
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and rule.rule != DOCUMENT
        for method in rule.methods - {"HEAD", "OPTIONS"}
    ]
    assert len(routes) >= 15
    missing = [(path, method) for path, method in routes if method not in paths.get(path, {})]
    assert not missing
