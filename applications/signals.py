"""Signals the applications layer sends, for the layers above it to keep their own records.

`stepped` is sent inside the transaction of every workflow step (`services._run`), after the
application row is saved and its `TransitionLog` row written, with `application` (the saved row)
and `log` (the new `TransitionLog`). A receiver runs in that same transaction: what it writes
commits or rolls back with the step, so a summary kept by it is never ahead of or behind the
applications it summarises. A receiver must not raise for a step that is otherwise valid.
"""

from django.dispatch import Signal

stepped = Signal()
