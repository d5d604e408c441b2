"""The demo association gets the 桜区 shelters and its 集会所."""

from sqlalchemy import func, select

from jichikai.demo.seed import seed_demo
from jichikai.disaster.models import Shelter
from jichikai.disaster.shelters import association_shelters
from jichikai.extensions import db


def test_demo_chooses_the_sakura_ku_shelters_and_the_hall(app):
    association, _accounts = seed_demo()
    db.session.commit()
    chosen = association_shelters(association)
    assert len(chosen) == 22
    assert all("桜区" in s.address for s in chosen)
    hall = [s for s in chosen if s.source == "own"]
    assert len(hall) == 1 and hall[0].facility_type == "gathering_point"
    official = db.session.scalar(
        select(func.count(Shelter.id)).where(Shelter.association_id.is_(None))
    )
    assert official == 21


def test_demo_schools_have_capacities_and_households_their_places(app):
    from jichikai.disaster.services import start_event
    from jichikai.disaster.shelters import shelter_states
    from jichikai.org.models import Household

    association, _accounts = seed_demo()
    db.session.commit()
    event = start_event(association, kind="earthquake", title="訓練", message="", drill=True)
    states = shelter_states(association, event.id)
    capacities = {s.shelter.name: s.capacity for s in states}
    assert capacities["栄和小学校"] == 400 and capacities["埼玉大学"] == 800
    assert capacities["田島ひがし自治会 集会所"] == 60  # its own place keeps its own figure
    homes = db.session.scalars(
        select(Household).where(Household.association_id == association.id)
    ).all()
    assert homes and all(h.location is not None for h in homes)
    centre = (association.center_lat, association.center_lon)
    assert all(abs(h.lat - centre[0]) < 0.05 and abs(h.lon - centre[1]) < 0.05 for h in homes)
