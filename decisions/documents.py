"""The documents a decision produces: the offer letter and the decision notice (reportlab).

Both are built by a background task once the decision commits (`decision_documents`, which
`decisions.services` queues in the decision's transaction) and stored by `fundmgr.documents` with
the SHA-256 of their bytes; a download serves the stored bytes. Each is dated the day of the
decision and built from its records, so producing it again gives the same bytes while they are
unchanged, and a letter that was never stored (a failure after the commit, the demo's load) is
produced on its first download. The panel pack is in `decisions.panel_pack`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.apps import apps
from django.conf import settings
from django.db.models import Prefetch, Q
from django.utils import timezone

from applications.deadlines import report_due_on
from applications.models import Application, BankAccount
from applications.organisations import current_bank_account
from applications.rules import accept_by_sentence
from decisions.models import Decision
from fundmgr.documents import document_store, latest
from fundmgr.errors import Refused
from fundmgr.models import Document, User
from fundmgr.money import pounds
from fundmgr.tasks import background, enqueue, in_the_database

OFFER = "offer"
NOTICE = "notice"

# The standard terms every offer is made on, after the decision's own conditions.
TERMS = [
    "Use the grant only for the project described in your application and in this letter. "
    "Ask us in writing before you change what it is spent on; do not change it until we agree.",
    "Spend the grant within the project dates. Anything bought before the date of this letter "
    "cannot be paid for from it.",
    "Keep receipts, invoices and bank statements that show how the grant was spent for six "
    "years, and show them to us or to the council's auditors when asked.",
    "Tell us at once if the project is delayed, changes, costs less than planned, receives "
    "other funding for the same costs, or cannot go ahead.",
    "Repay any part of the grant that is not spent on the project. We may ask for all of it "
    "back if it is used for anything else, if your application contained information that was "
    "false or misleading, or if any condition in this letter is broken.",
    "Hold the policies, insurance, licences and permissions the project needs, including a "
    "safeguarding policy where it works with children or adults at risk.",
    "Do not use the grant for party political or religious promotion, to make a profit, or to "
    "pay anyone to lobby the council.",
    "Acknowledge the council's support in anything you publish about the project.",
    "The grant is a one-off award. It does not commit the council to further funding, and the "
    "council is not liable for any of the project's debts, losses or obligations.",
    "We publish every grant we make (your organisation's name and registered numbers, the "
    "amount, what it is for and the wards that benefit) under the Local Government "
    "Transparency Code and the 360Giving Data Standard. We handle personal data under the UK "
    "GDPR as our privacy notice describes.",
    "Where the Subsidy Control Act 2022 applies, the grant is given under it: tell us about "
    "any other public subsidy the organisation has received in the last three financial years.",
    "The person who accepts this offer confirms that they are authorised to accept it on the "
    "organisation's behalf, and that the organisation agrees to these terms.",
]


# --- what the letters say --------------------------------------------------------------------


@dataclass(frozen=True)
class Instalment:
    """One payment the offer promises."""

    number: int
    of: int
    when: str
    amount: Decimal
    condition: str = ""


def payment_schedule(app: Application) -> list[Instalment]:
    """The payments the offer promises: the grant's payment schedule once finance has set one
    (`budgets.PaymentSchedule`, by the grant's reference), else one payment of the whole award
    on acceptance."""
    from fundmgr import letterhead as lh

    try:
        schedule_model = apps.get_model("budgets", "PaymentSchedule")
    except LookupError:
        schedule_model = None
    if schedule_model is not None:
        schedule = (
            schedule_model.objects.filter(reference=app.reference)
            .prefetch_related("payments")
            .first()
        )
        payments = sorted(schedule.payments.all(), key=lambda p: p.number) if schedule else []
        if payments:
            return [
                Instalment(
                    number=p.number,
                    of=len(payments),
                    when=lh.long_date(p.due_on) if p.due_on else "When due",
                    amount=p.amount,
                    condition=p.condition,
                )
                for p in payments
            ]
    return [Instalment(1, 1, "When you accept this offer", app.amount_awarded)]


def _approval(app: Application) -> Decision:
    decision = next((d for d in reversed(app.decisions.all()) if d.outcome == "approve"), None)
    if decision is None or app.amount_awarded is None:
        raise Refused(f"{app.reference} has not been approved: there is no offer letter.")
    return decision


def _decided_on(decision: Decision) -> datetime.date:
    return timezone.localdate(decision.decided_at)


def _authority(decision: Decision) -> str:
    text = decision.get_authority_display()
    if decision.panel_item_id:
        text += f": {decision.panel_item.meeting}, item {decision.panel_item.position}"
    return text


def _address(app: Application) -> list[str]:
    org = app.organisation
    return [org.name, *org.address.splitlines(), org.postcode]


def _bank_sentence(account: BankAccount | None) -> str:
    from fundmgr import letterhead as lh

    if account is None:
        return (
            "We do not have your bank details yet. Add them when you accept the offer: we pay "
            "only into an account in the organisation's name, once a finance officer has "
            "checked it."
        )
    masked = lh.masked_bank_account(account.sort_code, account.account_number)
    if account.status == BankAccount.Status.VERIFIED:
        return f"We will pay into {account.account_name}, {masked}."
    return (
        f"We will pay into {account.account_name}, {masked}, once a finance officer has "
        "checked these details: payments are held until then."
    )


def report_sentence(app: Application, letter_on: datetime.date) -> str:
    """When the end-of-grant report is due, as the letter dated `letter_on` asks for it: by the
    fund's rule (`applications.deadlines.report_due_on`), never by a day before the letter."""
    from fundmgr import letterhead as lh

    days = app.fund_year.monitoring_due_days
    due = report_due_on(app, letter_on=letter_on)
    if app.project_end is None:
        return f"Send us an end-of-grant report within {days} days of the project's end"
    if app.project_end < letter_on:
        return (
            f"Your project ended on {lh.long_date(app.project_end)}, before this letter, so "
            f"send us an end-of-grant report within {days} days of the date of this letter, "
            f"by {lh.long_date(due)}"
        )
    return (
        f"Send us an end-of-grant report within {days} days of the project's end, by "
        f"{lh.long_date(due)}"
    )


def offer_letter_story(
    app: Application,
    decision: Decision,
    account: BankAccount | None,
    schedule: list[Instalment],
):
    from fundmgr import letterhead as lh

    fy = app.fund_year
    council = lh.council(app)
    decided = _decided_on(decision)
    story = [
        lh.address_block(
            _address(app),
            reference=app.reference,
            date=decided,
            details=[("Accept by", lh.long_date(app.offer_expires_on))]
            if app.offer_expires_on
            else [],
        ),
        lh.heading(f"Offer of a grant: {app.title}"),
        lh.paragraph(f"Dear {app.organisation.name},"),
        lh.paragraph(
            f"I am pleased to offer you a grant of {pounds(app.amount_awarded)} from the "
            f"{fy.fund.name} {fy.year.label} towards {app.title}. The offer is made on the "
            "conditions and terms in this letter."
        ),
        lh.key_values(
            [
                ("Grant reference", app.reference),
                ("Project", app.title),
                ("Amount you asked for", app.amount_requested),
                ("Grant offered", app.amount_awarded),
                ("Decided by", _authority(decision)),
                ("Decided on", lh.long_date(decided)),
            ]
        ),
        lh.heading("How to accept", 2),
        lh.markup(
            f"<b>{lh.escape(accept_by_sentence(app.offer_expires_on))}</b> The money then "
            "returns to the fund. To accept, sign in to your account and choose \u201cAccept "
            "the offer\u201d on the application's page."
            if app.offer_expires_on
            else "Sign in to your account and choose \u201cAccept the offer\u201d on the "
            "application's page."
        ),
        lh.heading("Conditions of this grant", 2),
    ]
    conditions = decision.condition_list
    if conditions:
        story.append(lh.paragraph("The grant is offered on these conditions:"))
        story += lh.numbered(conditions)
    else:
        story.append(lh.paragraph("The decision set no conditions beyond the terms below."))
    story += [
        lh.heading("How the grant is paid", 2),
        lh.amounts_table(
            ["Payment", "When", "Amount"],
            [
                [
                    f"{i.number} of {i.of}",
                    i.when + (f". Condition: {i.condition}" if i.condition else ""),
                    i.amount,
                ]
                for i in schedule
            ],
            widths=[0.2, 0.6, 0.2],
            amounts=[2],
            total=sum((i.amount for i in schedule), Decimal("0.00")),
        ),
        lh.space(2),
        lh.paragraph(_bank_sentence(account)),
        lh.heading("Monitoring", 2),
    ]
    if fy.monitoring_required:
        story.append(
            lh.paragraph(
                f"{report_sentence(app, decided)}: what you spent "
                "against the budget in your application, with receipts, what the project "
                "achieved and how many people it reached. If you spend less than the grant, "
                f"we ask for the unspent money back where it is more than "
                f"{pounds(fy.clawback_threshold)}."
            )
        )
    else:
        story.append(
            lh.paragraph(
                "This fund asks for no end-of-grant report, but keep the records the terms "
                "below describe: we may ask to see how the grant was spent."
            )
        )
    story += [
        lh.heading("Terms and conditions", 2),
        *lh.numbered(TERMS),
        lh.space(2),
        lh.paragraph(
            f"If you have any questions, e-mail {council.email} or call {council.phone}, "
            f"quoting {app.reference}."
        ),
        lh.sign_off(council=app),
    ]
    return story


def offer_letter_pdf(
    app: Application,
    decision: Decision,
    account: BankAccount | None,
    schedule: list[Instalment] | None = None,
) -> bytes:
    """The letter, from records already read (`schedule`: by default `payment_schedule`)."""
    from fundmgr import letterhead as lh

    if schedule is None:
        schedule = payment_schedule(app)
    return lh.render(
        offer_letter_story(app, decision, account, schedule),
        title=f"Offer of a grant: {app.reference}",
        reference=app.reference,
        council=app,
    )


def decision_notice_story(decision: Decision):
    """The public notice: the same facts as `Decision.notice_text`, nobody's personal data
    beyond the decision-maker's office."""
    from fundmgr import letterhead as lh

    app = decision.application
    fy = app.fund_year
    outcome = decision.get_outcome_display()
    if decision.amount_awarded:
        outcome += f", {pounds(decision.amount_awarded)}"
    story = [
        lh.heading("Decision notice"),
        lh.paragraph(
            f"The council's decision on an application to the {fy.fund.name} {fy.year.label}.",
            style="lead",
        ),
        lh.key_values(
            [
                ("Reference", app.reference),
                ("Fund", f"{fy.fund.name} {fy.year.label}"),
                ("Applicant", app.organisation.name),
                ("Project", app.title),
                ("Amount requested", app.amount_requested),
                ("Decision", outcome),
                ("Decided by", _authority(decision)),
                ("Decided on", lh.long_date(_decided_on(decision))),
            ]
        ),
        lh.heading("Reasons", 2),
        lh.paragraph(decision.reasons),
    ]
    if decision.condition_list:
        story += [lh.heading("Conditions", 2), *lh.numbered(decision.condition_list)]
    story.append(lh.heading("Declarations of interest", 2))
    declarations = list(app.declarations.all())
    if declarations:
        story += lh.bullets(f"{d.get_kind_display()}: {d.details}" for d in declarations)
    else:
        story.append(lh.paragraph("None were declared."))
    return story


def decision_notice_pdf(decision: Decision) -> bytes:
    from fundmgr import letterhead as lh

    app = decision.application
    return lh.render(
        decision_notice_story(decision),
        title=f"Decision notice: {app.reference}",
        reference=app.reference,
        council=app,
    )


# --- producing and storing them --------------------------------------------------------------


def _application(pk: int) -> Application:
    """Everything both documents print, in a fixed number of queries."""
    return (
        Application.objects.select_related("organisation", "fund_year__fund", "fund_year__year")
        .prefetch_related(
            "declarations",
            Prefetch(
                "decisions",
                queryset=Decision.objects.select_related("panel_item__meeting").order_by("pk"),
            ),
        )
        .get(pk=pk)
    )


def offer_key(app: Application) -> str:
    return f"application:{app.reference}"


def notice_key(decision: Decision) -> str:
    return f"decision:{decision.pk}"


def offer_letter_produce(*, application: Application, by: User | None = None) -> Document:
    """Build and store the offer letter of an approved application (Refused if it was not)."""
    app = _application(application.pk)
    decision = _approval(app)
    pdf = offer_letter_pdf(app, decision, current_bank_account(app.organisation))
    return document_store(
        kind=OFFER,
        reference=app.reference,
        key=offer_key(app),
        description=f"Offer letter for {app.reference}, {pounds(app.amount_awarded)}",
        content=pdf,
        by=by,
    )


def decision_notice_produce(*, decision: Decision, by: User | None = None) -> Document:
    app = _application(decision.application_id)
    decision = next(d for d in app.decisions.all() if d.pk == decision.pk)
    decision.application = app
    pdf = decision_notice_pdf(decision)
    return document_store(
        kind=NOTICE,
        reference=app.reference,
        key=notice_key(decision),
        description=f"Decision notice for {app.reference}: {decision.get_outcome_display()}",
        content=pdf,
        by=by,
    )


def offer_letter(*, application: Application, by: User | None = None) -> Document:
    """The offer letter as sent, or, if none was stored, the one that would have been."""
    return latest(OFFER, offer_key(application)) or offer_letter_produce(
        application=application, by=by
    )


def decision_notice(*, decision: Decision, by: User | None = None) -> Document:
    return latest(NOTICE, notice_key(decision)) or decision_notice_produce(decision=decision, by=by)


def decision_documents_later(decision: Decision) -> None:
    """Inside the decision's transaction: ask the worker for its documents (`decision_documents`),
    queued only if the decision commits. A setting DOCUMENTS_AFTER_DECISIONS = False leaves them
    to be produced on their first download (the demo's load does, to stay quick)."""
    if getattr(settings, "DOCUMENTS_AFTER_DECISIONS", True):
        enqueue(decision_documents, decision.pk)


@background()
def decision_documents(decision_id: int) -> None:
    """After a decision commits: its notice, and for an approval the offer letter. Each is built
    from the records as of the decision, so running it again stores nothing new."""
    decision = Decision.objects.get(pk=decision_id)
    decision_notice_produce(decision=decision, by=None)
    if decision.outcome == Decision.Outcome.APPROVE:
        offer_letter_produce(application=decision.application, by=None)


def being_prepared(decisions: list[Decision]) -> set[int]:
    """Which of these decisions' documents a task is waiting to make (the database queue only;
    with another backend nothing is known to be waiting)."""
    if not decisions or not in_the_database(decision_documents):
        return set()
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    asked = Q()
    for decision in decisions:
        asked |= Q(args_kwargs__args=[decision.pk])
    waiting = DBTaskResult.objects.filter(
        asked,
        task_path=decision_documents.module_path,
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
    )
    return {row.args_kwargs["args"][0] for row in waiting}
