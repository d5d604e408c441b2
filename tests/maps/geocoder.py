"""A protocol-true emulator of the two geocoders jichikai can use, on 127.0.0.1.

- 国土地理院 住所検索: GET /address-search/AddressSearch?q=<address> answers a GeoJSON list of
  point features ({"geometry": {"coordinates": [lon, lat], "type": "Point"},
  "type": "Feature", "properties": {"addressCode": "", "title": "..."}}); [] when nothing.
- Nominatim: GET /search?q=<address>&format=json&limit=1 answers [{"lat": "35.8", "lon":
  "139.6", "display_name": "..."}] (figures as strings, as Nominatim sends them).

Addresses are looked up by prefix in `places`; `down` answers 503 to everything.
"""

from aiohttp import web

from ..aioserver import ThreadedSite

# Made-up points near the test associations' centre, not real addresses' coordinates.
PLACES = {
    "さいたま市桜区田島一丁目": (35.8551, 139.6123),
    "さいたま市桜区栄和": (35.8612, 139.6176),
}


class GeocoderEmulator:
    def __init__(self) -> None:
        self.site = ThreadedSite("geocoder-emulator")
        self.places = dict(PLACES)
        self.requests: list[dict] = []
        self.down = False

    @property
    def origin(self) -> str:
        return self.site.origin

    def start(self) -> "GeocoderEmulator":
        self.site.start(self._routes)
        return self

    def stop(self) -> None:
        self.site.stop()

    def reset(self) -> None:
        self.places = dict(PLACES)
        self.requests.clear()
        self.down = False

    def _find(self, query: str):
        for address, point in self.places.items():
            if query.startswith(address) or address in query:
                return address, point
        return None

    def _routes(self, app: web.Application) -> None:
        app.router.add_get("/address-search/AddressSearch", self._gsi)
        app.router.add_get("/search", self._nominatim)

    def _note(self, request: web.Request, kind: str) -> None:
        self.requests.append(
            {
                "kind": kind,
                "query": dict(request.query),
                "user_agent": request.headers.get("User-Agent", ""),
            }
        )

    async def _gsi(self, request: web.Request) -> web.Response:
        self._note(request, "gsi")
        if self.down:
            return web.Response(status=503, text="Service Unavailable")
        found = self._find(request.query.get("q", ""))
        if found is None:
            return web.json_response([])
        title, (lat, lon) = found
        return web.json_response(
            [
                {
                    "geometry": {"coordinates": [lon, lat], "type": "Point"},
                    "type": "Feature",
                    "properties": {"addressCode": "", "title": title},
                }
            ]
        )

    async def _nominatim(self, request: web.Request) -> web.Response:
        self._note(request, "nominatim")
        if self.down:
            return web.Response(status=503, text="Service Unavailable")
        if request.query.get("format") != "json":
            return web.Response(status=400, text="format=json expected")
        found = self._find(request.query.get("q", ""))
        if found is None:
            return web.json_response([])
        title, (lat, lon) = found
        return web.json_response([{"lat": str(lat), "lon": str(lon), "display_name": title}])
