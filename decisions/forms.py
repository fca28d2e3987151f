"""Forms of the grants officer's pages. They check what a person typed; the services check the
rules (who may, what the money allows) and their refusals are shown through `add_refusal`. The
workbench's forms are decisions.workbench_forms."""

from __future__ import annotations

from crispy_forms_gds.layout import Field, Size
from django import forms
from django.contrib.auth import get_user_model

from budgets.models import Fund
from fundmgr.forms import RealDateField, helper, money_field, money_input
from fundmgr.money import pounds
from fundmgr.roles import Role, holders

# --- an application's steps -----------------------------------------------------------------


ELIGIBILITY_CHOICES = {
    "mark_eligible": "Eligible: it goes forward",
    "mark_ineligible": "Not eligible",
    "return_to_applicant": "Return it to the group for more information",
}


class EligibilityForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Is the application eligible?",
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether the application is eligible"},
    )
    note = forms.CharField(
        label="What the group is told",
        help_text="Optional if it is eligible. If it is not eligible, say why; to return it, say "
        "what the group needs to add or change.",
        required=False,
        widget=forms.Textarea,
    )

    def __init__(self, *args, offered: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].choices = [(t, ELIGIBILITY_CHOICES[t]) for t in offered]
        self.helper = helper(
            Field.radios("outcome", legend_size=Size.MEDIUM),
            Field.textarea("note", rows=4),
            button="Save and continue",
        )

    def clean(self):
        data = super().clean()
        outcome, note = data.get("outcome"), (data.get("note") or "").strip()
        if outcome == "mark_ineligible" and not note:
            self.add_error("note", "Say why the application is not eligible")
        if outcome == "return_to_applicant" and not note:
            self.add_error("note", "Say what the group needs to add or change")
        return data


