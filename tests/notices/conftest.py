"""Uploads of these tests go to a temporary folder."""

import pytest


@pytest.fixture(autouse=True)
def uploads(request, tmp_path):
    if "app" not in request.fixturenames:
        yield None
        return
    app = request.getfixturevalue("app")
    previous = app.config.get("NOTICE_UPLOAD_FOLDER")
    app.config["NOTICE_UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    yield tmp_path / "uploads"
    app.config["NOTICE_UPLOAD_FOLDER"] = previous
