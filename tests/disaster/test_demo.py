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
