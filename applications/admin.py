from django.contrib import admin

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


@admin.register(BankAccount)
class BankAccountAdmin(ReadOnlyAdmin):
    list_display = ["organisation", "account_name", "masked", "status", "entered_by", "checked_by"]
    list_filter = ["status"]
    search_fields = ["organisation__name", "account_name"]
    exclude = ["account_number"]
    readonly_fields = ["masked"]


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
