"""The forms of the kernel's own pages (signing in, passwords, two-factor codes), and the
toolkit every app's forms are built from: `helper` (the fields, then the form's one button),
`money_field` and `money_input` (pounds and pence in a box with "£" before it) and
`RealDateField` (GOV.UK's date input, which refuses 31 February)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal

from crispy_forms_gds.fields import DateInputField
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Submit
from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.template import loader

from fundmgr.money import EXAMPLE, MoneyError, MoneyRules, read_money, within


class SignInForm(AuthenticationForm):
    """Django's sign-in, with an e-mail address (or a staff username) and messages in the GOV.UK
    style."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Enter a correct email address and password. The password is "
        "case-sensitive.",
        "inactive": "This account is not switched on. If you have just created it, follow the "
        "link in the email we sent you to confirm your address. Otherwise contact the grants "
        "team.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Email address"
        self.fields["username"].error_messages["required"] = "Enter your email address"
        self.fields["password"].error_messages["required"] = "Enter your password"


def add_refusal(form, error, *, fields: Mapping[str, str] | None = None) -> None:
    """Show a refused service call (a DomainError) in the form's GOV.UK error summary and, when
    the refusal is about one input (`error.field`), at that field too, where the summary links.

    `fields` maps the service's names to the form's where they differ (the service's `reason` is
    the page's `note`). A refusal about no field of this form goes in the summary alone."""
    field = getattr(error, "field", None)
    field = (fields or {}).get(field, field) if field else None
    form.add_error(field if field in form.fields else None, error.message)


class MoneyField(forms.Field):
    """Pounds and pence in a text box with a decimal keypad (GOV.UK advises against
    type=number), read by `fundmgr.money.read_money`: "£1,250" is 1250.00, "1e3" is refused.

    `what` names the field in its messages ("the amount requested"); zero and negative amounts
    are refused unless `allow_zero` or `allow_negative`. The API's `fundmgr.api.MoneyField`
    takes the same arguments and answers with the same words."""

    def __init__(
        self,
        *,
        what: str = "",
        example: str = EXAMPLE,
        allow_zero: bool = False,
        allow_negative: bool = False,
        max_digits: int = 12,
        decimal_places: int = 2,
        **kwargs,
    ):
        # A model's DecimalField passes max_digits and decimal_places (ModelForm field_classes);
        # without `what`, the label names the field ("Maximum award" is "the maximum award").
        if decimal_places != 2:
            raise ValueError("Money has two decimal places.")
        kwargs.pop("max_value", None), kwargs.pop("min_value", None)  # the rules say these
        label = str(kwargs.get("label") or "amount")
        self.rules = MoneyRules(
            what=what or f"the {label[:1].lower()}{label[1:]}",
            example=example,
            allow_zero=allow_zero,
            allow_negative=allow_negative,
            max_digits=max_digits,
        )
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={"inputmode": "decimal", "spellcheck": "false", "autocomplete": "off"}
            ),
        )
        super().__init__(**kwargs)
        self.error_messages = {**self.error_messages, **self.rules.messages()}

    def to_python(self, value) -> Decimal | None:
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        try:
            if isinstance(value, Decimal):  # an initial value, or a caller's own
                return within(value, self.rules)
            return read_money(str(value), self.rules)
        except MoneyError as error:
            raise forms.ValidationError(error.message, code=error.code) from None


def money_field(label: str, *, what: str, example: str = EXAMPLE, **kwargs) -> MoneyField:
    """A pounds-and-pence form field: `what` names it in its messages ("Enter the cost")."""
    return MoneyField(label=label, what=what, example=example, **kwargs)


MONEY_TEMPLATE = "fundmgr/fields/money.html"


