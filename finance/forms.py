"""Forms of the finance officer's pages. They check what a person typed; the services check the
rules, and their refusals are shown through `fundmgr.forms.add_refusal`."""

from __future__ import annotations

from crispy_forms_gds.layout import Field, Fieldset, Size
from django import forms

from budgets.payments import MAX_INSTALMENTS, Instalment
from fundmgr.forms import RealDateField, helper, money_field, money_input

INSTALMENT_ROWS = 4


class RunForm(forms.Form):
    pay_date = RealDateField(
        label="Payment date",
        what="the date the money is paid",
        help_text="A weekday, today or up to 31 days ahead. For example, 14 5 2027",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = helper(Field("pay_date"), button="Prepare the run")


class CancelRunForm(forms.Form):
    reason = forms.CharField(
        label="Why is the run cancelled?",
        max_length=255,
        error_messages={"required": "Say why the run is cancelled"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = helper(
            Field.text("reason", field_width="two-thirds"), button="Cancel the run"
        )
        self.helper.layout[-1].field_classes = "govuk-button govuk-button--warning"


class ConditionForm(forms.Form):
    note = forms.CharField(
        label="What shows the condition is met?",
        help_text="For example, photographs and the contractor's invoice for the first stage.",
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say what shows the condition is met"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = helper(Field.textarea("note"), button="Mark the condition met")


class InstalmentsForm(forms.Form):
    """Up to four instalments of what is left to pay: amount, due date, and for any that must
    wait, the condition an officer marks met before it is paid."""

    def __init__(self, *args, rows: int = INSTALMENT_ROWS, first: int = 1, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = min(rows, MAX_INSTALMENTS - first + 1)
        self.first = first
        fieldsets = []
        for row in range(self.rows):
            number = first + row
            self.fields[f"amount_{row}"] = money_field(
                "Amount", what=f"the amount of instalment {number}", required=False
            )
            self.fields[f"due_{row}"] = RealDateField(
                label="Due on",
                what=f"the date instalment {number} is due",
                required=False,
                require_all_fields=False,
            )
            self.fields[f"condition_{row}"] = forms.CharField(
                label="Condition (optional)",
                help_text="Leave blank if it is paid on its date.",
                max_length=255,
                required=False,
            )
            fieldsets.append(
                Fieldset(
                    money_input(f"amount_{row}"),
                    Field(f"due_{row}"),
                    Field.text(f"condition_{row}", field_width="two-thirds"),
                    legend=f"Instalment {number}",
                    legend_size=Size.MEDIUM,
                )
            )
        self.helper = helper(*fieldsets, button="Save the instalments")

    def clean(self):
        data = super().clean()
        instalments = []
        for row in range(self.rows):
            amount, due = data.get(f"amount_{row}"), data.get(f"due_{row}")
            condition = data.get(f"condition_{row}", "")
            number = self.first + row
            if amount is None and due is None and not condition:
                if f"amount_{row}" not in self.errors and f"due_{row}" not in self.errors:
                    continue
            if amount is None and f"amount_{row}" not in self.errors:
                self.add_error(f"amount_{row}", f"Enter the amount of instalment {number}")
            if due is None and f"due_{row}" not in self.errors:
                self.add_error(f"due_{row}", f"Enter the date instalment {number} is due")
            if amount is not None and due is not None:
                instalments.append(Instalment(amount, due, condition))
        if not instalments and not self.errors:
            self.add_error("amount_0", "Enter at least one instalment")
        data["instalments"] = instalments
        return data


class BankCheckForm(forms.Form):
    """A finance officer's check of new bank details: verified, or rejected with the reason."""

    outcome = forms.ChoiceField(
        label="Are these bank details right?",
        choices=[
            ("verify", "Yes: verify them, so payments can be made to this account"),
            ("reject", "No: reject them, and the group must enter them again"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether to verify or reject the bank details"},
    )
    note = forms.CharField(
        label="How did you check them?",
        help_text=(
            "For example, called the treasurer on the number we already hold and saw a bank "
            "statement. If you reject them, say why: the group is not told automatically."
        ),
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say how you checked the bank details"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = helper(
            Field.radios("outcome", legend_size=Size.MEDIUM),
            Field.textarea("note"),
            button="Save the check",
        )


class OrganisationSearchForm(forms.Form):
    q = forms.CharField(label="Organisation's name", max_length=200, required=False, strip=True)


class RefundForm(forms.Form):
    amount = money_field("Amount received", what="the amount received")
    received_on = RealDateField(
        label="Date it arrived",
        what="the date the refund arrived",
        help_text="For example, 3 5 2027",
    )
    statement_line = forms.ModelChoiceField(
        label="The line of the bank statement (optional)",
        queryset=None,
        required=False,
        empty_label="Not on an imported statement yet",
    )

    def __init__(self, *args, lines=None, **kwargs):
        super().__init__(*args, **kwargs)
        from budgets.models import StatementLine

        field = self.fields["statement_line"]
        field.queryset = lines if lines is not None else StatementLine.objects.none()
        field.label_from_instance = lambda line: (
            f"Statement {line.statement_id}, line {line.number}: {line.date:%d/%m/%Y}, "
            f"£{line.amount:,.2f} in, {line.description[:60]}"
        )
        self.helper = helper(
            money_input("amount"),
            Field("received_on"),
            Field.select("statement_line"),
            button="Record the refund",
        )
