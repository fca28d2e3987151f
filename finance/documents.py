"""The finance documents a group receives, on the council's letterhead: remittance advice (what
was paid, into which account, its number masked) and a clawback request. Each is stored through
`fundmgr.documents` (same bytes, same version), so a letter can be produced again exactly."""

from __future__ import annotations

import re
from decimal import Decimal

from applications.models import Application, Organisation
from budgets.models import Clawback, PaymentRunLine
from fundmgr.council_settings import council_for
from fundmgr.documents import document_store, latest
from fundmgr.errors import InvalidInput
from fundmgr.models import Council, Document, User
from fundmgr.money import pounds


def _address(organisation: Organisation) -> list[str]:
    lines = [organisation.name, *organisation.address.splitlines(), organisation.postcode]
    return [line.strip() for line in lines if line.strip()]


def _council(row: Clawback | PaymentRunLine) -> Council:
    """The council the document is from: the row's own (whatever the scope of the task or
    command making it)."""
    council = council_for(row)
    if council is None:  # a council-owned row always has its council
        raise InvalidInput("This document belongs to no council.")
    return council


def remittance_pdf(line: PaymentRunLine, app: Application) -> bytes:
    from fundmgr import letterhead as lh

    council = _council(line)
    run = line.run
    payment = line.payment
    count = payment.schedule.payments.exclude(status="cancelled").count()
    story = [
        lh.address_block(
            _address(app.organisation),
            reference=line.reference,
            date=run.pay_date,
            details=[("Grant", app.reference)],
        ),
        lh.heading("Remittance advice"),
        lh.paragraph(
            f"We have paid {pounds(line.amount)} of your grant from the {app.fund_year.fund.name} "
            f"into your bank account. It should reach the account on "
            f"{lh.long_date(run.pay_date)}."
        ),
        lh.key_values(
            [
                ("Paid to", line.payee),
                ("Name on the account", line.account_name),
                ("Account", lh.masked_bank_account(line.sort_code, line.account_number)),
                ("Payment date", lh.long_date(run.pay_date)),
                ("Reference on your statement", line.reference),
            ]
        ),
        lh.space(),
        lh.amounts_table(
            ["Payment", "What for", "Amount"],
            [
                [
                    line.reference,
                    f"{app.title or app.reference}: payment {payment.number} of {count}",
                    line.amount,
                ]
            ],
            total=line.amount,
        ),
        lh.space(),
        lh.paragraph(
            f"Paid so far: {pounds(app.paid_to_date)} of the {pounds(app.amount_awarded)} "
            "awarded. If the money does not arrive, or the account is not yours, tell us at once "
            "quoting the reference above."
        ),
        lh.sign_off(council=council),
    ]
    return lh.render(
        story,
        title="Remittance advice",
        reference=line.reference,
        subject=app.reference,
        council=council,
    )


def remittance_document(line: PaymentRunLine, app: Application, by: User | None = None) -> Document:
    return document_store(
        kind="remittance",
        reference=app.reference,
        key=f"run-line:{line.pk}",
        description=f"Remittance advice for {line.reference}",
        content=remittance_pdf(line, app),
        by=by,
    )


