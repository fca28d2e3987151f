"""The workbench's forms: its filters (a GET form: the filters live in the address, with no CSRF
token in it), the column it is sorted by, a view an officer saves, and the bids they select
for a bulk action."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Div, Field, Layout
from django import forms
from django.http import QueryDict

from applications.workflow import Status
from budgets.models import FinancialYear, Fund, Ward
from fundmgr.forms import money_field, money_input
from fundmgr.money import pounds

# The filters' names in the address, and the sort's: a saved view keeps these and nothing else.
FILTERS = ("q", "state", "fund", "year", "ward", "amount_from", "amount_to")
SORT_KEYS = {  # in the order of the table's columns
    "reference": "Reference",
    "group": "Group and project",
    "received": "Received",
    "fund": "Fund",
    "ward": "Ward",
    "amount": "Amount",
    "status": "Status",
    "waiting": "Days waiting",
}
# Most selected at once: a bulk action on more waits too long for one page to answer.
MOST_SELECTED = 200


class WorkbenchFilterForm(forms.Form):
    """The workbench's filters: a GET form, every field optional."""

    q = forms.CharField(
        label="Reference or organisation",
        help_text="For example, CCIF26-000123 or Friends of Abbey Park.",
        required=False,
        max_length=200,
        strip=True,
    )
    state = forms.ChoiceField(
        label="Status", required=False, choices=[("", "All but drafts"), *Status.choices]
    )
    fund = forms.ModelChoiceField(
        label="Fund", required=False, queryset=Fund.objects.order_by("name"), empty_label="All"
    )
    year = forms.ModelChoiceField(
        label="Financial year",
        required=False,
        queryset=FinancialYear.objects.order_by("-start"),
        empty_label="All",
    )
    ward = forms.ModelChoiceField(
        label="Ward", required=False, queryset=Ward.objects.order_by("name"), empty_label="All"
    )
    amount_from = money_field(
        "Amount from", example="100.00", what="the smallest amount", required=False, allow_zero=True
    )
    amount_to = money_field(
        "Amount to", example="1500.00", what="the largest amount", required=False, allow_zero=True
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].error_messages["invalid_choice"] = "Choose a status from the list"
        for name in ("fund", "year", "ward"):
            self.fields[name].error_messages["invalid_choice"] = "Choose from the list"
        self.helper = FormHelper()
        self.helper.form_tag = False  # the template holds the GET form and its button
        self.helper.form_method = "get"  # so crispy adds no CSRF token to the address
        self.helper.layout = Layout(
            Field.text("q", field_width="two-thirds"),
            Div(
                Field.select("state"),
                Field.select("fund"),
                Field.select("year"),
                Field.select("ward"),
                money_input("amount_from"),
                money_input("amount_to"),
                css_class="fm-filters__row",
            ),
        )

    def clean(self):
        data = super().clean()
        low, high = data.get("amount_from"), data.get("amount_to")
        if low is not None and high is not None and low > high:
            self.add_error(
                "amount_to", "The largest amount must be the same as or more than the smallest"
            )
        return data


@dataclass(frozen=True)
class Sort:
    """The column the list is sorted by (None: what waits first) and which way."""

    key: str | None = None
    descending: bool = False

    @property
    def order(self) -> str:
        return "desc" if self.descending else "asc"


def sort_from(query: QueryDict) -> Sort:
    """The sort the address asks for: a column the table has, or none. Anything else (a column
    it has not, SQL, a typo) falls back to what waits first: it is never an error."""
    key = query.get("sort")
    if key not in SORT_KEYS:
        return Sort()
    return Sort(key, query.get("order") == "desc")


def view_query(query: QueryDict) -> str | None:
    """The filters and sort of a workbench address, as a saved view keeps them: only the names
    the workbench reads, empty ones left out, in a fixed order. None when a filter is wrong
    (checked by the filter form, as the workbench itself checks it)."""
    form = WorkbenchFilterForm(query)
    if not form.is_valid():
        return None
    kept = QueryDict(mutable=True)
    for name in FILTERS:
        if value := (query.get(name) or "").strip():
            kept[name] = value
    sort = sort_from(query)
    if sort.key:
        kept["sort"] = sort.key
        kept["order"] = sort.order
    return kept.urlencode()


def describe_view(query: str) -> list[tuple[str, str]]:
    """What a view's address shows, in words, for the page that saves it: each filter given
    ("Ward", "Abbey Meadow"), then the sort."""
    form = WorkbenchFilterForm(QueryDict(query))
    if not form.is_valid():
        return []
    rows = []
    for name in FILTERS:
        value = form.cleaned_data.get(name)
        if value in (None, ""):
            continue
        if name == "state":
            text = Status(value).label
        elif isinstance(value, Decimal):
            text = pounds(value)
        else:
            text = str(value)
        rows.append((str(form.fields[name].label), text))
    sort = sort_from(QueryDict(query))
    if sort.key:
        way = "descending" if sort.descending else "ascending"
        rows.append(("Sorted by", f"{SORT_KEYS[sort.key].lower()}, {way}"))
    return rows


class SavedViewForm(forms.Form):
    """An officer names the filters and sort they are looking at, to come back to them."""

    name = forms.CharField(
        label="Name this view",
        help_text="For example, My ward's bids over £5,000.",
        max_length=80,
        error_messages={
            "required": "Enter a name for this view",
            "max_length": "The name must be 80 characters or fewer",
        },
    )
    query = forms.CharField(required=False, widget=forms.HiddenInput, max_length=2000)

    def __init__(self, *args, officer=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.officer = officer

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Enter a name for this view")
        from decisions.models import SavedView

        if self.officer and SavedView.objects.filter(officer=self.officer, name=name).exists():
            raise forms.ValidationError(
                f"You already have a view called {name}: choose another name, or delete that one"
            )
        return name

    def clean_query(self) -> str:
        query = view_query(QueryDict(self.cleaned_data.get("query") or ""))
        if query is None:
            raise forms.ValidationError(
                "These filters have a problem: correct them on the workbench, then save the view"
            )
        return query
