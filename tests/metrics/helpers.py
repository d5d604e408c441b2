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


def unreachable_database(app, tmp_path) -> str:
    """A database URL of `app`'s kind that cannot be reached."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return f"sqlite:///file:{tmp_path}/missing/db.sqlite3?mode=ro&uri=true"
    return "postgresql://postgres@127.0.0.1:1/test_metrics"  # nothing listens there
