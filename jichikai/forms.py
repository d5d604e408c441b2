"""What every feature's forms share."""

from flask import request
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto


class PageForm(FlaskForm):
    """A form posted from a page: reads the posted fields and files, never a JSON body.

    Flask-WTF would read a JSON body as the form's data, handing fields numbers, lists and objects
    where the browser only ever sends text; a page answers such a request like an empty form.
    """

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form, formdata):
            if formdata is _Auto and request.is_json:
                formdata = request.form
            return super().wrap_formdata(form, formdata)


class ConfirmForm(PageForm):
    """A button only: carries the CSRF token."""
