"""The home page and the language switch for visitors."""

from flask import Blueprint

bp = Blueprint("home", __name__)

from . import views  # noqa: E402,F401
