"""A councillor's budget statement as a PDF: every posting to their allocation for one fund year,
with its running balance (reportlab, on the council's letterhead).

Produced when asked for, and stored like every document: a download asks the worker for it
(`statement_document`, a background task) unless the statement as it stands today is stored
already; `manage.py document statement` makes it at once. Its reference is `FUND/YEAR/USERNAME`
(`CCIF/2026/cllr.shaw`), which the command takes back.
"""

from __future__ import annotations

import re

from django.utils import timezone

from budgets import selectors
from budgets.models import Councillor, FundYear
from fundmgr.documents import document_store, story_digest
from fundmgr.errors import InvalidInput
from fundmgr.models import Document, User
from fundmgr.money import pounds
from fundmgr.tasks import background

STATEMENT = "statement"


def statement_reference(fund_year: FundYear, councillor: Councillor) -> str:
    return f"{fund_year.fund.code}/{fund_year.year.start.year}/{councillor.user.username}"


def statement_key(fund_year: FundYear, councillor: Councillor) -> str:
    return f"statement:{fund_year.pk}:{councillor.pk}"


def parse_statement_reference(text: str) -> tuple[FundYear, Councillor]:
    """`CCIF/2026/cllr.shaw` (or `CCIF/2026-27/cllr.shaw`): the fund year and the councillor
    whose allocation it was; InvalidInput saying what is wrong."""
    match = re.fullmatch(r"\s*([A-Za-z]{2,6})/(\d{4}(?:-\d{2})?)/(\S+?)\s*", text or "")
    if not match:
        raise InvalidInput(
            f"'{text}' is not a statement reference: write FUND/YEAR/USERNAME, such as "
            "CCIF/2026/cllr.shaw."
        )
    code, year, username = match.groups()
    fund_year = selectors.fund_year(code, year)
    terms = Councillor.objects.filter(user__username=username).select_related("user", "ward")
    if not terms:
        raise InvalidInput(f"There is no councillor with the username '{username}'.")
    with_account = [
        c for c in terms if c.accounts.filter(fund_year=fund_year, kind="allocation").exists()
    ]
    if not with_account:
        raise InvalidInput(f"{terms[0]} holds no allocation in {fund_year}.")
    return fund_year, with_account[-1]


def _short_date(moment) -> str:
    day = timezone.localtime(moment) if timezone.is_aware(moment) else moment
    return f"{day.day} {day:%b %Y}"


def statement_story(statement: selectors.Statement):
    from fundmgr import letterhead as lh

    fy, member = statement.fund_year, statement.councillor
    today = timezone.localdate()
    summary = [
        ("Allocation", statement.allocated),
        ("Transferred in", statement.transfers_in),
        ("Transferred out", statement.transfers_out),
        ("Committed to grants", statement.commitments),
        ("Released back", statement.releases),
    ]
    if statement.year_end:
        summary.append(("Carried forward or lapsed at year end", statement.year_end))
    if statement.corrections:
        summary.append(("Corrections", statement.corrections))
    summary += [
        ("Of what was committed, paid out", statement.paid),
        ("Of what was committed, not yet paid", statement.committed),
        ("Balance of the allocation", statement.balance),
        ("Pledged to bids not yet decided", statement.pledged),
        # in bold, as on the pages: the figure a councillor looks for
        (
            "Left to pledge",
            lh.markup(f"<b>{pounds(statement.pledgeable)}</b>", style="value_amount"),
        ),
    ]
    rows = [
        [_short_date(row.posted_at), row.kind_label, row.memo, row.amount, row.balance]
        for row in statement.rows
    ]
    story = [
        lh.address_block(
            [str(member), f"{member.ward} ward"],
            reference=statement_reference(fy, member),
            date=today,
            details=[("Fund", f"{fy.fund.code} {fy.year.label}")],
        ),
        lh.heading(f"Budget statement: {fy.fund.name} {fy.year.label}"),
        lh.paragraph(
            f"Your allocation account as at {lh.long_date(today)}: every posting with the "
            "balance after it." + (" This financial year is closed." if fy.is_closed else ""),
        ),
        lh.key_values(summary, label_width=0.68, align_amounts=True),
        lh.heading("Every posting", 2),
    ]
    if rows:
        story.append(
            lh.amounts_table(
                ["Date", "What", "Details", "Amount", "Balance"],
                rows,
                widths=[0.14, 0.15, 0.39, 0.16, 0.16],
                amounts=[3, 4],
            )
        )
    else:
        story.append(lh.paragraph("Nothing has been posted yet."))
    return story


def statement_pdf(statement: selectors.Statement) -> bytes:
    from fundmgr import letterhead as lh

    fy, member = statement.fund_year, statement.councillor
    return lh.render(
        statement_story(statement),
        title=f"Budget statement: {member}, {fy.fund.code} {fy.year.label}",
        reference=statement_reference(fy, member),
        council=fy,  # the fund year's council's letterhead, wherever it is made
    )


def statement_produce(
    *, fund_year: FundYear, councillor: Councillor, by: User | None = None
) -> Document:
    """The statement as it stands now, stored (once per distinct content)."""
    statement = selectors.statement(fund_year=fund_year, councillor=councillor)
    return document_store(
        kind=STATEMENT,
        reference=statement_reference(fund_year, councillor),
        key=statement_key(fund_year, councillor),
        description=f"Budget statement for {councillor}, {fund_year.fund.code} "
        f"{fund_year.year.label}",
        content=statement_pdf(statement),
        by=by,
    )


def statement_digest(*, fund_year: FundYear, councillor: Councillor) -> str:
    """What the statement says today (`story_digest`): the same until a posting, a pledge or the
    day changes it."""
    statement = selectors.statement(fund_year=fund_year, councillor=councillor)
    return story_digest(statement_reference(fund_year, councillor), statement_story(statement))


@background()
def statement_document(fund_year_id: int, councillor_id: int, digest: str) -> int:
    """The task a download asks for: the statement as it stands, stored (once per distinct
    content, so a second run stores nothing). `digest` is what the download asked for
    (`statement_digest`); returns the stored document's id."""
    document = statement_produce(
        fund_year=FundYear.objects.select_related("fund", "year").get(pk=fund_year_id),
        councillor=Councillor.objects.select_related("user", "ward").get(pk=councillor_id),
    )
    return document.pk
