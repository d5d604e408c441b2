"""The benchmarks keep working: each loads, and the two quick ones run at a tiny size.

They are not timed here (figures come from running them by hand, see bench/); this only
catches a benchmark broken by a change to the code it drives.
"""

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
