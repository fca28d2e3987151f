"""The documents decisions produces, as `manage.py document` takes them (fundmgr.documents
.document_kind, from decisions/apps.py): offer letters, decision notices and panel packs. The
PDF modules are imported when a document is asked for, not at start-up."""

from __future__ import annotations

import re

from fundmgr.documents import document_kind
from fundmgr.errors import InvalidInput
from fundmgr.models import Document


def _application(reference: str):
    from applications.models import Application

    app = Application.objects.filter(reference=reference.strip().upper()).first()
    if app is None:
        raise InvalidInput(
            f"There is no application {reference}: give its reference, such as CCIF26-000123."
        )
    return app


def _offer(reference: str, fresh: bool) -> Document:
    from decisions import documents

    app = _application(reference)
    if fresh:
        return documents.offer_letter_produce(application=app)
    return documents.offer_letter(application=app)


def _notice(reference: str, fresh: bool) -> Document:
    from decisions import documents

    match = re.fullmatch(r"\s*([^/\s]+)(?:/(\d+))?\s*", reference)
    if not match:
        raise InvalidInput(f"'{reference}' is not an application reference.")
    app = _application(match.group(1))
    decisions = list(app.decisions.order_by("pk"))
    if not decisions:
        raise InvalidInput(f"{app.reference} has not been decided: there is no decision notice.")
    number = int(match.group(2) or len(decisions))
    if not 1 <= number <= len(decisions):
        raise InvalidInput(
            f"{app.reference} has {len(decisions)} decision(s); there is no decision {number}."
        )
    decision = decisions[number - 1]
    if fresh:
        return documents.decision_notice_produce(decision=decision)
    return documents.decision_notice(decision=decision)


def _panel_pack(reference: str, fresh: bool) -> Document:
    from decisions.panel_pack import meeting_for_reference, panel_pack_produce

    return panel_pack_produce(meeting=meeting_for_reference(reference))


def register() -> None:
    document_kind(
        "offer",
        "an application's reference, CCIF26-000123: its offer letter as sent (produced now, "
        "exactly as it would have been, if none was stored)",
        _offer,
    )
    document_kind(
        "notice",
        "CCIF26-000123 for the notice of its latest decision, CCIF26-000123/1 for its first",
        _notice,
    )
    document_kind(
        "panel-pack",
        "a panel meeting's number, 3 or PANEL-3: its agenda and a page per application",
        _panel_pack,
    )
