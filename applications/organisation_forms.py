"""Forms for signing up, organisations, bank details and the eligibility checker."""

from __future__ import annotations

from crispy_forms_gds.layout import Field, Size
from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db.models import Q

from applications import organisations
from applications.forms import YES_NO
from applications.models import (
    Membership,
    Organisation,
)
from budgets.models import Ward
from fundmgr.errors import DomainError
from fundmgr.forms import helper, money_field, money_input
from fundmgr.models import User

# --- accounts -------------------------------------------------------------------------------


class RegisterForm(forms.Form):
    first_name = forms.CharField(
        label="First name",
        max_length=150,
        error_messages={"required": "Enter your first name"},
        widget=forms.TextInput(attrs={"autocomplete": "given-name", "spellcheck": "false"}),
    )
    last_name = forms.CharField(
        label="Last name",
        max_length=150,
        error_messages={"required": "Enter your last name"},
        widget=forms.TextInput(attrs={"autocomplete": "family-name", "spellcheck": "false"}),
    )
    email = forms.EmailField(
        label="Email address",
        help_text="You will use this to sign in. We will send updates about your applications "
        "to it.",
        max_length=150,
        error_messages={
            "required": "Enter your email address",
            "invalid": "Enter an email address in the correct format, like name@example.com",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    password1 = forms.CharField(
        label="Create a password",
        help_text="At least 8 characters. Do not use a common password, only numbers, or your "
        "name or email address.",
        strip=False,
        error_messages={"required": "Create a password"},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="Confirm your password",
        strip=False,
        error_messages={"required": "Enter your password again"},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = helper(
            Field.text("first_name", field_width=20),
            Field.text("last_name", field_width=20),
            Field.text("email"),
            Field.text("password1", field_width=20),
            Field.text("password2", field_width=20),
            button="Create account",
        )

    def clean(self):
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", "Enter the same password in both boxes")
        if first:
            person = User(
                username=data.get("email", ""),
                email=data.get("email", ""),
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
            )
            try:
                password_validation.validate_password(first, user=person)
            except ValidationError as error:
                self.add_error("password1", error)
        return data


# --- organisations --------------------------------------------------------------------------


class OrganisationForm(forms.ModelForm):
    """Checked against the model's own rules (charity and company numbers); saved only by
    `applications.organisations`."""

    # Room for however it is typed ("sw1a  1aa "): written as Royal Mail writes it, it fits
    # the model's 8 characters, or is refused as not a postcode.
    postcode = forms.CharField(
        label="Postcode",
        help_text="For example, SW1A 1AA",
        max_length=20,
        error_messages={
            "required": "Enter the postcode",
            "max_length": organisations.POSTCODE_MESSAGE,
        },
        widget=forms.TextInput(attrs={"autocomplete": "postal-code"}),
    )

    class Meta:
        model = Organisation
        fields = [
            "name",
            "kind",
            "charity_number",
            "company_number",
            "address",
            "postcode",
            "ward",
            "email",
            "phone",
        ]
        labels = {
            "name": "Name of your organisation",
            "kind": "What type of organisation is it?",
            "charity_number": "Registered charity number (if you have one)",
            "company_number": "Company number (if you have one)",
            "address": "Address",
            "ward": "Ward",
            "email": "Email address for the organisation",
            "phone": "Phone number (optional)",
        }
        help_texts = {
            "charity_number": "If your organisation is a registered charity or a CIO, such as "
            "1234567 or SC012345. Leave it empty if it is not registered.",
            "company_number": "Community interest companies and companies limited by guarantee "
            "only, such as 01234567",
            "ward": "The council ward where your organisation is based",
            "email": "We send letters about your grants here",
        }
        widgets = {
            "kind": forms.RadioSelect,
            "address": forms.Textarea(attrs={"autocomplete": "street-address"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
        }
        error_messages = {
            "name": {"required": "Enter the name of your organisation"},
            "kind": {"required": "Choose the type of organisation"},
            "address": {"required": "Enter the address"},
            "ward": {
                "required": "Choose the ward your organisation is based in",
                "invalid_choice": "Choose a ward from the list",
            },
            "email": {
                "required": "Enter the email address for the organisation",
                "invalid": "Enter an email address in the correct format, like name@example.com",
            },
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = Organisation.Kind.choices
        # Today's wards, and the group's own if a boundary review has since ended it.
        offered = Q(ended_on__isnull=True)
        if self.instance.ward_id:
            offered |= Q(pk=self.instance.ward_id)
        self.fields["ward"].queryset = Ward.objects.filter(offered).order_by("name")
        self.fields["ward"].empty_label = "Choose a ward"
        self.helper = helper(
            Field.text("name"),
            Field.radios("kind", legend_size=Size.SMALL),
            Field.text("charity_number", field_width=10),
            Field.text("company_number", field_width=10),
            Field.textarea("address", rows=3),
            Field.text("postcode", field_width=10),
            Field.select("ward"),
            Field.text("email"),
            Field.text("phone", field_width=20),
            button="Save",
        )

    def _normalised(self, name: str) -> str:
        try:
            return organisations.NORMALISERS[name](self.cleaned_data[name])
        except DomainError as error:
            raise ValidationError(error.message) from None

    def clean_postcode(self):
        return self._normalised("postcode")

    def clean_charity_number(self):
        return self._normalised("charity_number")

    def clean_company_number(self):
        return self._normalised("company_number")

    def profile(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class OrganisationNewForm(OrganisationForm):
    """Registering a group also asks the person's own role in it, which they are then given."""

    role = forms.ChoiceField(
        label="What is your role in the organisation?",
        help_text="If you hold more than one role, choose the main one.",
        choices=Membership.Role.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose your role in the organisation",
            "invalid_choice": "Choose your role in the organisation",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.layout.insert(
            len(self.helper.layout) - 1,  # before the button
            Field.radios("role", legend_size=Size.SMALL),
        )
        self.helper.layout[-1].value = "Register organisation"


class InviteForm(forms.Form):
    email = forms.EmailField(
        label="Their email address",
        help_text="We will email them an invitation. They join when they accept it.",
        max_length=254,
        error_messages={
            "required": "Enter the email address of the person to invite",
            "invalid": "Enter an email address in the correct format, like name@example.com",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    role = forms.ChoiceField(
        label="Their role in the organisation",
        choices=Membership.Role.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose their role in the organisation"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = helper(
            Field.text("email"),
            Field.radios("role", legend_size=Size.SMALL),
            button="Send invitation",
        )


class BankDetailsForm(forms.Form):
    account_name = forms.CharField(
        label="Name on the account",
        help_text="As your bank shows it, up to 18 characters",
        max_length=18,
        error_messages={
            "required": "Enter the name on the account",
            "max_length": "Name on the account must be 18 characters or fewer",
        },
        widget=forms.TextInput(attrs={"spellcheck": "false"}),
    )
    sort_code = forms.CharField(
        label="Sort code",
        help_text="Must be 6 digits long",
        error_messages={"required": "Enter a sort code"},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false"}),
    )
    account_number = forms.CharField(
        label="Account number",
        help_text="Must be 8 digits long",
        error_messages={"required": "Enter an account number"},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = helper(
            Field.text("account_name", field_width=20),
            Field.text("sort_code", field_width=5),
            Field.text("account_number", field_width=10),
            button="Save bank details",
        )

    def clean_sort_code(self):
        value = self.cleaned_data["sort_code"].replace("-", "").replace(" ", "")
        if not (value.isdigit() and len(value) == 6):
            raise ValidationError("Enter a valid sort code like 309430")
        return value

    def clean_account_number(self):
        value = self.cleaned_data["account_number"].replace(" ", "")
        if not (value.isdigit() and len(value) == 8):
            raise ValidationError("Enter a valid account number like 00733445")
        return value


# --- eligibility ----------------------------------------------------------------------------


class EligibilityForm(forms.Form):
    kind = forms.ChoiceField(
        label="What type of organisation are you?",
        choices=Organisation.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the type of organisation"},
    )
    ward = forms.ModelChoiceField(
        label="Which ward will the project benefit?",
        queryset=Ward.objects.current().order_by("name"),
        empty_label="Choose a ward",
        error_messages={
            "required": "Choose the ward the project will benefit",
            "invalid_choice": "Choose a ward from the list",
        },
    )
    amount = money_field(
        "How much money do you need from the council?",
        what="the amount you need",
        example="750.00",
        help_text="In pounds. Leave out money you are getting from elsewhere.",
    )
    capital = forms.ChoiceField(
        label="Is it a capital project?",
        help_text="Capital means buying, building or improving something that lasts, such as "
        "equipment, a building or a play area. Running costs, events and activities are not "
        "capital.",
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose yes if it is a capital project"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = helper(
            Field.radios("kind", legend_size=Size.MEDIUM, legend_tag="h2"),
            Field.select("ward", label_size=Size.MEDIUM, label_tag="h2"),
            money_input(
                "amount", context={"label_size": Size.for_label(Size.MEDIUM), "label_tag": "h2"}
            ),
            Field.radios("capital", legend_size=Size.MEDIUM, legend_tag="h2", inline=True),
            button="Check which funds fit",
            method="get",
        )
        self.helper.form_action = "applications:eligibility_results"
        self.helper.disable_csrf = True
