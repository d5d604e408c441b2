"""Running totals of how outbox rows ended, by channel: every channel's sender adds to them
where it records its results, in the same transaction (see docs/operations.md, "Metrics").

    count_outcomes("email", {"sent": 12, "retry": 1})
"""

from collections.abc import Mapping

from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from .models import OutboxTally


def count_outcomes(channel: str, outcomes: Mapping[str, int]) -> None:
    """Add `outcomes` (outcome -> rows) to `channel`'s totals; flush, no commit.

    Rows are updated in a fixed order, so that two senders adding at once never deadlock.
    """
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    for outcome, count in sorted(outcomes.items()):
        if count <= 0:
            continue
        statement = dialect.insert(OutboxTally).values(
            channel=channel, outcome=outcome, count=count
        )
        db.session.execute(
            statement.on_conflict_do_update(
                index_elements=["channel", "outcome"],
                set_={"count": OutboxTally.count + statement.excluded.count},
            )
        )
