"""Pages read posted form fields only: a JSON body is no form, whatever it holds."""

import pytest

from jichikai.forms import PageForm
from jichikai.org.forms import BlockForm

from ..factories import login
from ..test_permission_matrix import CASES


def _form_classes(base=PageForm) -> list[type]:
    found = []
    for form in base.__subclasses__():
        found += [form, *_form_classes(form)]
    return found


def _field_names() -> set[str]:
    names = set()
    for form_class in _form_classes():
        names |= {name for name, value in vars(form_class).items() if hasattr(value, "field_class")}
    return names


# Every field any page form has, as numbers and objects a browser never posts.
JSON_FORM = {name: [7, {"a": None}] for name in _field_names()}
POSTS = [case for case in CASES if case.method == "POST"]


def test_a_page_form_ignores_a_json_body(app):
    with app.test_request_context("/admin/blocks", method="POST", json={"name": 7}):
        form = BlockForm()
        assert form.name.data is None
        assert not form.validate()


def test_the_json_form_names_the_fields_of_the_page_forms():
    assert {"name", "title", "email", "household_id", "capacity"} <= JSON_FORM.keys()


@pytest.mark.parametrize("case", POSTS, ids=lambda c: c.id)
def test_a_json_body_of_form_fields_is_never_a_server_error(client, world, case):
    login(client, world.admin)
    url = case.url(world)
    response = client.post(url, json=JSON_FORM)
    assert response.status_code < 500, (url, response.status_code)
