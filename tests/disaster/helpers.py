"""Shared set-up of the disaster-mode tests."""

import uuid
from pathlib import Path

from sqlalchemy import select

from jichikai.disaster.models import Shelter
from jichikai.disaster.services import start_event
from jichikai.disaster.shelters import import_shelters
from jichikai.extensions import db

DATA = Path(__file__).parent / "data"


def fixture_bytes(name: str) -> bytes:
    return (DATA / name).read_bytes()


def official_shelters() -> list[Shelter]:
    """The five 桜区 emergency sites of the fixture (all near the test associations' centre)."""
    import_shelters(fixture_bytes("gsi_emergency_nationwide.csv"))
    db.session.commit()
    return list(db.session.scalars(select(Shelter).order_by(Shelter.external_id)))


def start(
    world,
    kind: str = "earthquake",
    drill: bool = False,
    title: str = "地震がありました",
    message: str = "落ち着いて安否を知らせてください。",
):
    event = start_event(
        world.association,
        kind=kind,
        title=title,
        message=message,
        drill=drill,
        started_by=world.officer,
    )
    db.session.commit()
    return event


def client_id() -> str:
    return uuid.uuid4().hex
