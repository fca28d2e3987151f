"""`{% run_status run %}`: where a payment run is, as a GOV.UK tag (the list of runs shows one on
each of its 50 rows, so it is made in Python, not by an included template)."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from budgets.models import PaymentRun

register = template.Library()


def run_colour(run: PaymentRun) -> str:
    """Waiting for authorisation yellow, authorised turquoise, sent blue, cleared green,
    cancelled grey."""
    if run.status == PaymentRun.Status.PREPARED:
        return "yellow"
    if run.status != PaymentRun.Status.AUTHORISED:
        return "grey"
    if run.cleared_on:
        return "green"
    return "blue" if run.sent_at else "turquoise"


@register.simple_tag
def run_status(run: PaymentRun) -> SafeString:
    return format_html(
        '<strong class="govuk-tag govuk-tag--{}">{}</strong>', run_colour(run), run.status_text
    )
