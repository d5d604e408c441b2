"""What every JSON route shares: its blueprint class and the login check."""

from functools import wraps

from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields, validate
from webargs.flaskparser import FlaskParser

from .database import ID_MAX


class Parser(FlaskParser):
    """A request that does not fit its schema is a 422 with the field messages, as a page
    with form errors answers."""

    DEFAULT_VALIDATION_STATUS = 422


class ApiBlueprint(Blueprint):
    """A flask-smorest blueprint under /api/v1 whose validation errors answer 422."""

    ARGUMENTS_PARSER = Parser()

    def arguments(self, schema, *args, **kwargs):
        # A schema class would be instantiated again for every request (deep copies of
        # every field); one instance, made here, serves them all.
        if isinstance(schema, type) and issubclass(schema, Schema):
            schema = schema()
        return super().arguments(schema, *args, **kwargs)


class Id(fields.Integer):
    """A row id in a request (body or query string): a number the id columns can hold.

    Anything else is a validation error (422 with the field's message), never a database error.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.validators.insert(0, validate.Range(min=1, max=ID_MAX))


def api_login_required(view):
    """401 in JSON for a request without a logged-in member."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            abort(401, message=_("ログインしてください。"))
        return view(*args, **kwargs)

    return wrapper
