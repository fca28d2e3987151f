"""Forms of the statement and reconciliation pages."""

from __future__ import annotations

from crispy_forms_gds.layout import HTML, Field, Size
from django import forms

from budgets.statement_files import (
    DATE_EXAMPLES,
    RENAMED,
    StatementError,
    custom_layout,
    layout_choices,
    layout_named,
)
from budgets.statement_files import Layout as Columns
from fundmgr.forms import helper

MAX_STATEMENT_BYTES = 20 * 1024 * 1024
AUTO = "auto"
CUSTOM = "custom"
DATE_FORMATS = list(DATE_EXAMPLES.items())
LAYOUT_CHOICES = [
    (AUTO, "Find it from the file's heading (or the layout last used for the account)"),
    *layout_choices(),
    (CUSTOM, "Another layout"),
]


class LayoutChoice(forms.ChoiceField):
    """The layouts offered; a former layout's key (RENAMED) is still taken."""

    def valid_value(self, value):
        return value in RENAMED or super().valid_value(value)


class StatementForm(forms.Form):
    file = forms.FileField(
        label="Statement file",
        help_text="CSV, OFX or ISO 20022 camt.053, as exported from online banking. Up to 20 MB.",
        error_messages={"required": "Choose the statement file", "empty": "The file is empty"},
    )
    layout = LayoutChoice(
        label="If it is a CSV file, whose layout is it?",
        help_text="OFX and camt.053 files need no layout. The layout chosen for a CSV file is "
        "remembered for the account.",
        choices=LAYOUT_CHOICES,
        widget=forms.RadioSelect,
        initial=AUTO,
        required=False,
    )
    headerless = forms.BooleanField(
        label="The file has no heading: the columns below are numbers (1 for the first)",
        required=False,
    )
    date_column = forms.CharField(label="Date column", max_length=60, required=False)
    date_format = forms.ChoiceField(label="Dates are written", choices=DATE_FORMATS, required=False)
    description_columns = forms.CharField(
        label="Description columns",
        help_text="Separate several with commas: Type, Description.",
        max_length=200,
        required=False,
    )
    amount_column = forms.CharField(
        label="Amount column, if one column holds money in and out (money out negative)",
        max_length=60,
        required=False,
    )
    out_column = forms.CharField(label="Money out column", max_length=60, required=False)
    in_column = forms.CharField(label="Money in column", max_length=60, required=False)
    balance_column = forms.CharField(
        label="Running balance column, if it has one", max_length=60, required=False
    )
    skip_rows = forms.IntegerField(
        label="Lines before the heading",
        min_value=0,
        max_value=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        error_messages={"invalid": "Enter the lines before the heading as a number, such as 0"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = helper(
            Field("file"),
            Field.radios("layout", legend_size=Size.SMALL, small=True),
            HTML(
                '<details class="govuk-details"{% if form.layout.value == "custom" %} open'
                '{% endif %}><summary class="govuk-details__summary">'
                '<span class="govuk-details__summary-text">Another layout: name its columns'
                '</span></summary><div class="govuk-details__text">'
                '<p class="govuk-body">The names of the columns, as in the file\'s heading.</p>'
            ),
            Field.checkbox("headerless", small=True),
            Field.text("date_column", field_width=20),
            Field.select("date_format"),
            Field.text("description_columns", field_width="two-thirds"),
            Field.text("amount_column", field_width=20),
            Field.text("out_column", field_width=20),
            Field.text("in_column", field_width=20),
            Field.text("balance_column", field_width=20),
            Field.text("skip_rows", field_width=3),
            HTML("</div></details>"),
            button="Import the statement",
        )
        self.helper.attrs = {"enctype": "multipart/form-data"}

    def clean_file(self):
        file = self.cleaned_data["file"]
        if file.size > MAX_STATEMENT_BYTES:
            raise forms.ValidationError("The file must be 20 MB or smaller")
        return file

    def clean(self):
        data = super().clean()
        if data.get("layout") != CUSTOM:
            # None: found from the file's heading, or the account's last layout.
            data["columns"] = layout_named(data.get("layout") or AUTO)
            return data
        if not data.get("date_column"):
            self.add_error("date_column", "Enter the name of the date column")
        descriptions = tuple(
            c.strip() for c in data.get("description_columns", "").split(",") if c.strip()
        )
        if not descriptions:
            self.add_error("description_columns", "Enter the name of the description column")
        amount, out, in_ = (data.get(k, "") for k in ("amount_column", "out_column", "in_column"))
        if not amount and not (out and in_):
            self.add_error(
                "amount_column",
                "Enter the amount column, or both the money out and money in columns",
            )
        if not self.errors and data.get("headerless"):
            try:
                data["columns"] = custom_layout(
                    {
                        "date": data["date_column"],
                        "description": data["description_columns"],
                        "amount": "" if out and in_ else amount,
                        "money_out": out,
                        "money_in": in_,
                        "balance": data.get("balance_column", ""),
                        "date_format": data.get("date_format") or "%d/%m/%Y",
                    },
                    headerless=True,
                )
            except StatementError as error:
                self.add_error("date_column", str(error))
        elif not self.errors:
            data["columns"] = Columns(
                key=CUSTOM,
                name="Your layout",
                date=data["date_column"],
                description=descriptions,
                amount="" if out and in_ else amount,
                money_out=out,
                money_in=in_,
                balance=data.get("balance_column", ""),
                date_format=data.get("date_format") or "%d/%m/%Y",
                skip_rows=data.get("skip_rows") or 0,
            )
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=255)


class NoteForm(forms.Form):
    note = forms.CharField(max_length=255)


class GLForm(forms.Form):
    file = forms.FileField(
        label="General ledger export",
        help_text=(
            "CSV with columns for the cost code, the date and the amount (spending positive), "
            "and if it has them the reference and description. Up to 20 MB."
        ),
        error_messages={"required": "Choose the GL export file", "empty": "The file is empty"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = helper(Field("file"), button="Import and compare")
        self.helper.attrs = {"enctype": "multipart/form-data"}

    def clean_file(self):
        file = self.cleaned_data["file"]
        if file.size > MAX_STATEMENT_BYTES:
            raise forms.ValidationError("The file must be 20 MB or smaller")
        return file
