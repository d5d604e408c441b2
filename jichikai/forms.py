"""What every feature's forms share."""

from flask_wtf import FlaskForm


class ConfirmForm(FlaskForm):
    """A button only: carries the CSRF token."""
