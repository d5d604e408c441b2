"""What the organisation tells the features above it (blinker signals, sent by its services).

Features that keep something per member (logins, push subscriptions) connect to these in
`create_app`; org cannot import them, as they sit above it.
"""

from blinker import Namespace

_signals = Namespace()

# Sent with the member as sender (keyword `by`: who did it, or None) inside the transaction
# that deactivates or reactivates them: nothing from before may log them in or reach their
# phones any more. Receivers revoke devices and login cards and drop push subscriptions; a
# reactivated member starts again with a new card.
member_access_ended = _signals.signal("member-access-ended")
