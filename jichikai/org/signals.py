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

# The roster's メール column is each member's notification email, which reach keeps (org
# cannot read it). The roster import asks with the association as sender; each receiver
# returns {member id: the address the association gave}, so the preview can say what changes.
roster_emails_wanted = _signals.signal("roster-emails-wanted")

# Sent by the roster import inside its transaction, with the association as sender and
# `emails`: {member: address} for every member whose address the file adds or changes.
roster_emails_listed = _signals.signal("roster-emails-listed")
