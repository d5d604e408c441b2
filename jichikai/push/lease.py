"""Leases on claimed outbox rows: renewed while their worker lives, capped per worker.

An outbox row (a push delivery today; an e-mail or LINE message later) is claimed by setting its
status to `sending` and its `next_attempt_at` to the end of a short lease. While the worker
holds the row it renews the lease every third of its length, so a slow channel never lets the
lease run out under a live worker; when the worker dies, renewal stops and the rows are due again
within one lease. A worker holds at most `cap` rows unacknowledged: that is all a crash can send
twice. Nothing here knows how a row is sent.
"""

import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from sqlalchemy import update

from ..extensions import db


class LeaseHolder:
    """The rows one worker claimed and has not acknowledged yet, and their lease."""

    def __init__(
        self,
        model,
        *,
        lease_seconds: float,
        cap: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.model = model
        self.lease_seconds = float(lease_seconds)
        self.renew_every = self.lease_seconds / 3
        self.cap = max(1, int(cap))
        self.clock = clock
        self.held: set[int] = set()
        self._renewed = clock()

    @property
    def room(self) -> int:
        """How many more rows this worker may claim."""
        return max(0, self.cap - len(self.held))

    def ends(self, now: datetime) -> datetime:
        """When a lease taken or renewed at `now` ends."""
        return now + timedelta(seconds=self.lease_seconds)

    def hold(self, ids: Iterable[int]) -> None:
        if not self.held:
            self._renewed = self.clock()  # the claim itself just set the lease
        self.held.update(ids)

    def release(self, ids: Iterable[int]) -> None:
        self.held.difference_update(ids)

    def seconds_to_renewal(self) -> float:
        return max(0.0, self._renewed + self.renew_every - self.clock())

    def renew_if_due(self, now: datetime) -> int:
        """Push the lease of every held row to `now` + the lease; flush, no commit."""
        if not self.held or self.seconds_to_renewal() > 0:
            return 0
        self._renewed = self.clock()
        result = db.session.execute(
            update(self.model)
            .where(self.model.id.in_(self.held), self.model.status == "sending")
            .values(next_attempt_at=self.ends(now))
            .execution_options(synchronize_session=False)
        )
        return result.rowcount or 0
