"""The documents finance produces, as `manage.py document` takes them (fundmgr.documents
.document_kind, from finance/apps.py): remittance advice and clawback requests."""

from __future__ import annotations

from fundmgr.documents import document_kind
from fundmgr.models import Document


def _remittance(reference: str, fresh: bool) -> Document:
    from finance.documents import remittance_for

    return remittance_for(reference)


def _clawback(reference: str, fresh: bool) -> Document:
    from finance.documents import clawback_for

    return clawback_for(reference)


def register() -> None:
    document_kind(
        "remittance",
        "a payment's reference, CCIF26-000123/1, or a grant's for its latest payment: the "
        "remittance advice sent to the group",
        _remittance,
    )
    document_kind(
        "clawback",
        "a clawback request's number, CLAW-00001, or a grant's reference for its latest: the "
        "request to repay",
        _clawback,
    )
