"""Permission cases of the health checks: public, the same for everyone."""

from ..matrix import Case, everyone

CASES = [
    Case("GET", lambda w: "/healthz", everyone(200), id="healthz"),
    # No worker runs beside the test world, so it is never ready.
    Case("GET", lambda w: "/readyz", everyone(503), id="readyz"),
]
