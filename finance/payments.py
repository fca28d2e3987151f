"""Paying grants: which accepted grants are due, whose bank details may be paid, and recording
each payment on its application (which posts the ledger and moves the state).

The money side, which knows a grant only by its reference, lives in `budgets.payments` (schedules,
runs, the BACS and finance files). This module is the glue that reads applications, so budgets
never imports them.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.paginator import Paginator
from django.db import connection, transaction
from django.db.models.expressions import RawSQL

from applications import rules
from applications.models import Application, BankAccount, Organisation
from applications.schedules import schedule_for_offer
from applications.services import application_record_payment
from applications.workflow import Status
from budgets.models import Payment, PaymentRun, PaymentRunLine, PaymentSchedule
from budgets.payments import (
    Instalment,
    Payee,
    condition_mark_met,
    held_by_return,
    instalments_replace,
    long_date,
    require_finance_officer,
    run_begin_authorising,
    run_cancel,
    run_check,
    run_create,
    run_export_and_send,
    run_lines,
)
from fundmgr import access, contention
from fundmgr.errors import NotPermitted, Refused
from fundmgr.faults import crash_point
from fundmgr.models import User
from fundmgr.money import pounds
from fundmgr.notifications import notify
from fundmgr.tasks import background, enqueue

log = logging.getLogger(__name__)


may_set_instalments = access.sets_instalments


def _require_officer(user, doing: str) -> None:
    if not may_set_instalments(user):
        raise NotPermitted(f"Only a grants or finance officer can {doing}.")


# --- schedules ------------------------------------------------------------------------------


def schedule_of(app: Application) -> PaymentSchedule | None:
    return PaymentSchedule.objects.filter(reference=app.reference).first()


@transaction.atomic
def instalments_set(
    *, application: Application, by: User, instalments: Sequence[Instalment]
) -> list[Payment]:
    """An officer sets how the rest of an accepted grant is paid: amounts, due dates, and a
    condition for any that must wait (evidence of the first stage, say)."""
    _require_officer(by, "set a grant's instalments")
    app = (
        Application.objects.select_for_update(of=("self",))
        .select_related("fund_year__fund", "organisation")
        .get(pk=application.pk)
    )
    if app.status != Status.OFFER_ACCEPTED:
        raise Refused(
            f"{app.reference} is {app.get_status_display().lower()}: instalments can be set only "
            "for an accepted offer that is still being paid."
        )
    schedule = schedule_of(app) or schedule_for_offer(app, by=by)
    return instalments_replace(schedule=schedule, instalments=instalments, by=by)


def condition_met(*, payment: Payment, by: User, note: str = "") -> Payment:
    _require_officer(by, "mark an instalment's condition met")
    return condition_mark_met(payment=payment, by=by, note=note)


# --- what is due, and what is held ----------------------------------------------------------


@dataclass
class Row:
    payment: Payment
    application: Application | None
    bank_account: BankAccount | None = None  # the account it may be paid to, if any
    reason: str = ""  # why it is held, waiting or stopped


@dataclass
class Payable:
    """The scheduled payments, sorted into what a finance officer can act on."""

    on: datetime.date
    due: list[Row] = field(default_factory=list)
    held: list[Row] = field(default_factory=list)
    waiting: list[Row] = field(default_factory=list)  # a condition not yet met
    later: list[Row] = field(default_factory=list)  # due after `on`
    returned: list[Row] = field(default_factory=list)
    stopped: list[Row] = field(default_factory=list)

    @property
    def due_total(self) -> Decimal:
        return sum((r.payment.amount for r in self.due), Decimal("0.00"))

    @property
    def held_total(self) -> Decimal:
        return sum((r.payment.amount for r in self.held), Decimal("0.00"))


def _long(moment) -> str:
    from django.utils import timezone

    return rules.long_date(timezone.localtime(moment).date())


def hold_reason(accounts: Sequence[BankAccount], returned: dict[int, str] | None = None) -> str:
    """Why an organisation cannot be paid, from its bank-detail rows (newest first), or "".
    `returned`: verified details a payment came back from (budgets.payments.held_by_return),
    which hold the group's payments until new details are verified."""
    current = next((a for a in accounts if a.status in ("unverified", "verified")), None)
    if current is not None and current.status == BankAccount.Status.VERIFIED:
        return (returned or {}).get(current.pk, "")
    if current is None:
        latest = accounts[0] if accounts else None
        if latest is not None and latest.status == BankAccount.Status.REJECTED:
            return (
                f"Bank details rejected on {_long(latest.checked_at)}: the group must enter "
                "them again."
            )
        return "No bank details: the group has not entered any."
    was_verified = any(a.checked_by_id and a.status == "superseded" for a in accounts)
    if was_verified:
        return (
            f"Bank details changed on {_long(current.entered_at)} and not yet verified by a "
            "finance officer."
        )
    return f"Bank details entered on {_long(current.entered_at)}, not yet verified."


