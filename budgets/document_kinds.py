"""The documents budgets produces, as `manage.py document` takes them (fundmgr.documents
.document_kind, from budgets/apps.py): a councillor's budget statement."""

from __future__ import annotations

from fundmgr.documents import document_kind
from fundmgr.models import Document


def _statement(reference: str, fresh: bool) -> Document:
    from budgets.documents import parse_statement_reference, statement_produce

    fund_year, councillor = parse_statement_reference(reference)
    return statement_produce(fund_year=fund_year, councillor=councillor)


def register() -> None:
    document_kind(
        "statement",
        "FUND/YEAR/USERNAME, CCIF/2026/cllr.shaw: the councillor's budget statement for the "
        "2026/27 fund year, as it stands now",
        _statement,
    )
