from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.template.response import TemplateResponse

from applications.models import (
    Application,
    Attachment,
    BankAccount,
    BudgetLine,
    InterestDeclaration,
    Invitation,
    MatchFunding,
    Membership,
    MonitoringReport,
    Organisation,
    Pledge,
    TransitionLog,
)
from applications.support import PENDING
from applications.terms import councillor_term_end
from applications.visibility import organisations_here
from budgets.admin import CouncillorAdmin
from budgets.models import Account, Councillor
from fundmgr.errors import DomainError
from fundmgr.money import pounds


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records the services write: the admin shows them and changes none of them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class MembershipInline(admin.TabularInline):
    """Members are shown and may be removed (someone left the group); nobody is added here:
    people join only by accepting an invitation (applications.group_services)."""

    model = Membership
    extra = 0
    fields = ["user", "role"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class BankAccountInline(ReadOnlyInline):
    model = BankAccount
    fields = ["account_name", "masked", "status", "entered_by", "entered_at", "checked_by"]
    readonly_fields = fields


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "ward", "charity_number", "company_number"]
    list_filter = ["kind", "ward"]
    search_fields = ["name", "charity_number", "company_number", "postcode"]
    inlines = [MembershipInline, BankAccountInline]

    def get_queryset(self, request):
        # Groups are the whole service's: a council's administrator sees the council's groups.
        return super().get_queryset(request).filter(pk__in=organisations_here().values("pk"))


@admin.register(BankAccount)
class BankAccountAdmin(ReadOnlyAdmin):
    list_display = ["organisation", "account_name", "masked", "status", "entered_by", "checked_by"]
    list_filter = ["status"]
    search_fields = ["organisation__name", "account_name"]
    exclude = ["account_number"]
    readonly_fields = ["masked"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(organisation__in=organisations_here())


class BudgetLineInline(ReadOnlyInline):
    model = BudgetLine
    fields = ["item", "cost", "quote"]
    readonly_fields = fields


class PledgeInline(ReadOnlyInline):
    model = Pledge
    fields = ["councillor", "amount", "status", "statement", "created_at"]
    readonly_fields = fields


class TransitionInline(ReadOnlyInline):
    model = TransitionLog
    fields = ["at", "transition", "from_state", "to_state", "by", "note"]
    readonly_fields = fields


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = ["reference", "title", "organisation", "status", "amount_requested"]
    list_filter = ["status", "fund_year__fund", "fund_year__year"]
    search_fields = ["reference", "title", "organisation__name"]
    list_select_related = ["organisation"]
    inlines = [BudgetLineInline, PledgeInline, TransitionInline]


@admin.register(Pledge)
class PledgeAdmin(ReadOnlyAdmin):
    list_display = ["application", "councillor", "amount", "status", "created_at"]
    list_filter = ["status"]
    list_select_related = ["application", "councillor"]


@admin.register(InterestDeclaration)
class InterestDeclarationAdmin(ReadOnlyAdmin):
    list_display = ["application", "user", "kind", "declared_at"]
    list_filter = ["kind"]


@admin.register(TransitionLog)
class TransitionLogAdmin(ReadOnlyAdmin):
    list_display = ["at", "application", "transition", "from_state", "to_state", "by"]
    list_filter = ["transition"]
    search_fields = ["application__reference"]
    list_select_related = ["application", "by"]


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    """Who invited whom to which group, and what became of it (the link's token is not kept)."""

    list_display = ["email", "organisation", "role", "status", "invited_by", "created_at"]
    list_filter = ["status"]
    search_fields = ["email", "organisation__name"]
    list_select_related = ["organisation", "invited_by"]
    exclude = ["token_digest"]


@admin.register(MatchFunding, Attachment, MonitoringReport, Membership)
class OtherApplicationRecordsAdmin(ReadOnlyAdmin):
    pass


# --- terms of office ------------------------------------------------------------------------


class EndTermForm(forms.Form):
    on = forms.DateField(
        label="Last day in office",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The day they resigned, died or were disqualified: today or earlier.",
    )
    reason = forms.CharField(
        label="Why the term ended",
        max_length=200,
        help_text="Resignation, death, disqualification. Groups whose support is withdrawn "
        "are told this.",
    )


class CouncillorTermAdmin(CouncillorAdmin):
    """budgets' admin of councillors, with the action that ends a term. It lives here because
    ending a term withdraws pledges (this app), which budgets never imports."""

    actions = ["end_term"]

    # For those who may change councillors (never an auditor: fundmgr.access.seal_admin).
    @admin.action(description="End this term…", permissions=["change"])
    def end_term(self, request, queryset):
        chosen = list(queryset.select_related("ward", "user")[:2])
        if len(chosen) != 1:
            self.message_user(
                request,
                "Choose one councillor at a time: each term ends on its own day, for its own "
                "reason.",
                messages.ERROR,
            )
            return None
        councillor = chosen[0]
        form = EndTermForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            try:
                ended = councillor_term_end(
                    councillor=councillor,
                    on=form.cleaned_data["on"],
                    reason=form.cleaned_data["reason"],
                    by=request.user,
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                self.message_user(request, _ended_message(ended))
                return None
        allocations = (
            Account.objects.filter(
                kind=Account.Kind.ALLOCATION,
                councillor=councillor,
                fund_year__is_closed=False,
            )
            .select_related("fund_year__fund", "fund_year__year")
            .order_by("fund_year__year__start", "fund_year__fund__name")
        )
        pledges = Pledge.objects.filter(
            councillor=councillor, status=Pledge.Status.PLEDGED, application__status__in=PENDING
        ).select_related("application__organisation")
        return TemplateResponse(
            request,
            "admin/applications/end_term.html",
            {
                **self.admin_site.each_context(request),
                "title": f"End the term of {councillor}",
                "opts": self.model._meta,
                "councillor": councillor,
                "form": form,
                "allocations": allocations,
                "pledges": pledges,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            },
        )


def _ended_message(ended) -> str:
    councillor = ended.councillor
    parts = [f"{councillor}'s term ended on {councillor.term_end:%d %B %Y}."]
    if ended.withdrawn:
        refs = ", ".join(p.application.reference for p in ended.withdrawn)
        parts.append(f"Support withdrawn from {refs}; each group has been e-mailed.")
    for returned in ended.returned:
        fund_year = returned.fund_year
        parts.append(
            f"{pounds(returned.amount)} of their {fund_year} allocation returned to the pot; "
            f"{fund_year.get_term_end_policy_display().lower()}."
        )
    parts.append(
        f"Add {councillor.ward}'s new councillor when they take office, then run “Allocate to "
        "every councillor in office” on the fund year to give them their share."
    )
    return " ".join(parts)


admin.site.unregister(Councillor)
admin.site.register(Councillor, CouncillorTermAdmin)
