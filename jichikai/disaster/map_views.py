"""The shelter map for members, and the shelters' capacities kept by officers."""

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import db
from ..maps import allow_tiles, map_settings
from . import bp
from .forms import ShelterCapacityForm
from .models import Shelter
from .shelters import association_shelters, order_for_members, set_shelter_capacity, shelter_states
from .views import current_event, require_officer, shelter_state_labels


def _map_data(states, home) -> dict:
    labels = shelter_state_labels()
    return {
        **map_settings(),
        "home": list(home) if home else None,
        "centre": [current_user.association.center_lat, current_user.association.center_lon]
        if current_user.association.center_lat is not None
        else None,
        "labels": {
            "home": _("ご自宅"),
            "here": _("いまいる場所"),
            "directions": _("道順（地図アプリ）"),
            "people": _("%(people)s人／%(capacity)s人"),
        },
        "shelters": [
            {
                "id": s.shelter.id,
                "name": s.shelter.name,
                "lat": s.shelter.lat,
                "lon": s.shelter.lon,
                "state": s.state,
                "state_label": labels[s.state],
                "full": s.is_full,
                "people": s.people,
                "capacity": s.capacity,
                "directions": s.directions_url,
            }
            for s in states
        ],
    }


@bp.get("/map")
@login_required
def map_page():
    """The association's shelters on a map, with their state; the list works without it."""
    event = current_event()
    household = current_user.household
    home = household.location if household else None
    states = order_for_members(
        shelter_states(current_user.association, event.id if event else None), home
    )
    page = render_template(
        "disaster/map.html",
        event=event,
        states=states,
        home=home,
        map_data=_map_data(states, home),
    )
    return allow_tiles(make_response(page))


@bp.post("/shelters/<int:shelter_id>/capacity")
@login_required
def shelter_capacity(shelter_id: int):
    require_officer()
    association = current_user.association
    shelter = db.session.get(Shelter, shelter_id)
    if shelter is None or shelter.id not in {s.id for s in association_shelters(association)}:
        abort(404)
    form = ShelterCapacityForm()
    if not form.validate_on_submit():
        flash(str(next(iter(form.errors.values()))[0]), "error")
        return redirect(url_for("disaster.shelters")), 303
    try:
        set_shelter_capacity(association, shelter, form.capacity.data, by=current_user)
    except ValueError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("disaster.shelters")), 303
    db.session.commit()
    flash(_("「%(name)s」の受け入れ人数を保存しました。", name=shelter.name))
    return redirect(url_for("disaster.shelters"))
