"""What JMA's alerts tell the officers is in each officer's language."""

from sqlalchemy import select

from jichikai.extensions import db
from jichikai.push.models import Outbox

from .conftest import subscribe
from .test_r06 import FUKUI_CITY, RELEASE, UPGRADE, _poll, _watch


def test_a_lifting_tells_each_officer_in_their_language(world, jma):
    world.officer.language = "en"
    db.session.commit()
    _watch(world, FUKUI_CITY)
    _poll(jma, UPGRADE, "extra.xml")
    subscribe(world.officer)
    subscribe(world.admin)

    _poll(jma, RELEASE, "extra3.xml")

    told = {
        row.member_id: (row.title, row.body, row.language)
        for row in db.session.scalars(select(Outbox).where(Outbox.kind == "jma"))
    }
    title, body, language = told[world.officer.id]
    assert (title, language) == ("Lifted: レベル５大雨特別警報（福井市）", "en")
    assert body == "JMA has lifted the warning. The safety check is still running. " + (
        "Please decide whether to end it."
    )
    title, body, language = told[world.admin.id]
    assert (title, language) == ("解除：レベル５大雨特別警報（福井市）", "ja")
    assert body.startswith("気象庁が警報などを解除しました。")
