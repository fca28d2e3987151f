"""Domain errors carry a message written for the person who will read it.

Pages show `message` in the GOV.UK error summary; the API returns it as problem details
(409 for a refused step, 400 for bad input). Nothing here is ever a 500.
"""


class DomainError(Exception):
    """Base class. `message` is shown to people as it is. `field` names the one input the
    refusal is about (the service's argument, such as "amount"), when it is about one: a page
    shows the message at that field as well as in the error summary."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(DomainError):
    """The request itself is wrong: a zero amount, a bad date, a malformed file."""


class Refused(DomainError):
    """The request is well formed but the rules refuse it now."""

    status_code = 409


class InsufficientFunds(Refused):
    pass


class NotPermitted(Refused):
    status_code = 403


class ClosedYear(Refused):
    pass


class OutsideTerm(Refused):
    pass


class SimultaneousChange(Refused):
    """Another request was changing the same money at the same moment, and trying again did not
    get past it (fundmgr.contention): everything was rolled back."""

    MESSAGE = (
        "Someone else was changing the same budget at that moment; nothing was changed. "
        "Please try again."
    )

    def __init__(self, message: str = MESSAGE):
        super().__init__(message)
