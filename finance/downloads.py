"""The finance lists as files: "Download this list: CSV, XLSX" under each table of the finance
pages, through `fundmgr.exports`. Each list is described here once, as its columns, and read
from the same rows the page shows, every page of them. Bank accounts are masked as the pages
mask them: a download is no way round what a page keeps back."""

from __future__ import annotations

from fundmgr.exports import Column

PAYMENT = [
    Column("Payment", lambda r: r.payment.reference),
    Column("Grant", lambda r: r.payment.schedule.reference),
    Column("Fund", lambda r: r.payment.schedule.fund_year.fund.code),
    Column("Year", lambda r: r.payment.schedule.fund_year.year.label),
    Column("Payee", lambda r: r.payment.schedule.payee),
    Column("Due", lambda r: r.payment.due_on),
    Column("Amount", lambda r: r.payment.amount),
    Column("Account", lambda r: r.bank_account.masked if r.bank_account else None),
    Column("Why", lambda r: r.reason or None),
]

# The tables of the payments page, by the name a download asks for (`?list=held`).
PAYMENT_LISTS = {
    "due": "payments-due",
    "held": "payments-held",
    "returned": "payments-returned",
    "waiting": "payments-waiting",
    "later": "payments-due-later",
    "stopped": "payments-stopped",
}

RUN = [
    Column("Run", lambda r: r.number),
    Column("Pays on", lambda r: r.pay_date),
    Column("Payments", lambda r: r.count),
    Column("Total", lambda r: r.total),
    Column("Status", lambda r: r.status_text),
    Column("Prepared by", lambda r: str(r.prepared_by)),
    Column("Authorised by", lambda r: str(r.authorised_by) if r.authorised_by else None),
    Column("Authorised on", lambda r: r.authorised_at),
    Column("Sent to bank on", lambda r: r.sent_at),
    Column("Cleared on", lambda r: r.cleared_on),
]

RUN_LINE = [
    Column("Payment", lambda line: line.reference),
    Column("Grant", lambda line: line.payment.schedule.reference),
    Column("Payee", lambda line: line.payee),
    Column("Name on the account", lambda line: line.account_name),
    Column("Account", lambda line: line.masked_account),
    Column("Cost code", lambda line: line.payment.schedule.fund_year.cost_code),
    Column("Amount", lambda line: line.amount),
    Column("Status", lambda line: line.get_status_display()),
    Column("Cleared on", lambda line: line.cleared_on),
]

BANK_WAITING = [
    Column("Organisation", lambda a: a.organisation.name),
    Column("New or changed", lambda a: "Changed" if a.is_change else "New"),
    Column("Name on the account", lambda a: a.account_name),
    Column("Account", lambda a: a.masked),
    Column("Entered on", lambda a: a.entered_at),
    Column("Entered by", lambda a: str(a.entered_by) if a.entered_by else None),
    Column("Payments held", lambda a: a.held_count),
    Column("Amount held", lambda a: a.held_total),
]

CLAWBACK_DUE = [
    Column("Grant", lambda r: r.application.reference),
    Column("Organisation", lambda r: r.application.organisation.name),
    Column("Paid", lambda r: r.paid),
    Column("Spent", lambda r: r.spent),
    Column("Owed", lambda r: r.owed),
    Column("Why", lambda r: r.reason),
]

CLAWBACK_REQUESTS = [
    Column("Request", lambda c: c.number),
    Column("Raised on", lambda c: c.raised_at),
    Column("Grant", lambda c: c.reference),
    Column("Payee", lambda c: c.payee),
    Column("Why", lambda c: c.reason),
    Column("Asked", lambda c: c.amount),
    Column("Received", lambda c: c.received),
    Column("Status", lambda c: c.get_status_display()),
]

STATEMENT = [
    Column("Statement", lambda s: s.pk),
    Column("File", lambda s: s.filename),
    Column("Format", lambda s: s.get_format_display()),
    Column("From", lambda s: s.first_date),
    Column("To", lambda s: s.last_date),
    Column("Lines", lambda s: s.line_count),
    Column("Not matched", lambda s: s.unmatched),
    Column("Imported on", lambda s: s.imported_at),
    Column("Imported by", lambda s: str(s.imported_by)),
]
