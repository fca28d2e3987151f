"""`{% application_documents app %}`: links to an application's offer letter and decision
notices for the pages of groups and officers; with `versions=True`, every stored version with
its SHA-256 (officers). A letter not stored yet while the worker is making it says "Being
prepared" instead of a link. Four queries at most, whatever the application."""

from django import template

from decisions.documents import NOTICE, OFFER, being_prepared, notice_key, offer_key
from fundmgr.models import Document

register = template.Library()


@register.inclusion_tag("decisions/includes/application_documents.html")
def application_documents(
    app, heading: str = "Letters and notices", level: int = 2, versions=False
):
    decisions = list(app.decisions.all())
    stored = (
        list(
            Document.objects.filter(reference=app.reference, kind__in=[OFFER, NOTICE])
            .select_related("created_by")
            .order_by("pk")
        )
        if versions
        else []
    )
    offer = app.amount_awarded is not None and any(d.outcome == "approve" for d in decisions)
    asked = being_prepared(decisions)
    made: set[str] = set()
    if asked:  # what is stored already is ready, whatever the queue says
        made = set(
            Document.objects.filter(reference=app.reference, kind__in=[OFFER, NOTICE])
            .values_list("key", flat=True)
            .distinct()
        )
    for decision in decisions:
        decision.being_prepared = decision.pk in asked and notice_key(decision) not in made
    offer_waiting = (
        offer
        and offer_key(app) not in made
        and any(d.pk in asked and d.outcome == "approve" for d in decisions)
    )
    return {
        "app": app,
        "offer": offer,
        "offer_being_prepared": offer_waiting,
        "decisions": decisions,
        "stored": stored,
        "heading": heading,
        "level": level,
    }
