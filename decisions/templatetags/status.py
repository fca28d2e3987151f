"""`{% status_tag application %}`: an application's status as a GOV.UK tag, one colour per state
on every page (officers, groups and councillors read the same colours)."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from applications.workflow import Status

register = template.Library()

# GOV.UK Frontend 6 tag colours; blue is the tag's own colour (no modifier class).
# Waiting on the council: blue, turquoise, yellow; waiting on others: purple; money on its way:
# teal, green, pink; stopped: red or orange; nothing more to happen: grey.
COLOURS: dict[str, str] = {
    Status.DRAFT: "grey",
    Status.SUBMITTED: "blue",
    Status.INELIGIBLE: "red",
    Status.AWAITING_SUPPORT: "purple",
    Status.UNDER_ASSESSMENT: "turquoise",
    Status.AWAITING_DECISION: "yellow",
    Status.APPROVED: "teal",
    Status.REJECTED: "red",
    Status.OFFER_ACCEPTED: "green",
    Status.MONITORING: "pink",
    Status.CLOSED: "grey",
    Status.LAPSED: "orange",
    Status.WITHDRAWN: "grey",
    Status.REVOKED: "red",
}


def tag_class(status: str) -> str:
    colour = COLOURS.get(status, "grey")
    return "govuk-tag" if colour == "blue" else f"govuk-tag govuk-tag--{colour}"


def status_words(application_or_status) -> tuple[str, str]:
    """(label, css class) of an application (or anything with `.status`) or a status value
    such as "submitted"."""
    status = getattr(application_or_status, "status", application_or_status)
    try:
        label = Status(status).label
    except ValueError:
        label = str(status)
    return label, tag_class(status)


@register.simple_tag
def status_tag(application_or_status) -> SafeString:
    """The tag's HTML, made in Python: a list of 50 bids shows 50 of them, and an included
    template for each cost more than the rest of the row."""
    label, css_class = status_words(application_or_status)
    return format_html('<strong class="{}">{}</strong>', css_class, label)


@register.filter
def status_label(status: str) -> str:
    """The words for a status value: "awaiting_decision" -> "Waiting for a decision"."""
    try:
        return Status(status).label
    except ValueError:
        return str(status)
