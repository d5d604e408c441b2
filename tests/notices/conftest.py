"""Uploads of these tests go to a temporary folder."""

import pytest

from .deepl import KEY as DEEPL_KEY
from .deepl import DeepLEmulator


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


@pytest.fixture(scope="session")
def deepl_api():
    emulator = DeepLEmulator().start()
    yield emulator
    emulator.stop()


@pytest.fixture
def deepl(app, deepl_api):
    """The DeepL emulator, reset, with the app translating through it (no retries)."""
    deepl_api.reset()
    settings = {
        "TRANSLATION_PROVIDER": "deepl",
        "DEEPL_AUTH_KEY": DEEPL_KEY,
        "DEEPL_SERVER_URL": deepl_api.origin,
        "TRANSLATION_RETRIES": 0,
        "TRANSLATION_TIMEOUT_SECONDS": 1.0,
    }
    saved = {key: app.config[key] for key in settings}
    app.config.update(settings)
    yield deepl_api
    app.config.update(saved)
