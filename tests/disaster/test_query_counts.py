"""The check-in page, which every member opens when disaster mode starts, runs a fixed,
small number of queries, however many shelters the association has."""

import pytest

from jichikai.disaster.models import SOURCE_GSI_EMERGENCY, Shelter
from jichikai.disaster.shelters import set_chosen_shelters

from ..notices.test_query_counts import counted
from .helpers import official_shelters, start


def _page_queries(client) -> list[str]:
    client.get("/disaster/checkin")  # warm up
    with counted() as statements:
        response = client.get("/disaster/checkin")
    assert response.status_code == 200
    return statements


@pytest.mark.parametrize("explicit", [True, False])
def test_check_in_page_queries_do_not_grow_with_shelters(app, world, as_member, explicit):
    from jichikai.extensions import db

    start(world)
    shelters = official_shelters()
    if explicit:
        set_chosen_shelters(world.association, [shelters[0].id])
        db.session.commit()
    client = as_member(world.member)
    few = _page_queries(client)
    added = []
    for n in range(10):  # near the centre
        added.append(
            Shelter(
                source=SOURCE_GSI_EMERGENCY, name=f"避難場所{n}", lat=35.85, lon=139.62 + n / 1000
            )
        )
    db.session.add_all(added)
    db.session.flush()
    if explicit:
        set_chosen_shelters(world.association, [s.id for s in shelters + added])
    db.session.commit()
    many = _page_queries(client)
    assert len(many) == len(few)
    # Login, event, household, latest reports, association, roles and the shelters (one
    # query once the association has chosen them; the choice, near the centre and marks
    # before); at the top, the bulletins and the household's need-help reports.
    assert len(many) <= (9 if explicit else 11), many
