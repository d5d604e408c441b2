"""A household's place: set by an officer (on a map or from the roster) or found from its
address through a geocoder (geopy), when the operator has configured one (off by default).

GEOCODER "gsi" is 国土地理院's address search (msearch.gsi.go.jp/address-search/AddressSearch),
"nominatim" is OpenStreetMap's Nominatim; GEOCODER_URL points either at another server (a
self-hosted Nominatim, or the tests' emulator). See docs/maps.md.
"""

from __future__ import annotations

import math
from functools import partial
from urllib.parse import urlencode, urlsplit

from flask import current_app
from flask_babel import gettext as _
from geopy.exc import GeopyError
from geopy.geocoders import Nominatim
from geopy.geocoders.base import DEFAULT_SENTINEL, Geocoder
from geopy.location import Location

from ..audit.services import record
from ..extensions import db
from .models import Association, Household, Member

GEOCODERS = ("gsi", "nominatim")
# Japan, generously: a place outside is a typing mistake (or the wrong country's result).
LAT_RANGE = (20.0, 46.0)
LON_RANGE = (122.0, 154.0)


class LocationError(ValueError):
    """A place that cannot be used, or an address the geocoder could not find; the message
    says which, for the officer."""


class GSIAddressSearch(Geocoder):
    """国土地理院 住所検索 API: GET /address-search/AddressSearch?q=<address> answers a GeoJSON
    list of features, [{"geometry": {"coordinates": [lon, lat]}, "properties": {"title"}}]."""

    def __init__(self, *, domain: str = "msearch.gsi.go.jp", scheme: str | None = None, **kwargs):
        super().__init__(scheme=scheme, **kwargs)
        self.api = f"{self.scheme}://{domain.strip('/')}/address-search/AddressSearch"

    def geocode(self, query: str, *, exactly_one: bool = True, timeout=DEFAULT_SENTINEL):
        url = f"{self.api}?{urlencode({'q': query})}"
        callback = partial(self._parse_json, exactly_one=exactly_one)
        return self._call_geocoder(url, callback, timeout=timeout)

    def _parse_json(self, features, exactly_one: bool):
        places = []
        for feature in features or []:
            try:
                lon, lat = feature["geometry"]["coordinates"][:2]
                title = feature.get("properties", {}).get("title", "")
                places.append(Location(title, (float(lat), float(lon)), feature))
            except (KeyError, TypeError, ValueError):
                continue
        if not places:
            return None
        return places[0] if exactly_one else places


def geocoder() -> Geocoder | None:
    """The configured geocoder, or None when finding places from addresses is off."""
    config = current_app.config
    kind = (config.get("GEOCODER") or "").strip().lower()
    if not kind:
        return None
    if kind not in GEOCODERS:
        raise RuntimeError(f"GEOCODER must be one of {GEOCODERS} or empty, not {kind!r}")
    options = {
        "user_agent": config["GEOCODER_USER_AGENT"],
        "timeout": float(config["GEOCODER_TIMEOUT_SECONDS"]),
    }
    url = (config.get("GEOCODER_URL") or "").strip()
    if url:
        parts = urlsplit(url)
        options["scheme"] = parts.scheme
        options["domain"] = parts.netloc + parts.path.rstrip("/")
    if kind == "gsi":
        return GSIAddressSearch(**options)
    return Nominatim(**options)


def household_address(household: Household, municipality: str = "") -> str:
    """The household's address as a geocoder needs it: with the municipality in front
    unless the roster already wrote it."""
    address = f"{household.town}{household.address_line}".strip()
    if municipality and municipality not in address:
        address = f"{municipality}{address}"
    return address


def check_location(lat: float, lon: float) -> tuple[float, float]:
    """A place in Japan, or LocationError."""
    if not (math.isfinite(lat) and math.isfinite(lon)):
        raise LocationError(_("緯度・経度が数字ではありません。"))
    if not (LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LON_RANGE[0] <= lon <= LON_RANGE[1]):
        raise LocationError(_("緯度・経度が日本の中ではありません。地図で選びなおしてください。"))
    return round(lat, 7), round(lon, 7)


def set_household_location(
    household: Household, lat: float | None, lon: float | None, *, by: Member | None, via: str
) -> None:
    """Set (or, with None, clear) where a household lives; audit-logged (flushes)."""
    if (lat is None) != (lon is None):
        raise LocationError(_("緯度と経度は両方入れてください。"))
    if lat is not None:
        lat, lon = check_location(lat, lon)
    household.lat, household.lon = lat, lon
    record(
        "household.location",
        association_id=household.association_id,
        actor=by,
        target=household,
        via=via,
        located=lat is not None,
    )
    db.session.flush()


def locate_household(household: Household, *, by: Member | None) -> tuple[float, float]:
    """Find the household's place from its address with the configured geocoder and set it.

    LocationError when geocoding is off, the address is empty, the service cannot be reached
    or finds nothing (nothing is changed then).
    """
    service = geocoder()
    if service is None:
        raise LocationError(_("住所から場所を調べる機能は使えません。地図で選んでください。"))
    if not household.town.strip() and not household.address_line.strip():
        raise LocationError(_("住所が入っていません。先に住所を入れてください。"))
    association = db.session.get(Association, household.association_id)
    address = household_address(household, association.municipality)
    options = {"country_codes": "jp"} if isinstance(service, Nominatim) else {}
    try:
        found = service.geocode(address, **options)
    except GeopyError as error:
        current_app.logger.warning("geocoder failed for household %s: %s", household.id, error)
        raise LocationError(
            _("住所から場所を調べるサービスにつながりませんでした。地図で選んでください。")
        ) from None
    if found is None:
        raise LocationError(_("この住所の場所が見つかりませんでした。地図で選んでください。"))
    set_household_location(household, found.latitude, found.longitude, by=by, via="geocoder")
    return household.lat, household.lon
