"""The reconciliation report for a financial year, as a spreadsheet (XLSX) and a PDF on the
council's letterhead: what was paid, what the bank statements show cleared, what is still
outstanding, returned or unmatched, and the clawback asked for and received.

Reads only budgets' own tables (a fixed handful of queries whatever the year holds).
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from budgets.models import Clawback, FinancialYear, PaymentRunLine, StatementLine
from fundmgr import councils
from fundmgr.documents import document_store
from fundmgr.models import Document, User

ZERO = Decimal("0.00")
LIVE = ["sent", "cleared", "returned"]


@dataclass
class Report:
    year: FinancialYear
    made_at: datetime.datetime
    summary: list[tuple[str, int, Decimal]] = field(default_factory=list)
    payments: list[PaymentRunLine] = field(default_factory=list)
    outstanding: list[PaymentRunLine] = field(default_factory=list)
    returned: list[PaymentRunLine] = field(default_factory=list)
    unmatched: list[StatementLine] = field(default_factory=list)
    clawbacks: list[Clawback] = field(default_factory=list)

    @property
    def reconciled(self) -> bool:
        return not (self.outstanding or self.returned or self.unmatched)


def _sum(rows, amount=lambda r: r.amount) -> Decimal:
    return sum((amount(r) for r in rows), ZERO)


def build(year: FinancialYear) -> Report:
    report = Report(year=year, made_at=timezone.now())
    report.payments = list(
        PaymentRunLine.objects.filter(
            status__in=LIVE, run__pay_date__gte=year.start, run__pay_date__lte=year.end
        )
        .select_related("run", "payment__schedule__fund_year__fund")
        .prefetch_related("matches__line")
        .order_by("run__pay_date", "reference")
    )
    report.outstanding = [p for p in report.payments if p.status == "sent"]
    report.returned = [p for p in report.payments if p.status == "returned"]
    cleared = [p for p in report.payments if p.status == "cleared"]
    report.unmatched = list(
        StatementLine.objects.filter(
            status=StatementLine.Status.UNMATCHED, date__gte=year.start, date__lte=year.end
        )
        .select_related("statement")
        .order_by("date", "pk")
    )
    lines = StatementLine.objects.filter(date__gte=year.start, date__lte=year.end).aggregate(
        set_aside=Count("pk", filter=Q(status=StatementLine.Status.SET_ASIDE)),
        set_aside_total=Sum("amount", filter=Q(status=StatementLine.Status.SET_ASIDE)),
    )
    report.clawbacks = list(
        Clawback.objects.filter(fund_year__year=year).order_by("reference", "pk")
    )
    money_out = [line for line in report.unmatched if line.amount < 0]
    money_in = [line for line in report.unmatched if line.amount > 0]
    report.summary = [
        ("Payments sent", len(report.payments), _sum(report.payments)),
        ("Cleared on a bank statement", len(cleared), _sum(cleared)),
        ("Sent, not yet on a statement", len(report.outstanding), _sum(report.outstanding)),
        ("Returned by the bank, to reissue", len(report.returned), _sum(report.returned)),
        ("Statement lines of money out not matched", len(money_out), -_sum(money_out)),
        ("Statement lines of money in not matched", len(money_in), _sum(money_in)),
        ("Statement lines set aside", lines["set_aside"], lines["set_aside_total"] or ZERO),
        ("Clawback asked for", len(report.clawbacks), _sum(report.clawbacks)),
        (
            "Clawback received",
            sum(1 for c in report.clawbacks if c.received),
            _sum(report.clawbacks, lambda c: c.received),
        ),
    ]
    return report


def _cleared_by(line: PaymentRunLine) -> str:
    live = [m for m in line.matches.all() if m.undone_at is None and m.kind == "cleared"]
    if not live:
        return ""
    match = live[0]
    return f"Statement {match.line.statement_id}, line {match.line.number}"


# --- the spreadsheet ------------------------------------------------------------------------


def xlsx(report: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    money = '"£"#,##0.00;-"£"#,##0.00'
    book = Workbook()
    sheet = book.active
    sheet.title = "Summary"
    sheet.append([f"Reconciliation report {report.year.label}"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([f"Made {timezone.localtime(report.made_at):%d %B %Y %H:%M}"])
    sheet.append(
        [
            "Reconciled: every payment cleared, nothing unmatched"
            if report.reconciled
            else "Not yet reconciled: see the other sheets"
        ]
    )
    sheet.append([])
    sheet.append(["", "Count", "Amount"])
    for label, count, amount in report.summary:
        sheet.append([label, count, amount])
        sheet.cell(row=sheet.max_row, column=3).number_format = money

    def table(title: str, header: list[str], rows: list[list], money_columns: set[int]):
        ws = book.create_sheet(title)
        ws.append(header)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append(row)
            for column in money_columns:
                ws.cell(row=ws.max_row, column=column).number_format = money
        ws.freeze_panes = "A2"
        for i, name in enumerate(header, start=1):
            ws.column_dimensions[get_column_letter(i)].width = max(12, len(name) + 4)

    def payment_row(p: PaymentRunLine) -> list:
        schedule = p.payment.schedule
        return [
            p.reference,
            schedule.reference,
            p.payee,
            schedule.fund_year.cost_code,
            f"Run {p.run.number}",
            p.run.pay_date,
            p.amount,
            p.get_status_display(),
            p.cleared_on,
            _cleared_by(p),
        ]

    header = [
        "Payment",
        "Grant",
        "Payee",
        "Cost code",
        "Run",
        "Paid on",
        "Amount",
        "Status",
        "Cleared on",
        "Cleared by",
    ]
    table("Payments", header, [payment_row(p) for p in report.payments], {7})
    table("Not yet cleared", header, [payment_row(p) for p in report.outstanding], {7})
    table("Returned", header, [payment_row(p) for p in report.returned], {7})
    table(
        "Unmatched lines",
        ["Statement", "Line", "Date", "Description", "Money out", "Money in"],
        [
            [ln.statement_id, ln.number, ln.date, ln.description, ln.money_out, ln.money_in]
            for ln in report.unmatched
        ],
        {5, 6},
    )
    table(
        "Clawback",
        ["Request", "Grant", "Payee", "Why", "Asked", "Received", "Status"],
        [
            [c.number, c.reference, c.payee, c.reason, c.amount, c.received, c.get_status_display()]
            for c in report.clawbacks
        ],
        {5, 6},
    )
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, datetime.date):
                    cell.number_format = "dd/mm/yyyy"
    sheet.column_dimensions["A"].width = 44
    sheet.column_dimensions["C"].width = 16
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- the PDF --------------------------------------------------------------------------------


def pdf(report: Report) -> bytes:
    from fundmgr import letterhead as lh

    title = f"Reconciliation report {report.year.label}"
    story = [
        lh.heading(title),
        lh.paragraph(
            f"Payments made in the {report.year.label} financial year, checked against the "
            f"council's bank statements, as at "
            f"{lh.long_date(timezone.localtime(report.made_at).date())}."
        ),
        lh.paragraph(
            "Every payment has cleared and every statement line is matched or explained."
            if report.reconciled
            else "Not yet reconciled: the items below are still to be resolved."
        ),
        lh.amounts_table(
            ["", "Count", "Amount"],
            [[label, str(count), amount] for label, count, amount in report.summary],
            widths=[0.6, 0.12, 0.28],
            amounts=[2],
        ),
    ]
    sections = [
        ("Sent, not yet on a statement", report.outstanding),
        ("Returned by the bank, to reissue", report.returned),
    ]
    for heading, rows in sections:
        if rows:
            story += [
                lh.space(),
                lh.heading(heading, level=2),
                lh.amounts_table(
                    ["Payment", "Payee", "Paid on", "Amount"],
                    [
                        [p.reference, p.payee, p.run.pay_date.strftime("%d/%m/%Y"), p.amount]
                        for p in rows
                    ],
                    widths=[0.22, 0.4, 0.16, 0.22],
                    total=_sum(rows),
                ),
            ]
    if report.unmatched:
        story += [
            lh.space(),
            lh.heading("Statement lines not matched", level=2),
            lh.amounts_table(
                ["Line", "Date", "Description", "Amount"],
                [
                    [
                        f"{ln.statement_id}/{ln.number}",
                        ln.date.strftime("%d/%m/%Y"),
                        ln.description,
                        ln.amount,
                    ]
                    for ln in report.unmatched
                ],
                widths=[0.12, 0.14, 0.52, 0.22],
            ),
        ]
    if report.clawbacks:
        story += [
            lh.space(),
            lh.heading("Clawback", level=2),
            lh.amounts_table(
                ["Request", "Grant", "Asked", "Received"],
                [
                    [c.number, f"{c.reference} {c.payee}", c.amount, c.received]
                    for c in report.clawbacks
                ],
                widths=[0.16, 0.44, 0.2, 0.2],
            ),
        ]
    return lh.render(story, title=title, reference=f"RECON-{report.year.label}")


def stored_pdf(year: FinancialYear, *, by: User) -> Document:
    """The PDF as of now, kept as a document with its SHA-256: what the finance pages and the
    API hand out, so any copy someone holds can be checked against the stored one."""
    return document_store(
        kind="reconciliation",
        reference=f"RECON-{year.label}",
        # A year's report is each council's own: its key names the council (its id, or "all").
        key=f"reconciliation:{councils.current_id() or councils.SERVICE}:{year.label}",
        description=f"Reconciliation report {year.label}",
        content=pdf(build(year)),
        by=by,
    )
