"""Forms of the community-group pages. They check what a person typed; the services decide.

Error messages follow the GOV.UK Design System: say what to do ("Enter the project title"), not
what went wrong.
"""

from __future__ import annotations

from decimal import Decimal

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import HTML, Field, Fieldset, Layout, Size, Submit
from django import forms
from django.forms.utils import ErrorDict
from django.http import QueryDict

from applications.models import (
    MAX_UPLOAD_BYTES,
    Organisation,
    upload_validators,
)
from applications.uploads import validate_upload_content
from budgets.models import FundYear, Ward
from fundmgr.forms import RealDateField, helper, money_field, money_input
from fundmgr.money import pounds

UPLOAD_HINT = (
    "PDF, JPG, PNG, Word (DOCX), Excel (XLSX) or OpenDocument (ODT, ODS). "
    f"Each file must be {MAX_UPLOAD_BYTES // (1024 * 1024)} MB or smaller."
)
YES_NO = [("yes", "Yes"), ("no", "No")]


class VersionedForm(forms.Form):
    """A section of an application: `version` is the one the page was drawn from, so a save on
    top of someone else's change is refused instead of overwriting it."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def answers(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


# The buttons of every question page of an application: GOV.UK's "Save and continue", and
# "Save and come back later", which keeps whatever was typed, valid or not.
CONTINUE, LATER, ADD = "continue", "later", "add"
SECTION_BUTTONS = HTML(
    '<div class="govuk-button-group">'
    f'<button type="submit" name="action" value="{CONTINUE}" class="govuk-button" '
    'data-module="govuk-button">Save and continue</button>'
    f'<button type="submit" name="action" value="{LATER}" '
    'class="govuk-button govuk-button--secondary" data-module="govuk-button">'
    "Save and come back later</button></div>"
)


def add_button(words: str) -> HTML:
    """The button that adds one more line (a cost, a source of funding, a document) and stays
    on the page."""
    return HTML(
        f'<button type="submit" name="action" value="{ADD}" '
        f'class="govuk-button govuk-button--secondary" data-module="govuk-button">{words}</button>'
    )


# Between the box that adds one more line and the buttons that leave the page.
LIST_END = HTML(
    '<hr class="govuk-section-break govuk-section-break--l govuk-section-break--visible">'
)


def section_helper(*fields) -> FormHelper:
    form_helper = FormHelper()
    form_helper.form_method = "post"
    form_helper.layout = Layout(*fields, SECTION_BUTTONS)
    return form_helper


def as_kept(form: forms.Form) -> forms.Form:
    """The form showing what was typed and kept, exactly as typed, without its errors: they
    show when the person presses "Save and continue". Only to draw: never ask it is_valid()."""
    form._errors = ErrorDict()
    form.cleaned_data = {}
    return form


def kept_data(answers: dict[str, list[str]], **current) -> QueryDict:
    """What was kept of a page, as the page posted it, with `current` (the version the page is
    drawn from) put in."""
    data = QueryDict(mutable=True)
    for name, values in answers.items():
        data.setlist(name, [str(v) for v in values])
    for name, value in current.items():
        data[name] = str(value)
    return data


def typed(form: forms.Form) -> bool:
    """Whether anything was typed or chosen in the form's own questions (its hidden fields and
    buttons aside)."""
    for bound in form.visible_fields():
        value = bound.value()
        values = value if isinstance(value, list | tuple) else [value]
        if any(v not in (None, "", False) and str(v).strip() for v in values):
            return True
    return bool(form.files)


# --- starting an application ----------------------------------------------------------------


class ChooseFundForm(forms.Form):
    fund_year = forms.ModelChoiceField(
        label="Which fund are you applying to?",
        queryset=FundYear.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={
            "required": "Choose the fund you are applying to",
            "invalid_choice": "Choose one of the funds that is open now",
        },
    )

    def __init__(self, *args, fund_years, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["fund_year"]
        field.queryset = fund_years
        field.label_from_instance = lambda fy: f"{fy.fund.name} {fy.year.label}"
        self.helper = helper(
            Field.radios("fund_year", legend_size=Size.LARGE, legend_tag="h1"),
            button="Continue",
            method="get",
        )


class StartForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label="Which organisation is applying?",
        queryset=Organisation.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={
            "required": "Choose the organisation that is applying",
            "invalid_choice": "Choose one of your organisations",
        },
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        field.queryset = organisations
        if len(organisations) == 1:
            field.widget = forms.HiddenInput()
            field.initial = organisations[0].pk
        self.helper = helper(
            Field.radios("organisation", legend_size=Size.MEDIUM, legend_tag="h2"),
            button="Start application",
        )


# --- the sections of an application --------------------------------------------------------


class AboutForm(VersionedForm):
    title = forms.CharField(
        label="Project title",
        help_text="A short name for the project, such as ‘New benches for Abbey Park’",
        max_length=120,
        error_messages={
            "required": "Enter the project title",
            "max_length": "Project title must be 120 characters or fewer",
        },
    )
    purpose = forms.CharField(
        label="What is the money for?",
        help_text="Say what you will do, who it helps and why it is needed.",
        widget=forms.Textarea,
        max_length=3000,
        error_messages={
            "required": "Enter what the money is for",
            "max_length": "What the money is for must be 3000 characters or fewer",
        },
    )
    wards = forms.ModelMultipleChoiceField(
        label="Which wards will benefit?",
        help_text="Select all that apply. Councillors for these wards are asked to support it.",
        queryset=Ward.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Select at least one ward that will benefit",
            "invalid_choice": "Select wards from the list",
            "invalid_pk_value": "Select wards from the list",
        },
    )
    people_benefiting = forms.IntegerField(
        label="About how many people will benefit?",
        min_value=1,
        max_value=10_000_000,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false"}),
        error_messages={
            "required": "Enter about how many people will benefit, such as 200",
            "invalid": "Enter the number of people as a whole number, such as 200",
            "min_value": "Enter a number of people of 1 or more",
            "max_value": "Enter a number of people of 10,000,000 or fewer",
        },
    )

    def __init__(self, *args, wards, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["wards"].queryset = wards
        self.helper = section_helper(
            "version",
            Field.text("title"),
            Field.textarea("purpose", rows=6, max_characters=3000),
            Field.checkboxes("wards", legend_size=Size.SMALL, small=True),
            Field.text("people_benefiting", field_width=10),
        )


class DatesForm(VersionedForm):
    project_start = RealDateField(
        label="When will the project start?",
        help_text="For example, 10 1 2027",
        require_all_fields=False,
        what="the date the project starts",
        called="Project start date",
    )
    project_end = RealDateField(
        label="When will the project end?",
        help_text="For example, 20 3 2027",
        require_all_fields=False,
        what="the date the project ends",
        called="Project end date",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = section_helper(
            "version",
            Field("project_start", context={"legend_size": Size.for_legend(Size.MEDIUM)}),
            Field("project_end", context={"legend_size": Size.for_legend(Size.MEDIUM)}),
        )

    def clean(self):
        data = super().clean()
        start, end = data.get("project_start"), data.get("project_end")
        if start and end and end < start:
            self.add_error(
                "project_end",
                f"Project end date must be the same as or after {start.day} {start:%B %Y}, "
                "the date the project starts",
            )
        return data


class BudgetLineForm(forms.Form):
    item = forms.CharField(
        label="What will you buy or pay for?",
        max_length=200,
        error_messages={
            "required": "Enter what you will buy or pay for",
            "max_length": "What you will buy must be 200 characters or fewer",
        },
    )
    cost = money_field("Cost", what="the cost")
    quote = forms.FileField(
        label="Quote (optional)",
        help_text=UPLOAD_HINT,
        required=False,
        validators=[*upload_validators(), validate_upload_content],
        error_messages={"invalid_extension": "The quote must be a PDF, JPG, PNG, DOCX or XLSX"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = section_helper(
            Fieldset(
                Field.text("item"),
                money_input("cost"),
                Field("quote"),
                add_button("Add this cost"),
                legend="Add a cost",
                legend_size=Size.MEDIUM,
                legend_tag="h2",
            ),
            LIST_END,
        )
        self.helper.attrs = {"id": "add-cost"}


def short_of(lines: Decimal, asked: Decimal) -> str:
    """What to do when the costs listed come to less than the amount asked for."""
    return (
        f"Your costs add up to {pounds(lines)}, {pounds(asked - lines)} less than the "
        f"{pounds(asked)} you asked for. Add costs or change the amount you are asking for"
    )


class AmountForm(VersionedForm):
    """The amount asked for, on a page of its own: it is checked against the fund's limits and
    against the costs the group has listed."""

    amount_requested = money_field(
        "How much are you asking the council for?",
        what="the amount you are asking for",
        example="500.00",
    )

    def __init__(self, *args, fund_year, lines_total: Decimal, **kwargs):
        super().__init__(*args, **kwargs)
        self.fund_year, self.lines_total = fund_year, lines_total
        fund = fund_year.fund.name
        self.fields["amount_requested"].help_text = (
            f"The {fund} gives grants from {pounds(fund_year.min_award)} to "
            f"{pounds(fund_year.max_award)}."
            + (f" Your costs add up to {pounds(lines_total)}." if lines_total else "")
        )
        self.helper = section_helper(
            "version",
            money_input(
                "amount_requested",
                context={"label_tag": "h1", "label_size": Size.for_label(Size.LARGE)},
            ),
        )

    def clean_amount_requested(self):
        amount = self.cleaned_data["amount_requested"]
        fy, lines = self.fund_year, self.lines_total
        if amount < fy.min_award or amount > fy.max_award:
            raise forms.ValidationError(
                f"Ask for an amount from {pounds(fy.min_award)} to {pounds(fy.max_award)}: "
                f"the {fy.fund.name} gives grants of that size"
            )
        if lines and amount > lines:
            raise forms.ValidationError(short_of(lines, amount))
        share = fy.match_funding_share
        if lines and share and amount > lines * (100 - share) / 100:
            most = (lines * (100 - share) / 100).quantize(Decimal("0.01"))
            raise forms.ValidationError(
                f"Ask for {pounds(most)} or less: the {fy.fund.name} pays up to "
                f"{(100 - share).normalize():f}% of your costs of {pounds(lines)}, and you find "
                "the rest elsewhere"
            )
        return amount


class MatchFundingForm(forms.Form):
    source = forms.CharField(
        label="Where is the money coming from?",
        help_text="Such as ‘Our own savings’, ‘Parish council grant’ or ‘National Lottery’",
        max_length=200,
        error_messages={
            "required": "Enter where the money is coming from",
            "max_length": "Where the money is coming from must be 200 characters or fewer",
        },
    )
    amount = money_field("Amount", what="the amount of match funding")
    secured = forms.ChoiceField(
        label="Have you got this money already, or has it been promised to you?",
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose yes if you have the money or it has been promised"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = section_helper(
            Fieldset(
                Field.text("source"),
                money_input("amount"),
                Field.radios("secured", legend_size=Size.SMALL, inline=True),
                add_button("Add this funding"),
                legend="Add other funding",
                legend_size=Size.MEDIUM,
                legend_tag="h2",
            ),
            LIST_END,
        )
        self.helper.attrs = {"id": "add-funding"}


class AttachmentForm(forms.Form):
    description = forms.CharField(
        label="What is the document?",
        help_text="Such as ‘Quote for benches’ or ‘Constitution’",
        max_length=200,
        error_messages={
            "required": "Enter what the document is",
            "max_length": "What the document is must be 200 characters or fewer",
        },
    )
    file = forms.FileField(
        label="Upload a file",
        help_text=UPLOAD_HINT,
        validators=[*upload_validators(), validate_upload_content],
        error_messages={
            "required": "Select a file to upload",
            "empty": "The selected file is empty",
            "invalid_extension": "The file must be a PDF, JPG, PNG, DOCX, XLSX, ODT or ODS",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = section_helper(
            Fieldset(
                Field.text("description"),
                Field("file"),
                add_button("Upload this document"),
                legend="Add a document",
                legend_size=Size.MEDIUM,
                legend_tag="h2",
            ),
            LIST_END,
        )
        self.helper.attrs = {"id": "add-document"}


# --- after submission -----------------------------------------------------------------------


class ConfirmForm(forms.Form):
    """No questions: a button whose refusal, if any, shows in the error summary."""

    def __init__(self, *args, button: str = "Submit application", **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = helper(button=button)


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="Why are you withdrawing the application?",
        help_text="The council and your ward councillors will be told.",
        widget=forms.Textarea,
        max_length=1000,
        error_messages={
            "required": "Enter why you are withdrawing the application",
            "max_length": "The reason must be 1000 characters or fewer",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Field.textarea("reason", rows=4, label_size=Size.SMALL),
            Submit("submit", "Withdraw application", css_class="govuk-button--warning"),
        )


class AcceptOfferForm(forms.Form):
    confirm = forms.BooleanField(label="", required=True)

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["confirm"]
        field.label = (
            f"I confirm that I have read the conditions and accept this offer on behalf of "
            f"{organisation}"
        )
        field.error_messages["required"] = (
            f"Confirm that you accept the offer on behalf of {organisation}"
        )
        self.helper = helper(Field.checkbox("confirm"), button="Accept the offer")


class MonitoringForm(forms.Form):
    amount_spent = money_field(
        "How much of the grant did you spend?",
        what="the amount spent",
        example="480.00",
        allow_zero=True,
        help_text="If you spent less than the grant, the council may ask for the rest back.",
    )
    outcomes = forms.CharField(
        label="What did the project achieve?",
        help_text="What you did, what changed and anything that did not go to plan.",
        widget=forms.Textarea,
        max_length=5000,
        error_messages={
            "required": "Enter what the project achieved",
            "max_length": "What the project achieved must be 5000 characters or fewer",
        },
    )
    people_reached = forms.IntegerField(
        label="How many people did it reach?",
        min_value=0,
        max_value=10_000_000,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false"}),
        error_messages={
            "required": "Enter how many people the project reached, such as 150",
            "invalid": "Enter the number of people as a whole number, such as 150",
            "min_value": "Enter a number of people of 0 or more",
            "max_value": "Enter a number of people of 10,000,000 or fewer",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = helper(
            money_input("amount_spent"),
            Field.textarea("outcomes", rows=6),
            Field.text("people_reached", field_width=10),
            button="Send report",
        )
