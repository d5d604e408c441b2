"""Demo content: the 桜区 shelters from GSI's open data and the 集会所 as a gathering point."""

from pathlib import Path

from sqlalchemy import select

from ..extensions import db
from ..org.models import Association
from .models import FACILITY_GATHERING, SOURCE_GSI_EMERGENCY, Shelter
from .shelters import add_own_place, import_shelters, set_chosen_shelters, set_shelter_capacity

# 「国土地理院 指定緊急避難場所データ」を加工して作成 (see data/ATTRIBUTION.md).
SAKURA_KU_CSV = Path(__file__).parent / "data" / "gsi_emergency_sites_sakura-ku.csv"
DEMO_CAPACITIES = (("小学校", 400), ("中学校", 500), ("高等学校", 600), ("大学", 800))


def seed(association: Association) -> None:
    """Import the 桜区 emergency sites, choose them, and add the association's 集会所."""
    import_shelters(SAKURA_KU_CSV.read_bytes())
    sakura = db.session.scalars(
        select(Shelter.id)
        .where(
            Shelter.association_id.is_(None),
            Shelter.source == SOURCE_GSI_EMERGENCY,
            Shelter.address.contains("桜区"),
        )
        .order_by(Shelter.external_id)
    ).all()
    set_chosen_shelters(association, sakura)
    # How many people each school takes, as an association would note it from the city's
    # plan (made-up figures; the official CSV has none): members see the headcount against it.
    for shelter in db.session.scalars(select(Shelter).where(Shelter.id.in_(sakura))):
        capacity = next((people for kind, people in DEMO_CAPACITIES if kind in shelter.name), None)
        if capacity is not None:
            set_shelter_capacity(association, shelter, capacity, by=None)
    add_own_place(
        association,
        name="田島ひがし自治会 集会所",
        lat=association.center_lat or 35.85,
        lon=association.center_lon or 139.62,
        address="埼玉県さいたま市桜区田島",
        facility_type=FACILITY_GATHERING,
        capacity=60,
        note="一時集合場所。まずここに集まって、班ごとに安否を確かめます。",
    )
