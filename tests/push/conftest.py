import pytest

from .emulator import PushServiceEmulator
from .helpers import use_test_vapid_key


@pytest.fixture
def emulator(app):
    """A push service on 127.0.0.1 whose origin is the only one allowed."""
    service = PushServiceEmulator().start()
    saved = {k: app.config[k] for k in ("PUSH_ALLOWED_ORIGINS", "PUSH_VAPID_SUBJECT")}
    app.config["PUSH_ALLOWED_ORIGINS"] = service.origin
    app.config["PUSH_VAPID_SUBJECT"] = "mailto:ops@example.jp"
    use_test_vapid_key(app)
    yield service
    service.stop()
    app.config.update(saved)


@pytest.fixture
def tmp_instance(app, tmp_path, monkeypatch):
    """The instance folder in a temporary directory (key files, lock files)."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    state = app.extensions.setdefault("jichikai.push", {})
    saved = state.pop("vapid", None)
    yield tmp_path
    state.pop("vapid", None)
    if saved is not None:
        state["vapid"] = saved
