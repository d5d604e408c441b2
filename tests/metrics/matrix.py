"""Permission cases of /metrics: not a tenant route; the test client scrapes from 127.0.0.1
without a token, which is allowed whoever is logged in (tests/metrics/test_metrics.py covers
tokens and addresses)."""

from ..matrix import Case, everyone

CASES = [
    Case("GET", lambda w: "/metrics", everyone(200), id="metrics"),
]
