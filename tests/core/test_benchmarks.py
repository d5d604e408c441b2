"""The benchmarks keep working: each loads, and the two quick ones run at a tiny size.

They are not timed here (figures come from running them by hand, see bench/); this only
catches a benchmark broken by a change to the code it drives.
"""

import runpy
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _run(*args: str, timeout: int = 240) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=timeout, cwd=BENCH.parent
    )


@pytest.mark.parametrize("script", sorted(p.name for p in BENCH.glob("*.py")))
def test_each_benchmark_loads(script):
    # As `python bench/<script>` would: its own folder first on the path, main() not called.
    code = f"import runpy, sys; sys.path.insert(0, 'bench'); runpy.run_path('bench/{script}')"
    loaded = _run("-c", code)
    assert loaded.returncode == 0, loaded.stderr[-2000:]


def test_reach_benchmark_runs_every_channel_at_a_tiny_size():
    done = _run("bench/reach.py", "--members", "40", "--naive-sample", "2", "--latency", "0.001")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "the whole association reached" in done.stdout


def test_push_fanout_benchmark_runs_at_a_tiny_size():
    done = _run(
        "bench/push_fanout.py", "--subscriptions", "30", "--naive-sample", "2", "--latency", "0.001"
    )
    assert done.returncode == 0, done.stderr[-3000:]
    # 30 sent by the outbox and 2 by the naive loop it is compared with, none refused.
    assert "emulator: 32 requests, 32 accepted" in done.stdout
    assert "refused []" in done.stdout


def _checkin_storm(*args: str) -> subprocess.CompletedProcess:
    # SQLite, so that the run needs no database server; one worker, a few members.
    return _run(
        "bench/checkin_storm.py", "--backend", "sqlite", "--members", "40", "--workers", "1", *args
    )


def test_checkin_storm_runs_closed_loop_at_a_tiny_size():
    done = _checkin_storm("--clients", "4")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "verified: every report stored exactly once, 40 latest statuses right" in done.stdout
    for load in ("check-in", "trivial", "empty POST", "auth read"):
        assert f"  {load} " in done.stdout


def test_checkin_storm_searches_the_open_loop_rate_at_a_tiny_size():
    done = _checkin_storm(
        "--search", "--start-rate", "10", "--max-rate", "20", "--duration", "1", "--p95-ms", "5000"
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    # 10/s for a second, then 20/s: 30 check-ins, each stored once.
    assert "check-in 20.0/s, empty POST 20.0/s; check-in / empty POST: 100%" in done.stdout
    assert "verified: 30 check-ins sent, every answered report stored exactly once" in done.stdout


@pytest.fixture(scope="module")
def checkin_storm():
    sys.path.insert(0, str(BENCH))  # as `python bench/checkin_storm.py` finds bench/seeding.py
    try:
        yield runpy.run_path(str(BENCH / "checkin_storm.py"))
    finally:
        sys.path.remove(str(BENCH))


@pytest.mark.parametrize(
    ("limit", "found", "tried"),
    [
        # Doubles past 800 to 1600, then bisects until within 5%.
        (1000, 950.0, [50, 100, 200, 400, 800, 1600, 1200, 1000, 900, 950]),
        # The first rate fails: bisects below it (25/s fails on its own, as a noisy run might).
        (30, 24.2, [50, 25.0, 12.5, 18.8, 21.9, 23.4, 24.2]),
    ],
)
def test_the_open_loop_search_doubles_then_bisects(checkin_storm, limit, found, tried):
    rates = []

    def trial(rate):
        rates.append(rate)
        return rate < limit and rate != 25.0

    assert checkin_storm["highest_rate"](trial, 50, 0.05) == found
    assert rates == tried


def test_the_open_loop_search_stops_at_the_highest_rate_asked(checkin_storm):
    assert checkin_storm["highest_rate"](lambda rate: True, 50, 0.05, most=300) == 300


def test_city_benchmark_runs_at_a_tiny_size():
    from sqlalchemy.engine import make_url

    from jichikai import database_url

    from ..conftest import PG_URL, _postgres_problem
    from ..ops.databases import drop_database

    problem = _postgres_problem(PG_URL)
    if problem:
        pytest.skip(f"the city benchmark needs PostgreSQL: {problem}")
    parsed = make_url(database_url(PG_URL))
    database = parsed.set(database=f"bench_city_{parsed.database}")
    url = database.render_as_string(hide_password=False)
    try:
        done = _run(
            "bench/city.py",
            "--scale",
            "0.00125",  # one association of 750 households
            "--latency",
            "0.001",
            "--rest-rounds",
            "1",
            "--database",
            url,
        )
    finally:
        drop_database(url)  # the bench leaves its city behind for a second look; a test does not
    assert done.returncode == 0, done.stderr[-3000:]
    assert "alert: 1 events and 750 outbox rows created" in done.stdout
    for senders in ("1 sender process:", "2 sender processes:"):
        assert f"{senders} 750 sent, 750 accepted by the emulator" in done.stdout
    assert "refused []" in done.stdout
    assert "EXTRAPOLATED to the whole city" in done.stdout
