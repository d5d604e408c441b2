"""Scheduled work that features declare; the worker (`flask worker`) runs it.

A feature lists its jobs in `jichikai/<feature>/jobs.py` as `JOBS = [ScheduledJob(...)]`.
A job function takes the current time (aware UTC), runs one idempotent pass inside an app
context, commits its own work, and returns a short summary for the log.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from .features import feature_modules


@dataclass(frozen=True)
class ScheduledJob:
    id: str
    func: Callable[[datetime], object]
    every_seconds: int
    description: str = ""


def all_jobs() -> list[ScheduledJob]:
    """Every feature's scheduled jobs."""
    jobs = []
    for module in feature_modules("jobs"):
        jobs.extend(getattr(module, "JOBS", []))
    return jobs
