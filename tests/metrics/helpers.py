"""Reading /metrics the way Prometheus does."""

from prometheus_client.parser import text_string_to_metric_families


def samples(text: str) -> dict[tuple, float]:
    """Every sample of a scrape: (name, ((label, value), ...)) -> value."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found: dict, name: str, **labels) -> float | None:
    return found.get((name, tuple(sorted(labels.items()))))


def requests_of(found: dict, endpoint: str, method: str = "GET", status: str = "200") -> float:
    """The request counter of one endpoint (0 before its first request)."""
    labels = {"endpoint": endpoint, "method": method, "status": status}
    return value(found, "jichikai_http_requests_total", **labels) or 0.0
