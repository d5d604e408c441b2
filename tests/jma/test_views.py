"""The officers' settings page and the one-tap start."""

from datetime import timedelta

from jichikai.database import utcnow
from jichikai.extensions import db
from jichikai.jma.models import ACTION_PROPOSED, ACTION_STARTED, JmaEntry, JmaFeed
from jichikai.jma.settings import JmaSettings, save_settings
from jichikai.org.services import assign_role

from .conftest import SAKURA
from .factories import make_alert
from .matrix import SETTINGS_FORM


def test_settings_are_saved_under_the_jma_key(client, world, as_member):
    as_member(world.officer)
    response = client.post("/admin/jma/", data=SETTINGS_FORM)
    assert response.status_code == 302
    db.session.refresh(world.association)
    saved = JmaSettings.of(world.association)
    assert saved.enabled and saved.mode == "ask"
    assert (saved.city_code, saved.area_code, saved.warning_area_code) == (
        "1110600",
        "331",
        "1110000",
    )
    assert saved.weather_kinds == ["33", "landslide"]
    assert "jma" in world.association.settings


def test_invalid_settings_show_a_message_and_save_nothing(client, world, as_member):
    as_member(world.officer)
    response = client.post("/admin/jma/", data={**SETTINGS_FORM, "city_code": "桜区"})
    assert response.status_code == 400
    assert "数字だけで" in response.get_data(as_text=True)
    db.session.refresh(world.association)
    assert "jma" not in (world.association.settings or {})


def test_enabling_without_any_code_is_refused(client, world, as_member):
    as_member(world.officer)
    form = {**SETTINGS_FORM, "city_code": "", "area_code": "", "warning_area_code": ""}
    response = client.post("/admin/jma/", data=form)
    assert response.status_code == 400
    assert "コードを一つ以上" in response.get_data(as_text=True)


def test_settings_page_shows_the_saved_values(client, world, as_member):
    save_settings(world.association, SAKURA, by=None)
    db.session.commit()
    as_member(world.admin)
    page = client.get("/admin/jma/").get_data(as_text=True)
    assert 'value="1110600"' in page
    assert "気象庁" in page


def test_one_tap_starts_a_proposed_alert(client, world, as_member, started):
    alert = make_alert(world.association, ACTION_PROPOSED)
    as_member(world.officer)
    page = client.get(f"/admin/jma/alerts/{alert.id}").get_data(as_text=True)
    assert "安否確認を始める" in page

    response = client.post(f"/admin/jma/alerts/{alert.id}/start")
    assert response.status_code == 302
    [call] = started.calls
    assert call["started_by"].id == world.officer.id
    assert call["source"]["event_id"] == "20261127100000"
    assert call["message"] == alert.source["headline"]
    db.session.refresh(alert)
    assert (alert.action, alert.decided_by_id) == (ACTION_STARTED, world.officer.id)


def test_a_second_tap_starts_nothing_more(client, world, as_member, started):
    alert = make_alert(world.association, ACTION_PROPOSED)
    as_member(world.officer)
    client.post(f"/admin/jma/alerts/{alert.id}/start")
    client.post(f"/admin/jma/alerts/{alert.id}/start")
    assert len(started.calls) == 1


def test_refused_start_keeps_the_alert_waiting(client, world, as_member, started):
    started.refuse = "active"
    alert = make_alert(world.association, ACTION_PROPOSED)
    as_member(world.officer)
    response = client.post(f"/admin/jma/alerts/{alert.id}/start", follow_redirects=True)
    assert "始められませんでした" in response.get_data(as_text=True)
    db.session.refresh(alert)
    assert alert.action == ACTION_PROPOSED


def test_dismiss(client, world, as_member, started):
    alert = make_alert(world.association, ACTION_PROPOSED)
    as_member(world.officer)
    client.post(f"/admin/jma/alerts/{alert.id}/dismiss")
    db.session.refresh(alert)
    assert alert.action == "dismissed"
    assert started.calls == []


def test_another_associations_officer_gets_404(client, world, as_member):
    alert = make_alert(world.association, ACTION_PROPOSED)
    assign_role(world.outsider, "officer", by=None)
    db.session.commit()
    as_member(world.outsider)
    assert client.get(f"/admin/jma/alerts/{alert.id}").status_code == 404
    assert client.post(f"/admin/jma/alerts/{alert.id}/start").status_code == 404


def test_start_needs_the_csrf_token(client, world, as_member, csrf_enabled, started):
    alert = make_alert(world.association, ACTION_PROPOSED)
    as_member(world.officer)
    assert client.post(f"/admin/jma/alerts/{alert.id}/start").status_code == 400
    assert started.calls == []


def test_officers_see_a_banner_for_a_waiting_alert(client, world, as_member):
    alert = make_alert(world.association, ACTION_PROPOSED)
    as_member(world.officer)
    page = client.get("/me/settings").get_data(as_text=True)
    assert f'href="/admin/jma/alerts/{alert.id}"' in page


def test_members_see_no_banner(client, world, as_member):
    make_alert(world.association, ACTION_PROPOSED)
    as_member(world.member)
    page = client.get("/me/settings").get_data(as_text=True)
    assert "/admin/jma/alerts/" not in page


def test_english_page(client, world, as_member):
    world.officer.language = "en"
    db.session.commit()
    as_member(world.officer)
    page = client.get("/admin/jma/").get_data(as_text=True)
    assert "How to start" in page


def test_officers_see_what_could_not_be_received_and_why(client, world, as_member):
    now = utcnow()
    db.session.add_all(
        [
            JmaFeed(url="https://jma.example/eqvol.xml", last_result="error: HTTP 503"),
            JmaEntry(
                link_key="a" * 64,
                link="https://jma.example/data/" + "x" * 475,
                title="震源・震度に関する情報",
                status="refused",
                error="link longer than 500 characters",
                first_seen_at=now,
            ),
            JmaEntry(
                link_key="b" * 64,
                link="https://jma.example/data/old_VXSE53_.xml",
                title="古い情報",
                status="failed",
                error="HTTP 404",
                attempts=3,
                first_seen_at=now - timedelta(days=3),
            ),
        ]
    )
    db.session.commit()
    as_member(world.officer)
    page = client.get("/admin/jma/").get_data(as_text=True)
    assert "受け取れなかった情報" in page
    assert "気象庁の情報を確かめられませんでした" in page and "HTTP 503" in page
    assert "おかしな知らせなので、受け取りませんでした。" in page
    assert "link longer than 500 characters" in page
    assert "古い情報" not in page  # older than two days
