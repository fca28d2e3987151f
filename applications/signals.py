"""Signals the applications layer sends, for the layers above it to keep their own records.

`stepped` is sent inside the transaction of every workflow step (`services._run`), after the
application row is saved and its `TransitionLog` row written, with `application` (the saved row)
and `log` (the new `TransitionLog`). A receiver runs in that same transaction: what it writes
commits or rolls back with the step, so a summary kept by it is never ahead of or behind the
applications it summarises. A receiver must not raise for a step that is otherwise valid.

While a step saves the application, the application carries that step's `TransitionLog` row as
`_step_log` (taken away once `stepped` is sent): a `post_save` receiver can count the step with
the save, in one write, and find nothing left to do when `stepped` comes.
"""

from django.dispatch import Signal

stepped = Signal()
