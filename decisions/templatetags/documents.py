"""`{% application_documents app %}`: links to an application's offer letter and decision
notices for the pages of groups and officers; with `versions=True`, every stored version with
its SHA-256 (officers). Two queries at most, whatever the application."""

from django import template

from decisions.documents import NOTICE, OFFER
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
    return {
        "app": app,
        "offer": app.amount_awarded is not None and any(d.outcome == "approve" for d in decisions),
        "decisions": decisions,
        "stored": stored,
        "heading": heading,
        "level": level,
    }
