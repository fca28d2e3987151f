"""Forms of the councillor's pages. They check what was typed; the services (applications.support,
budgets.ledger) check the rules and the money, and their refusals reach the error summary through
`fundmgr.forms.add_refusal`."""

from __future__ import annotations

import uuid
from decimal import Decimal

from crispy_forms_gds.choices import Choice
from crispy_forms_gds.layout import Field, Size
from django import forms

from applications.models import InterestDeclaration
from budgets.models import Councillor, FundYear
from fundmgr.forms import MoneyField, helper
from fundmgr.money import pounds

# A "£" box of the councillor pages' own: the field's `beside` figure right next to it, and the
# input described by it (the kernel's fundmgr/fields/money.html has no place for one).
MONEY_BESIDE_TEMPLATE = "applications/councillor/fields/money.html"


class MoneyBesideField(MoneyField):
    """The kernel's money box, with a figure shown right beside it (such as what is available)
    by MONEY_BESIDE_TEMPLATE."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.beside = ""


def _statement(label: str, *, hint: str, missing: str, rows: int = 4) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=hint,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={
            "required": missing,
            "max_length": "Keep it to 2,000 characters or fewer",
        },
    )


class PledgeForm(forms.Form):
    """Support a bid: an amount from the councillor's allocation and why, or for a fund paid
    from the central pot, only the evidence of need."""

    amount = MoneyBesideField(label="How much do you pledge?", what="the pledge", example="250.00")
    statement = _statement(
        "Why do you support this bid?",
        hint="The grants officer, the panel and the public read this.",
        missing="Say why you support this bid",
    )

    def __init__(self, *args, fund_year: FundYear, available: str, still_needed: str, **kwargs):
        super().__init__(*args, **kwargs)
        fields: list = []
        if fund_year.uses_allocations:
            amount = self.fields["amount"]
            amount.beside = available
            amount.help_text = still_needed
            fields.append(Field("amount", template=MONEY_BESIDE_TEMPLATE))
        else:
            del self.fields["amount"]
            statement = self.fields["statement"]
            statement.label = "What is the evidence of need in your ward?"
            statement.help_text = (
                f"{fund_year.fund.name} is paid from the council's central pot, so you pledge no "
                "money: say who in your ward needs this and how you know. The panel reads it."
            )
            statement.error_messages["required"] = "Describe the evidence of need in your ward"
        fields.append(Field.textarea("statement", label_size=Size.MEDIUM, rows=4))
        self.helper = helper(*fields, button="Support this bid")

    def amount_or_nothing(self) -> Decimal:
        return self.cleaned_data.get("amount") or Decimal("0.00")


class DeclineForm(forms.Form):
    reason = _statement(
        "Why do you not support this bid?",
        hint="The group is told your reason, so say what would change your mind if anything could.",
        missing="Say why you do not support this bid",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = helper(
            Field.textarea("reason", label_size=Size.MEDIUM, label_tag="h2", rows=4),
            button="Decline to support",
        )


INTEREST_KINDS = [
    Choice(
        InterestDeclaration.Kind.PECUNIARY.value,
        InterestDeclaration.Kind.PECUNIARY.label,
        hint="Your own or your partner's job, business, contract, land or shares connected "
        "with the group or the project. You then take no part in the bid.",
    ),
    Choice(
        InterestDeclaration.Kind.OTHER_REGISTRABLE.value,
        InterestDeclaration.Kind.OTHER_REGISTRABLE.label,
        hint="The group, or a body it is part of, is on your register: you sit on its "
        "committee or were nominated to it. You then take no part in the bid.",
    ),
    Choice(
        InterestDeclaration.Kind.NON_REGISTRABLE.value,
        InterestDeclaration.Kind.NON_REGISTRABLE.label,
        hint="It affects you, a relative or a close friend more than most people in the ward, "
        "but is not on your register. It is published; you may still support the bid.",
    ),
]


class InterestForm(forms.Form):
    kind = forms.ChoiceField(
        label="What kind of interest do you have?",
        choices=INTEREST_KINDS,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the kind of interest",
            "invalid_choice": "Choose the kind of interest",
        },
    )
    details = _statement(
        "Describe the interest",
        hint="What links you to the group or the project. It is published with the decision.",
        missing="Describe the interest",
        rows=3,
    )

    def __init__(self, *args, organisation: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["details"].help_text = (
            f"For example, “I am the treasurer of {organisation}.” It is published with the "
            "decision."
        )
        self.helper = helper(
            Field.radios("kind", legend_size=Size.MEDIUM, legend_tag="h2"),
            Field.textarea("details", label_size=Size.MEDIUM, rows=3),
            button="Declare the interest",
        )


class ConfirmForm(forms.Form):
    """A button and nothing else: withdrawing a pledge. It holds refusals for the summary."""


class TransferForm(forms.Form):
    """Move part of an allocation to a ward colleague. `key` is made when the form is first
    shown and travels in a hidden field, so a second submit of the same form posts nothing."""

    key = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={
            "required": "This form has expired: start the transfer again",
            "invalid": "This form has expired: start the transfer again",
        },
    )
    fund_year = forms.ModelChoiceField(
        label="Which fund?",
        queryset=FundYear.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={
            "required": "Choose the fund to transfer from",
            "invalid_choice": "Choose the fund to transfer from",
        },
    )
    colleague = forms.ModelChoiceField(
        label="Who do you want to transfer to?",
        queryset=Councillor.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={
            "required": "Choose the councillor to transfer to",
            "invalid_choice": "Choose a councillor of your ward",
        },
    )
    amount = MoneyBesideField(label="How much?", what="the amount to transfer", example="100.00")

    def __init__(self, *args, budgets, colleagues, **kwargs):
        """`budgets`: the person's open allocations (councillor_selectors.Budget); `colleagues`:
        the councillors they may transfer to."""
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("key", uuid.uuid4())
        super().__init__(*args, **kwargs)
        self.budgets = {b.fund_year.pk: b for b in budgets}
        fund_year = self.fields["fund_year"]
        fund_year.queryset = FundYear.objects.filter(pk__in=self.budgets).select_related(
            "fund", "year"
        )
        colleague = self.fields["colleague"]
        colleague.queryset = colleagues
        colleague.label_from_instance = lambda c: str(c)
        fields: list = ["key"]
        if len(budgets) == 1:
            only = budgets[0]
            fund_year.widget = forms.HiddenInput()
            fund_year.initial = only.fund_year.pk
            fields.append("fund_year")
            self.fields["amount"].beside = f"You have {pounds(only.pledgeable)} left to pledge"
        else:
            fund_year.choices = [
                Choice(
                    b.fund_year.pk,
                    f"{b.fund_year.fund.name} {b.fund_year.year.label}",
                    hint=f"You have {pounds(b.pledgeable)} left to pledge",
                )
                for b in budgets
            ]
            fields.append(Field.radios("fund_year", legend_size=Size.MEDIUM, legend_tag="h2"))
        fields.append(Field.radios("colleague", legend_size=Size.MEDIUM, legend_tag="h2"))
        fields.append(Field("amount", template=MONEY_BESIDE_TEMPLATE))
        self.helper = helper(*fields, button="Continue")

    @property
    def budget(self):
        fund_year = self.cleaned_data.get("fund_year")
        return self.budgets.get(fund_year.pk) if fund_year else None

    def posting_key(self) -> str:
        return f"transfer:{self.cleaned_data['key']}"