def _accounts_by_organisation(ids: Iterable[int]) -> dict[int, list[BankAccount]]:
    accounts: dict[int, list[BankAccount]] = defaultdict(list)
    for account in BankAccount.objects.filter(organisation_id__in=set(ids)).order_by("-pk"):
        accounts[account.organisation_id].append(account)
    return accounts


def _returned(accounts: dict[int, list[BankAccount]]) -> dict[int, str]:
    """Of the verified bank details, those a payment was returned from (one query)."""
    return held_by_return(
        a.pk for mine in accounts.values() for a in mine if a.status == BankAccount.Status.VERIFIED
    )


def _classify(payments: Sequence[Payment], on: datetime.date) -> Payable:
    """Sort `payments` (with their schedules) into `payable`'s lists: three queries."""
    result = Payable(on=on)
    apps = {
        a.reference: a
        for a in Application.objects.filter(
            reference__in={p.schedule.reference for p in payments}
        ).select_related("organisation")
    }
    accounts = _accounts_by_organisation(a.organisation_id for a in apps.values())
    returned = _returned(accounts)
    reissue_ok = {Status.OFFER_ACCEPTED, Status.MONITORING, Status.CLOSED}
    for payment in payments:
        app = apps.get(payment.schedule.reference)
        row = Row(payment, app)
        if payment.status == Payment.Status.RETURNED:
            result.returned.append(row)
            continue
        reissue = payment.run_id is not None
        if app is None or app.status not in (reissue_ok if reissue else {Status.OFFER_ACCEPTED}):
            state = app.get_status_display().lower() if app else "not found"
            row.reason = f"The grant is {state}: it is not being paid."
            result.stopped.append(row)
            continue
        if not payment.condition_met:
            row.reason = payment.condition
            result.waiting.append(row)
            continue
        if payment.due_on > on:
            result.later.append(row)
            continue
        mine = accounts.get(app.organisation_id, [])
        row.reason = hold_reason(mine, returned)
        if row.reason:
            result.held.append(row)
        else:
            row.bank_account = next(a for a in mine if a.status == BankAccount.Status.VERIFIED)
            result.due.append(row)
    return result


# --- the same lists in the database, a page at a time -----------------------------------------
#
# `payable` reads every unpaid payment, which a run needs. A page needs only a page of each list
# and each list's count and total: `PayableLists` sorts the payments in the database with the
# same rules (tests/pages/test_staff_lists.py checks the two agree), so the page costs the same
# however many payments are waiting.

SECTIONS = ("due", "held", "returned", "waiting", "later", "stopped")

# Each unpaid payment with its section, as `_classify` sorts them. On PostgreSQL from the
# payment's row alone: its grant's status and whether its group may be paid are kept on it by
# the triggers of finance/migrations/0003_payable_facts.py, so a page is a walk of the index of
# unpaid payments in due-date order (0002_payable_indexes) that stops after its rows, and the
# counts read the unpaid payments and nothing else. Elsewhere (SQLite, which has no such
# columns) the same facts are joined: the grant found once by its reference (unique), the
# group's current bank details (the newest unverified or verified row) once.
_SECTION = """
  CASE
    WHEN p.status = 'returned' THEN 'returned'
    WHEN {grant} IS NULL
      OR (p.run_id IS NULL AND {grant} <> 'offer_accepted')
      OR (p.run_id IS NOT NULL AND {grant} NOT IN ('offer_accepted', 'monitoring', 'closed'))
      THEN 'stopped'
    WHEN p.condition <> '' AND p.condition_met_at IS NULL THEN 'waiting'
    WHEN p.due_on > %s THEN 'later'
    WHEN {payee} THEN 'due'
    ELSE 'held'
  END AS section
"""
_STORED = (
    "SELECT p.id AS id, p.amount AS amount, p.due_on AS due_on, p.reference AS reference,"
    + _SECTION.format(grant="p.grant_status", payee="p.payee_ok")
    + "FROM budgets_payment p WHERE p.status IN ('scheduled', 'returned')"
)
_JOINED = (
    "SELECT p.id AS id, p.amount AS amount, p.due_on AS due_on, p.reference AS reference,"
    + _SECTION.format(
        grant="a.status",
        payee="""b.status = 'verified' AND NOT EXISTS (
      SELECT 1 FROM budgets_paymentrunline l WHERE l.bank_account = b.id AND l.status = 'returned'
    )""",
    )
    + """FROM budgets_payment p
JOIN budgets_paymentschedule s ON s.id = p.schedule_id
LEFT JOIN applications_application a ON a.reference = s.reference
LEFT JOIN applications_bankaccount b ON b.id = (
  SELECT max(c.id) FROM applications_bankaccount c
  WHERE c.organisation_id = a.organisation_id AND c.status IN ('unverified', 'verified')
)
WHERE p.status IN ('scheduled', 'returned')
"""
)


