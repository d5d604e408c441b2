import pytest

from .geocoder import GeocoderEmulator


@pytest.fixture(scope="session")
def geocoder_api():
    emulator = GeocoderEmulator().start()
    yield emulator
    emulator.stop()


@pytest.fixture(params=["gsi", "nominatim"])
def geocoder(request, app, geocoder_api):
    """The emulator, reset, with the app using it as GSI's address search or Nominatim."""
    geocoder_api.reset()
    saved = {key: app.config[key] for key in ("GEOCODER", "GEOCODER_URL")}
    app.config.update(GEOCODER=request.param, GEOCODER_URL=geocoder_api.origin)
    yield geocoder_api
    app.config.update(saved)
