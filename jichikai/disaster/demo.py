"""Demo content: the 桜区 shelters from GSI's open data and the 集会所 as a gathering point."""

from pathlib import Path

from sqlalchemy import select

from ..extensions import db
from ..org.models import Association
from .models import FACILITY_GATHERING, SOURCE_GSI_EMERGENCY, Shelter
from .shelters import add_own_place, import_shelters, set_chosen_shelters

# 「国土地理院 指定緊急避難場所データ」を加工して作成 (see data/ATTRIBUTION.md).
SAKURA_KU_CSV = Path(__file__).parent / "data" / "gsi_emergency_sites_sakura-ku.csv"


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