def _sectioned() -> str:
    return _STORED if connection.vendor == "postgresql" else _JOINED


# Where a section's rows can be found from the payment alone, its page says so, so that the walk
# of the index skips what cannot be in it.
_NARROW = {
    "returned": "AND p.status = 'returned'",
    "waiting": "AND p.condition <> '' AND p.condition_met_at IS NULL",
    "later": "AND p.due_on > %s",
    "due": "AND p.due_on <= %s AND p.status = 'scheduled'",
    "held": "AND p.due_on <= %s AND p.status = 'scheduled'",
}


_OPEN = "p.status = 'scheduled'"
_GRANT_PAID = (
    "p.grant_status IS NOT NULL AND ((p.run_id IS NULL AND p.grant_status = 'offer_accepted') "
    "OR (p.run_id IS NOT NULL AND p.grant_status IN ('offer_accepted', 'monitoring', 'closed')))"
)
_READY = f"{_OPEN} AND {_GRANT_PAID} AND (p.condition = '' OR p.condition_met_at IS NOT NULL)"
# On PostgreSQL each list is its own condition on the payment's columns (the CASE above, taken
# apart), which the planner can estimate, so that it walks the index in order.
_STORED_LISTS = {
    "returned": "p.status = 'returned'",
    "stopped": f"{_OPEN} AND NOT ({_GRANT_PAID})",
    "waiting": f"{_OPEN} AND {_GRANT_PAID} AND p.condition <> '' AND p.condition_met_at IS NULL",
    "later": f"{_READY} AND p.due_on > %s",
    "due": f"{_READY} AND p.due_on <= %s AND p.payee_ok",
    "held": f"{_READY} AND p.due_on <= %s AND NOT p.payee_ok",
}


def page_sql(name: str, on: datetime.date, offset: int, limit: int) -> tuple[str, list]:
    """The ids of a page of the list `name`, in due-date then reference order: (sql, params)."""
    if connection.vendor == "postgresql":
        where = _STORED_LISTS[name]
        sql = (
            f"SELECT p.id FROM budgets_payment p WHERE {where} "
            f"ORDER BY p.due_on, p.reference LIMIT {int(limit)} OFFSET %s"
        )
        return sql, [*([on] if "%s" in where else []), offset]
    narrow = _NARROW.get(name, "")
    sql = (
        f"SELECT t.id FROM ({_JOINED} {narrow}) t WHERE t.section = %s "
        f"ORDER BY t.due_on, t.reference LIMIT {int(limit)} OFFSET %s"
    )
    return sql, [on, *([on] if "%s" in narrow else []), name, offset]


# On PostgreSQL each list's count and total from the kept counts (finance.models.PayableCount,
# kept by finance/migrations/0010_payable_counts.py): a row per bucket and due day, the ready
# and held payments due after `on` listed as later.
_KEPT = """
SELECT CASE WHEN bucket IN ('ready', 'held') AND due_on > %s THEN 'later'
            WHEN bucket = 'ready' THEN 'due' ELSE bucket END,
       SUM(n), SUM(total)
FROM finance_payablecount GROUP BY 1
"""


def _section_counts(on: datetime.date) -> tuple[str, list]:
    """Each list's count and total: (sql, params) of rows (list, count, total)."""
    if connection.vendor == "postgresql":
        return _KEPT, [on]
    return (
        "SELECT t.section, COUNT(*), SUM(t.amount) FROM (" + _sectioned() + ") t "
        "GROUP BY t.section",
        [on],
    )


@dataclass
class Section:
    count: int = 0
    total: Decimal = Decimal("0.00")


