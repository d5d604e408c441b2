"""Importing the official shelter CSVs: formats, encodings, upsert, bad rows."""

import pytest
from sqlalchemy import func, select

from jichikai.audit.models import AuditEvent
from jichikai.disaster.models import Shelter
from jichikai.disaster.shelters import ShelterImportError, import_shelters, parse_shelter_csv
from jichikai.extensions import db

from .helpers import fixture_bytes


def _count() -> int:
    return db.session.scalar(select(func.count(Shelter.id)))


@pytest.mark.parametrize(
    ("name", "source", "rows"),
    [
        ("gsi_emergency_nationwide.csv", "gsi_emergency", 5),
        ("gsi_emergency_municipal.csv", "gsi_emergency", 5),
        ("gsi_shelters.csv", "gsi_shelter", 3),
        ("da_emergency_sites.csv", "da_emergency", 3),
    ],
)
def test_formats_are_detected_from_the_header(app, name, source, rows):
    found, parsed = parse_shelter_csv(fixture_bytes(name))
    assert found == source
    assert len(parsed) == rows


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.encode("utf-8"),
        lambda text: text.encode("utf-8-sig"),
        lambda text: text.encode("cp932"),
        lambda text: text.replace("\n", "\r\n").encode("cp932"),
        lambda text: text.replace("\n", "\r\n").encode("utf-8-sig"),
    ],
    ids=["utf8", "utf8-bom", "cp932", "cp932-crlf", "bom-crlf"],
)
def test_encodings_and_line_endings(app, encode):
    text = fixture_bytes("gsi_emergency_nationwide.csv").decode("utf-8")
    result = import_shelters(encode(text))
    assert (result.created, result.updated) == (5, 0)
    shelter = db.session.scalars(select(Shelter).where(Shelter.name == "栄和小学校")).one()
    assert shelter.external_id == "E1110000121201"
    assert shelter.municipality == "埼玉県さいたま市"
    assert shelter.hazard_set == {"flood", "landslide", "earthquake"}
    assert (shelter.lat, shelter.lon) == (35.86135, 139.617705)


def test_digital_agency_rows_keep_capacity_and_hazards(app):
    import_shelters(fixture_bytes("da_emergency_sites.csv"))
    shelter = db.session.scalars(select(Shelter).where(Shelter.name == "田島中学校")).one()
    assert shelter.external_id == "111082:1"
    assert shelter.capacity == 850
    assert shelter.hazard_set == {"flood", "landslide", "earthquake", "inland_flood"}
    assert shelter.address == "埼玉県さいたま市桜区田島5-18-1"


def test_gsi_shelters_are_shelters_without_hazards(app):
    import_shelters(fixture_bytes("gsi_shelters.csv"))
    shelter = db.session.scalars(select(Shelter).where(Shelter.name == "桜区役所")).one()
    assert shelter.facility_type == "shelter"
    assert shelter.hazards == ""
    assert shelter.suits("flood")


def test_import_again_updates_by_common_id(app):
    data = fixture_bytes("gsi_emergency_nationwide.csv").decode("utf-8")
    import_shelters(data.encode())
    changed = data.replace("栄和小学校", "さいたま市立栄和小学校")
    result = import_shelters(changed.encode("cp932"))
    assert (result.created, result.updated) == (0, 1)
    assert _count() == 5
    assert db.session.scalar(select(Shelter.name).where(Shelter.external_id == "E1110000121201"))


def test_bad_rows_are_reported_by_line_and_nothing_is_imported(app):
    lines = fixture_bytes("gsi_emergency_nationwide.csv").decode("utf-8").splitlines()
    lines[2] = lines[2].replace("35.862709", "北緯")
    lines[4] = lines[4].replace(",1,1,,1,", ",1,x,,1,", 1)
    with pytest.raises(ShelterImportError) as caught:
        import_shelters("\n".join(lines).encode())
    assert [line for line, _message in caught.value.errors] == [3, 5]
    assert "緯度" in caught.value.errors[0][1]
    assert _count() == 0


def test_duplicate_ids_in_one_file_are_refused(app):
    lines = fixture_bytes("gsi_emergency_nationwide.csv").decode("utf-8").splitlines()
    with pytest.raises(ShelterImportError) as caught:
        import_shelters("\n".join([*lines, lines[1]]).encode())
    assert caught.value.errors[0][0] == 7


def test_unknown_header_is_refused(app):
    with pytest.raises(ShelterImportError):
        import_shelters(b"name,lat,lon\nA,35,139\n")