def money_input(name: str, **kwargs) -> Field:
    """The layout of a money field: a GOV.UK text input, 10 characters wide, with "£" before it
    (crispy-forms-gds has no prefix option of its own). `context={"label_tag": "h2",
    "label_size": ...}` makes the label a heading."""
    return Field(name, template=MONEY_TEMPLATE, css_class="govuk-input--width-10", **kwargs)


class RealDateField(DateInputField):
    """GOV.UK's date input (day, month, year boxes), with its message for a date that does not
    exist (31 February). `what` says what to enter when it is left empty ("Enter the date the
    money is paid"); without it, crispy-forms-gds's own message. `called` names the date in the
    message for one that does not exist ("Project start date must be a real date") when the label
    is a question; without it, the label does."""

    def __init__(self, *, what: str = "", called: str = "", **kwargs):
        super().__init__(**kwargs)
        if what:
            self.error_messages.update(required=f"Enter {what}", incomplete=f"Enter {what}")
        self.what = what
        self.called = called

    def compress(self, data_list) -> datetime.date | None:
        day, month, year = data_list
        if not (day and month and year):
            return None
        try:
            return datetime.date(int(year), int(month), int(day))
        except ValueError:
            raise forms.ValidationError(
                f"{self.called or self.label} must be a real date"
            ) from None


def helper(*fields, button: str = "Save and continue", method: str = "post") -> FormHelper:
    """A form's crispy-forms-gds helper: the fields in order, then one button. "Save and
    continue" is GOV.UK's words for a page of questions; `method="get"` for a filter or a choice
    that changes nothing."""
    form_helper = FormHelper()
    form_helper.form_method = method
    form_helper.layout = Layout(*fields, Submit("submit", button))
    return form_helper


# --- password reset ------------------------------------------------------------------------


class PasswordResetRequestForm(PasswordResetForm):
    """Asks for the address; Django's view then answers the same whether an account has it."""

    email = forms.EmailField(
        label="Email address",
        max_length=254,
        error_messages={
            "required": "Enter your email address",
            "invalid": "Enter an email address in the correct format, like name@example.com",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = helper(Field.text("email"), button="Send the link")

    def get_users(self, email):
        """Django's (active accounts with the address and a usable password), and also an
        account made for someone who has never signed in and has no password yet (a councillor
        imported by budgets.councillor_imports, whose invitation link has run out)."""
        from django.contrib.auth import get_user_model

        yield from super().get_users(email)
        for user in get_user_model()._default_manager.filter(
            email__iexact=email, is_active=True, last_login__isnull=True
        ):
            if not user.has_usable_password():
                yield user

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        from fundmgr.accounts import send_private_mail

        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        send_private_mail(to=to_email, subject=subject, body=body)


class NewPasswordForm(SetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        first, second = self.fields["new_password1"], self.fields["new_password2"]
        first.label = "Create a new password"
        first.help_text = (
            "At least 8 characters. Do not use a common password, only numbers, or your name "
            "or email address."
        )
        first.error_messages["required"] = "Create a new password"
        second.label = "Confirm your new password"
        second.error_messages["required"] = "Enter your new password again"
        self.error_messages = {
            **self.error_messages,
            "password_mismatch": "Enter the same password in both boxes",
        }
        self.helper = helper(
            Field.text("new_password1", field_width=20),
            Field.text("new_password2", field_width=20),
            button="Change password",
        )


# --- two-factor authentication -------------------------------------------------------------


class TwoFactorCodeForm(forms.Form):
    """The code step: a code from the authenticator app, or one of the recovery codes."""

    code = forms.CharField(
        label="Code",
        help_text="The 6-digit code your authenticator app shows now, or one of your recovery "
        "codes.",
        max_length=32,
        error_messages={"required": "Enter the code from your authenticator app"},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "none",
                "spellcheck": "false",
            }
        ),
    )

    def __init__(self, *args, button: str = "Continue", **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = helper(Field.text("code", field_width=10), button=button)

    def clean_code(self) -> str:
        return "".join(self.cleaned_data["code"].split()).lower()