class PayableLists:
    """Each list's count and total (one query), and a page of each (`pages`), sorted by due
    date then reference as `payable` sorts them."""

    def __init__(self, on: datetime.date | None = None) -> None:
        self.on = on or rules.today()
        self.sections = {name: Section() for name in SECTIONS}
        with connection.cursor() as cursor:
            cursor.execute(*_section_counts(self.on))
            for section, n, total in cursor.fetchall():
                if n:
                    total = Decimal(str(total)).quantize(Decimal("0.01"))
                    self.sections[section] = Section(int(n), total)

    def pages(self, numbers: dict[str, str | None], per_page: int) -> dict[str, dict]:
        """A page of each list (`numbers`: each list's page number as the address gives it):
        the page (for its navigation), its rows as `payable` gives them (grant, account, reason)
        and the list's count and total. One query for every list's rows, each list's page read
        in due-date order and stopped at its last row, then `payable`'s three for those rows."""
        result, wanted, params = {}, [], []
        for name in SECTIONS:
            paginator = Paginator(Payment.objects.none(), per_page)
            paginator.count = self.sections[name].count  # type: ignore[misc]
            page = paginator.get_page(numbers.get(name))
            if self.sections[name].count:
                sql, more = page_sql(name, self.on, (page.number - 1) * per_page, per_page)
                wanted.append(f"SELECT * FROM ({sql}) {name}_page")
                params += more
            result[name] = {
                "page": page,
                "rows": [],
                "count": self.sections[name].count,
                "total": self.sections[name].total,
            }
        if not wanted:
            return result
        payments = list(
            Payment.objects.filter(pk__in=RawSQL(" UNION ALL ".join(wanted), params))
            .select_related("schedule__fund_year__fund", "schedule__fund_year__year")
            .order_by("due_on", "reference")
        )
        classified = _classify(payments, self.on)
        for name in SECTIONS:
            result[name]["rows"] = getattr(classified, name)
        return result


def payable(on: datetime.date | None = None) -> Payable:
    """Every unpaid payment, sorted: due and payable, held (bank details), waiting for a
    condition, due later, returned by the bank, stopped (the grant no longer being paid). A
    group whose payment the bank returned is held until new bank details are verified. Four
    queries, however many payments."""
    on = on or rules.today()
    payments = list(
        Payment.objects.filter(status__in=[Payment.Status.SCHEDULED, Payment.Status.RETURNED])
        .select_related("schedule__fund_year__fund", "schedule__fund_year__year")
        .order_by("due_on", "reference")
    )
    return _classify(payments, on)


# --- payment runs ---------------------------------------------------------------------------


@transaction.atomic
def payment_run_prepare(*, by: User, pay_date: datetime.date) -> PaymentRun:
    """A run of everything due by `pay_date` whose payee may be paid; held payments stay out
    (the payments page lists them with the reason)."""
    require_finance_officer(by, "prepare a payment run")
    return run_create(
        pay_date=pay_date, by=by, payments=[_run_item(row) for row in payable(pay_date).due]
    )


def _run_item(row: Row) -> tuple[Payment, str, Payee]:
    """A due payment as a run takes it: `payable` puts a row in `due` only with its grant and
    the verified account it is paid to."""
    assert row.application is not None and row.bank_account is not None
    account = row.bank_account
    return (
        row.payment,
        row.application.organisation.name,
        Payee(
            bank_account=account.pk,
            account_name=account.account_name,
            sort_code=account.sort_code,
            account_number=account.account_number,
        ),
    )


def changed_since_prepared(lines: Sequence[PaymentRunLine]) -> list[tuple[PaymentRunLine, str]]:
    """Lines whose payee's bank details are no longer the ones copied into the run, with why."""
    apps = {
        a.reference: a
        for a in Application.objects.filter(
            reference__in={line.payment.schedule.reference for line in lines}
        ).only("reference", "organisation_id")
    }
    accounts = _accounts_by_organisation(a.organisation_id for a in apps.values())
    returned = _returned(accounts)
    changed = []
    for line in lines:
        app = apps.get(line.payment.schedule.reference)
        mine = accounts.get(app.organisation_id, []) if app else []
        reason = hold_reason(mine, returned)
        payable_now = next((a for a in mine if a.status == BankAccount.Status.VERIFIED), None)
        if reason or payable_now is None or payable_now.pk != line.bank_account:
            changed.append((line, reason or "Bank details changed since the run was prepared."))
    return changed


class RunChanged(Refused):
    """The run is not as its check page showed it."""