def test_cli_prints_created_and_updated(app, runner, tmp_path):
    path = tmp_path / "sites.csv"
    path.write_bytes(fixture_bytes("gsi_emergency_municipal.csv"))
    result = runner.invoke(args=["shelters", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "5 created, 0 updated" in result.output
    again = runner.invoke(args=["shelters", "import", str(path)])
    assert "0 created, 0 updated" in again.output


def test_cli_reports_bad_lines(app, runner, tmp_path):
    path = tmp_path / "bad.csv"
    text = fixture_bytes("gsi_emergency_nationwide.csv").decode("utf-8")
    path.write_text(text.replace("35.86135", "999"), encoding="utf-8")
    result = runner.invoke(args=["shelters", "import", str(path)])
    assert result.exit_code == 1
    assert "line 2" in result.output
    assert _count() == 0


def test_officer_upload_stays_in_the_association(app, client, world, as_member):
    from io import BytesIO

    as_member(world.officer)
    response = client.post(
        "/disaster/shelters/import",
        data={"file": (BytesIO(fixture_bytes("da_emergency_sites.csv")), "sites.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    owners = set(db.session.scalars(select(Shelter.association_id)))
    assert owners == {world.association.id}
    logged = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "shelters.import")
    ).one()
    assert logged.actor_id == world.officer.id
    assert logged.association_id == world.association.id


def test_officer_upload_shows_bad_lines(app, client, world, as_member):
    from io import BytesIO

    as_member(world.officer)
    text = fixture_bytes("da_emergency_sites.csv").decode("utf-8").replace("35.846104", "x")
    response = client.post(
        "/disaster/shelters/import",
        data={"file": (BytesIO(text.encode("cp932")), "sites.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "2 行目" in response.get_data(as_text=True)
    assert _count() == 0


def _generated_file(rows: int) -> bytes:
    """A GSI file of `rows` emergency sites, made from the fixture's rows with new IDs."""
    header, *template = fixture_bytes("gsi_emergency_nationwide.csv").decode().splitlines()
    lines = [header]
    for number in range(rows):
        cells = template[number % len(template)].split(",")
        cells[0], cells[1] = str(number), f"E{number:013d}"
        lines.append(",".join(cells))
    return ("\n".join(lines) + "\n").encode()


def _upload(client, data: bytes):
    """Post a file; the body is built in memory (the test client spools a large one into a
    temporary file that it never closes)."""
    from io import BytesIO

    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    boundary, body = encode_multipart({"file": FileStorage(BytesIO(data), "sites.csv")})
    return client.post(
        "/disaster/shelters/import",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def test_an_upload_over_the_row_limit_is_refused_naming_it(app, client, world, as_member):
    app.config["SHELTER_UPLOAD_MAX_ROWS"] = 40
    try:
        as_member(world.officer)
        at_limit = _upload(client, _generated_file(40))
        over = _upload(client, _generated_file(41).replace(b"E0000000000003", b"E9000000000003"))
    finally:
        app.config["SHELTER_UPLOAD_MAX_ROWS"] = 10_000
    assert at_limit.status_code == 302
    assert over.status_code == 400
    assert "取り込めるのは 40 行までです" in over.get_data(as_text=True)
    assert _count() == 40  # the longer file changed nothing, not even its first rows
    assert (
        db.session.scalar(select(func.count()).where(Shelter.external_id == "E9000000000003")) == 0
    )


def test_a_file_at_the_row_limit_imports_well_within_the_request_timeout(
    app, client, world, as_member
):
    """The default limit was chosen so that a file that long takes seconds, not the 30 s
    after which gunicorn kills the worker (a 120,000-row upload answered 500)."""
    import time

    limit = app.config["SHELTER_UPLOAD_MAX_ROWS"]
    data = _generated_file(limit)
    as_member(world.officer)

    started = time.perf_counter()
    created = _upload(client, data)
    again = _upload(client, data.replace("小学校".encode(), "小学校（体育館）".encode()))
    elapsed = time.perf_counter() - started

    assert (created.status_code, again.status_code) == (302, 302)
    assert _count() == limit
    assert elapsed < 10, f"two uploads of {limit} rows took {elapsed:.1f} s"
    assert _upload(client, _generated_file(limit + 1)).status_code == 400


def test_the_operator_s_command_has_no_row_limit(app):
    app.config["SHELTER_UPLOAD_MAX_ROWS"] = 3
    try:
        result = import_shelters(_generated_file(5))
    finally:
        app.config["SHELTER_UPLOAD_MAX_ROWS"] = 10_000
    assert result.created == 5


def test_officer_upload_with_nul_characters_is_refused(app, client, world, as_member):
    """Python's csv module reads NUL; PostgreSQL cannot store it: a 400, never a 500."""
    from io import BytesIO

    as_member(world.officer)
    text = fixture_bytes("da_emergency_sites.csv").decode("utf-8")
    response = client.post(
        "/disaster/shelters/import",
        data={"file": (BytesIO(text.replace("田島中学校", "田島\x00中学校").encode()), "s.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "CSVファイルではないようです" in response.get_data(as_text=True)
    assert _count() == 0