def clawback_pdf(clawback: Clawback, app: Application) -> bytes:
    from fundmgr import letterhead as lh

    council = _council(clawback)

    report = app.monitoring_reports.order_by("-pk").first()
    paid = app.paid_to_date
    rows: list[list[object]] = [["Grant paid to you", paid]]
    if app.status == "revoked":
        what = (
            f"We revoked your grant {app.reference} ({app.title}) because its conditions were "
            "not met. Everything paid under it must be repaid."
        )
    else:
        spent = report.amount_spent if report else Decimal("0.00")
        rows.append(["Spent, as your monitoring report says", spent])
        what = (
            f"Your monitoring report for grant {app.reference} ({app.title}) shows "
            f"{pounds(paid - spent)} of the grant unspent. The "
            f"{app.fund_year.fund.name} asks for unspent money above "
            f"{pounds(app.fund_year.clawback_threshold)} to be repaid."
        )
    story = [
        lh.address_block(
            _address(app.organisation),
            reference=clawback.number,
            date=clawback.raised_at.date(),
            details=[("Grant", app.reference)],
        ),
        lh.heading("Request to repay grant money"),
        lh.paragraph(what),
        lh.amounts_table(["", "Amount"], rows, total=clawback.amount, total_label="Please repay"),
        lh.space(),
        lh.heading("How to repay", level=2),
        lh.paragraph(
            "Please pay within 30 days by bank transfer, quoting the reference "
            f"{clawback.number} so that we can match your payment."
        ),
        lh.key_values(
            [
                ("Pay to", council.bacs_account_name or council.name),
                ("Sort code", "-".join(council.bacs_sort_code[i : i + 2] for i in (0, 2, 4))),
                ("Account number", council.bacs_account_number),
                ("Reference", clawback.number),
                ("Amount", clawback.amount),
            ]
        ),
        lh.space(),
        lh.paragraph(
            "If you think this is wrong, or you cannot repay at once, contact us before the "
            "30 days are up and we will talk it through."
        ),
        lh.sign_off(council=council),
    ]
    return lh.render(
        story,
        title="Request to repay grant money",
        reference=clawback.number,
        subject=app.reference,
        council=council,
    )


def clawback_document(clawback: Clawback, app: Application, by: User | None = None) -> Document:
    return document_store(
        kind="clawback",
        reference=app.reference,
        key=f"clawback:{clawback.pk}",
        description=f"Clawback request {clawback.number} for {app.reference}",
        content=clawback_pdf(clawback, app),
        by=by,
    )


def _grant(reference: str) -> Application:
    app = (
        Application.objects.select_related("organisation", "fund_year__fund")
        .filter(reference=reference)
        .first()
    )
    if app is None:
        raise InvalidInput(
            f"There is no grant {reference}: give a reference such as CCIF26-000123."
        )
    return app


def remittance_for(reference: str) -> Document:
    """`manage.py document remittance`: CCIF26-000123/1 for that payment's advice as sent (the
    latest time it was sent), CCIF26-000123 for the grant's latest payment sent. The stored
    version if there is one, else produced now as it would have been."""
    text = reference.strip().upper()
    match = re.fullmatch(r"([A-Z0-9]+-\d+)(?:/(\d))?", text)
    if not match:
        raise InvalidInput(f"'{reference}' is not a grant or payment reference.")
    app = _grant(match.group(1))
    lines = PaymentRunLine.objects.filter(payment__schedule__reference=app.reference).exclude(
        status__in=[PaymentRunLine.Status.PREPARED, PaymentRunLine.Status.CANCELLED]
    )
    if match.group(2):
        lines = lines.filter(reference=text)
    line = (
        lines.select_related("run", "payment__schedule").order_by("-run__pay_date", "-pk").first()
    )
    if line is None:
        raise InvalidInput(f"Nothing has been paid on {text}: there is no remittance advice.")
    return latest("remittance", f"run-line:{line.pk}") or remittance_document(line, app)


def clawback_for(reference: str) -> Document:
    """`manage.py document clawback`: CLAW-00001, or a grant's reference for its latest
    clawback request. The stored version if there is one, else produced now."""
    text = reference.strip().upper()
    if number := re.fullmatch(r"CLAW-(\d+)", text):
        clawback = Clawback.objects.filter(pk=int(number.group(1))).first()
    else:
        clawback = Clawback.objects.filter(reference=_grant(text).reference).order_by("-pk").first()
    if clawback is None:
        raise InvalidInput(f"There is no clawback request {text}.")
    return latest("clawback", f"clawback:{clawback.pk}") or clawback_document(
        clawback, _grant(clawback.reference)
    )