CHECK_FIRST = (
    "Check the run before you authorise it: open “Check and authorise this run” and confirm "
    "what it will pay (through the API: read the run and send its `check`)."
)
CHANGED = "The run has changed since you checked it: check it again."


@contention.atomic
def payment_run_authorise(*, run: PaymentRun, by: User, check: str | None = None) -> PaymentRun:
    """A second finance officer authorises a prepared run: the BACS file and finance CSV are
    written, every payment is recorded on its application (ledger: commitment to paid, one
    idempotency key per payment, the payment dated the run's pay date) and marked sent. All or
    nothing.

    `check` is the seal of the run as its check page showed it (`budgets.payments.run_check`):
    the page and the API always pass one, and a missing or different seal refuses the run
    unchanged. Only the system's own callers (the demo, fixtures) pass None."""
    run = run_begin_authorising(run=run, by=by)  # who may, and only once; undone if refused
    lines = run_lines(run)
    if check is not None and not check.strip():
        raise RunChanged(CHECK_FIRST)
    if check is not None and check.strip() != run_check(run, lines):
        raise RunChanged(CHANGED)
    changed = changed_since_prepared(lines)
    if changed:
        line, reason = changed[0]
        raise Refused(
            f"{line.reference} to {line.payee}: {reason} Cancel this run and prepare a new one; "
            "the payment is held until the new details are verified."
        )
    references = {line.payment.schedule.reference for line in lines}
    apps = {
        a.reference: a for a in Application.objects.filter(reference__in=references).order_by("pk")
    }
    # Applications are locked in primary-key order, as every service locks them.
    for line in sorted(lines, key=lambda x: (apps[x.payment.schedule.reference].pk, x.pk)):
        app = apps[line.payment.schedule.reference]
        try:
            application_record_payment(
                application=app,
                by=by,
                amount=line.amount,
                key=f"payment:{line.payment_id}",
                paid_on=run.pay_date,
            )
        except Refused as error:
            raise Refused(f"{line.reference}: {error.message}") from None
        crash_point("payment-run:authorise")  # some payments posted, the run not yet committed
    run = run_export_and_send(run=run, lines=lines, by=by)
    enqueue(send_remittances, run.pk)  # queued with the run's commit, and only then
    return run


@background()
def send_remittances(run_id: int) -> int:
    """The task an authorised run queues: `remittances_send`."""
    return remittances_send(run_id)


def remittances_send(run_id: int) -> int:
    """After a run is authorised and committed: each payment's remittance advice, stored as a
    PDF and e-mailed (attached, through the outbox) to the group. Idempotent: the PDF is built
    from the records, so a second run stores no new version, and each payment's e-mail is keyed
    (`remittance:<payment id>`), so it is queued once to each address, ever. Returns how many
    e-mails it queued; `manage.py document remittance` writes a PDF again."""
    from finance.documents import remittance_document

    run = PaymentRun.objects.get(pk=run_id)
    lines = run_lines(run)
    apps = {
        a.reference: a
        for a in Application.objects.select_related("organisation", "fund_year__fund").filter(
            reference__in={line.payment.schedule.reference for line in lines}
        )
    }
    documents = {
        line.pk: remittance_document(line, apps[line.payment.schedule.reference]) for line in lines
    }
    queued = 0
    with transaction.atomic():  # every e-mail queued at once: one task sends them
        for line in lines:
            app = apps[line.payment.schedule.reference]
            organisation = app.organisation
            queued += notify(
                to=[organisation.email, *organisation.members.values_list("email", flat=True)],
                subject=f"{line.reference}: {pounds(line.amount)} paid to {organisation.name}",
                body=f"{app.reference}: {app.title}\n\n"
                f"We have paid {pounds(line.amount)} of your grant into your bank account; it "
                f"should reach the account on {long_date(run.pay_date)}, with the reference "
                f"{line.reference}. The remittance advice is attached.",
                reference=app.reference,
                key=f"remittance:{line.payment_id}",
                attachment=documents[line.pk],
                council=run,
            )
    return queued


def payment_run_cancel(*, run: PaymentRun, by: User, reason: str) -> PaymentRun:
    return run_cancel(run=run, by=by, reason=reason)


def organisation_for(reference: str) -> Organisation | None:
    app = Application.objects.filter(reference=reference).select_related("organisation").first()
    return app.organisation if app else None


def run_summary(run: PaymentRun) -> str:
    return (
        f"Run {run.number}: {run.count} payments, {pounds(run.total)}, paid {run.pay_date:%d/%m/%Y}"
    )
