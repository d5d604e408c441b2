"""A household's place, on the household's page: a tap on the map, typed figures, or the
address through the geocoder (jichikai/org/geocoding.py)."""

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..database import get_scoped_or_404
from ..extensions import db
from ..maps import allow_tiles, map_settings
from . import bp
from .forms import HouseholdForm, HouseholdLocationForm
from .geocoding import LocationError, locate_household, set_household_location
from .models import Household
from .permissions import can_manage_association
from .services import blocks_of


def household_page(household: Household | None, form, status: int = 200, location_form=None):
    """The household's page; an existing household's has its map (tiles allowed)."""
    if household is None:
        return render_template("org/household_form.html", form=form, household=None), status
    association = current_user.association
    location_form = location_form or HouseholdLocationForm(
        formdata=None, lat=household.lat, lon=household.lon
    )
    data = {
        **map_settings(),
        "pick": "household-location",
        "home": list(household.location) if household.location else None,
        "centre": [association.center_lat, association.center_lon]
        if association.center_lat is not None
        else None,
        "labels": {"home": household.name},
        "shelters": [],
    }
    page = render_template(
        "org/household_form.html",
        form=form,
        household=household,
        location_form=location_form,
        map_data=data,
        geocoder_on=bool(current_app.config.get("GEOCODER")),
    )
    return allow_tiles(make_response(page, status))


@bp.post("/households/<int:household_id>/location")
@login_required
def household_location(household_id: int):
    if not can_manage_association(current_user):
        abort(403)
    household = get_scoped_or_404(Household, household_id, current_user.association_id)
    action = request.form.get("action", "save")
    form = HouseholdLocationForm()
    try:
        if action == "geocode":
            locate_household(household, by=current_user)
        elif action == "clear":
            set_household_location(household, None, None, by=current_user, via="officer")
        elif form.validate_on_submit():
            if form.lat.data is None and form.lon.data is None:
                raise LocationError(_("地図をタップするか、緯度と経度を入れてください。"))
            set_household_location(
                household, form.lat.data, form.lon.data, by=current_user, via="map"
            )
        else:
            raise LocationError(_("緯度・経度は数字で入れてください。"))
    except LocationError as error:
        db.session.rollback()
        household = db.session.get(Household, household_id)
        page_form = HouseholdForm(formdata=None, obj=household)
        page_form.block_id.choices = [(b.id, b.name) for b in blocks_of(household.association_id)]
        flash(str(error), "error")
        return household_page(household, page_form, 422, form)
    db.session.commit()
    flash(
        _("「%(name)s」の場所を保存しました。", name=household.name)
        if household.lat is not None
        else _("「%(name)s」の場所を消しました。", name=household.name)
    )
    return redirect(url_for("org.household_edit", household_id=household.id) + "#location")
