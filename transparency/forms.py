"""The filters of the public grants list and of the dashboards: GET forms, every field optional.

Values in the address are the ones people read: the year as 2025/26, the fund by its code, the
ward by its GSS code, so a filtered list can be linked to.
"""

from __future__ import annotations

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Div, Field, Layout
from django import forms

from budgets.models import FinancialYear, Fund, Ward


def _select(form: forms.Form, *names: str) -> None:
    for name in names:
        form.fields[name].error_messages["invalid_choice"] = "Choose from the list"
    form.helper = FormHelper()
    form.helper.form_tag = False  # the template holds the GET form and its button
    form.helper.form_method = "get"  # so crispy adds no CSRF token to the address
    form.helper.layout = Layout(
        Div(*[Field.select(name) for name in names], css_class="fm-filters__row")
    )


def _years(empty: str) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label="Financial year",
        required=False,
        queryset=FinancialYear.objects.order_by("-start"),
        to_field_name="label",
        empty_label=empty,
    )


def _funds() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label="Fund",
        required=False,
        queryset=Fund.objects.order_by("name"),
        to_field_name="code",
        empty_label="All funds",
    )


class GrantFilterForm(forms.Form):
    year = _years("All years")
    fund = _funds()
    ward = forms.ModelChoiceField(
        label="Ward",
        required=False,
        queryset=Ward.objects.order_by("name"),
        to_field_name="gss_code",
        empty_label="All wards",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _select(self, "year", "fund", "ward")


class WardYearForm(forms.Form):
    year = _years("All years")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _select(self, "year")


class DashboardFilterForm(forms.Form):
    year = _years("All years")
    fund = _funds()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _select(self, "year", "fund")


def cleaned(form: forms.Form) -> dict:
    """The filters that are valid: a bad one is reported and left out, the others still apply."""
    if form.is_bound:
        form.is_valid()
    return {k: v for k, v in getattr(form, "cleaned_data", {}).items() if k not in form.errors}