class AssessmentForm(forms.Form):
    recommendation = forms.ChoiceField(
        label="What do you recommend?",
        widget=forms.RadioSelect,
        choices=[("approve", "Approve"), ("reject", "Reject")],
        error_messages={"required": "Select approve or reject"},
    )
    recommended_amount = money_field(
        "Amount to award",
        help_text="If you recommend approval.",
        example="500.00",
        what="the amount to award",
        required=False,
    )
    notes = forms.CharField(
        label="Assessment",
        help_text="How the bid meets the fund's criteria. The decision-maker relies on it.",
        widget=forms.Textarea,
        error_messages={"required": "Enter your assessment"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = helper(
            Field.radios("recommendation", legend_size=Size.MEDIUM, inline=True),
            money_input("recommended_amount"),
            Field.textarea("notes", rows=6),
            button="Send for a decision",
        )

    def clean(self):
        data = super().clean()
        if data.get("recommendation") == "approve" and data.get("recommended_amount") is None:
            if "recommended_amount" not in self.errors:
                field = self.fields["recommended_amount"]
                self.add_error("recommended_amount", field.error_messages["required"])
        return data


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Decision",
        widget=forms.RadioSelect,
        choices=[
            ("approve", "Approve"),
            ("reject", "Reject"),
            ("defer", "Defer: decide at a later date"),
        ],
        error_messages={"required": "Select approve, reject or defer"},
    )
    amount = money_field(
        "Amount awarded",
        help_text="If you approve.",
        example="500.00",
        what="the amount awarded",
        required=False,
    )
    conditions = forms.CharField(
        label="Conditions of the grant (optional)",
        help_text="One condition a line. They are printed in the offer letter.",
        required=False,
        widget=forms.Textarea,
    )
    reasons = forms.CharField(
        label="Reasons for the decision",
        help_text="They are published in the decision notice.",
        widget=forms.Textarea,
        error_messages={"required": "Enter the reasons for the decision"},
    )

    def __init__(self, *args, button: str = "Record the decision", **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = helper(
            Field.radios("outcome", legend_size=Size.MEDIUM),
            money_input("amount"),
            Field.textarea("conditions", rows=3),
            Field.textarea("reasons", rows=5),
            button=button,
        )

    def clean(self):
        data = super().clean()
        if data.get("outcome") == "approve" and data.get("amount") is None:
            if "amount" not in self.errors:
                self.add_error("amount", self.fields["amount"].error_messages["required"])
        return data


class NoteForm(forms.Form):
    """A step that needs only a few words: withdraw, revoke, close, return."""

    note = forms.CharField(widget=forms.Textarea)

    def __init__(
        self, *args, label: str, hint: str, required: bool, missing: str, button: str, **kwargs
    ):
        super().__init__(*args, **kwargs)
        field = self.fields["note"]
        field.label, field.help_text, field.required = label, hint, required
        field.error_messages["required"] = missing
        self.helper = helper(Field.textarea("note", rows=4, label_size=Size.MEDIUM), button=button)


# What each few-words step asks for (NoteForm's arguments), by step.
NOTE_STEPS = {
    "return": dict(
        label="What does the group need to add or change?",
        hint="The group is told, and the application goes back to them as a draft.",
        required=True,
        missing="Say what the group needs to add or change",
        button="Return to the group",
    ),
    "withdraw": dict(
        label="Why is it withdrawn?",
        hint="The group and the ward's councillors are told. Any commitment is released.",
        required=True,
        missing="Say why the application is withdrawn",
        button="Withdraw the application",
    ),
    "revoke": dict(
        label="Which condition of the grant was breached?",
        hint="Further payments stop, and what was paid is owed back.",
        required=True,
        missing="Say which condition was breached",
        button="Revoke the grant",
    ),
    "close": dict(
        label="Closing note (optional)",
        hint="For example, what the monitoring report showed.",
        required=False,
        missing="",
        button="Close the grant",
    ),
    "lapse": dict(
        label="Note (optional)",
        hint="The offer was not accepted in time; the award is released.",
        required=False,
        missing="",
        button="Mark as lapsed",
    ),
}


# --- panels ---------------------------------------------------------------------------------


class PanelMeetingForm(forms.Form):
    title = forms.CharField(
        label="Title",
        max_length=200,
        help_text="For example, CCIF grants panel, March 2027.",
        error_messages={"required": "Enter a title for the meeting"},
    )
    fund = forms.ModelChoiceField(
        label="Fund",
        queryset=Fund.objects.order_by("name"),
        empty_label="Choose a fund",
        error_messages={"required": "Choose the fund the panel decides"},
    )
    date = RealDateField(label="Date of the meeting", help_text="For example, 17 3 2027")
    quorum = forms.IntegerField(
        label="Quorum",
        help_text="How many members without an interest must attend to decide an item.",
        min_value=1,
        max_value=50,
        initial=3,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "required": "Enter the quorum, such as 3",
            "invalid": "Enter the quorum as a whole number, such as 3",
            "min_value": "The quorum must be at least 1",
            "max_value": "The quorum must be 50 or fewer",
        },
    )
    members = forms.ModelMultipleChoiceField(
        label="Members",
        help_text="People in the Panel member role.",
        queryset=get_user_model().objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose the panel's members"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = holders(Role.PANEL_MEMBER).order_by(
            "last_name", "first_name", "username"
        )
        self.fields["date"].error_messages.update(
            required="Enter the date of the meeting", incomplete="Enter the date of the meeting"
        )
        self.helper = helper(
            Field.text("title", field_width="two-thirds"),
            Field.select("fund"),
            Field("date"),
            Field.text("quorum", field_width=3),
            Field.checkboxes("members", small=True),
            button="Arrange the meeting",
        )


class AgendaForm(forms.Form):
    applications = forms.ModelMultipleChoiceField(
        label="Applications waiting for a decision",
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one application to add"},
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["applications"]
        field.queryset = candidates
        field.label_from_instance = lambda app: (
            f"{app.reference}: {app.organisation}, {app.title} ({pounds(app.amount_requested)})"
        )
        self.helper = helper(
            Field.checkboxes("applications", legend_size=Size.MEDIUM, small=True),
            button="Add to the agenda",
        )


class RegisterForm(forms.Form):
    attended = forms.ModelMultipleChoiceField(
        label="Who attended?",
        help_text="Everyone not ticked sent apologies.",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, meeting, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attended"].queryset = meeting.members.order_by("last_name", "first_name")
        self.helper = helper(
            Field.checkboxes("attended", legend_size=Size.MEDIUM, small=True),
            button="Save the register",
        )
