"""Permission cases of the manifest, the service worker and the offline page: public."""

from ..matrix import Case, everyone

CASES = [
    Case("GET", lambda w: "/manifest.webmanifest", everyone(200), id="manifest"),
    Case("GET", lambda w: "/sw.js", everyone(200), id="service-worker"),
    Case("GET", lambda w: "/offline", everyone(200), id="offline"),
]
