from functools import partial

from django import forms
from django.contrib import admin, messages

from budgets import ledger
from budgets.models import (
    Account,
    Councillor,
    ElectionPeriod,
    Entry,
    FinancialYear,
    Fund,
    FundYear,
    LedgerTransaction,
    Ward,
    YearEnd,
    year_closed,
)
from fundmgr.errors import DomainError
from fundmgr.forms import MoneyField
from fundmgr.money import pounds


@admin.register(FinancialYear)
class FinancialYearAdmin(admin.ModelAdmin):
    list_display = ["label", "start", "end", "closed"]
    readonly_fields = ["label", "end"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(closed=year_closed())

    @admin.display(boolean=True, description="closed (this council)")
    def closed(self, obj) -> bool:
        return obj.closed


@admin.register(YearEnd)
class YearEndAdmin(admin.ModelAdmin):
    """Who closed each year, and when: made only by `close_year` (budgets.ledger.year_close)."""

    list_display = ["year", "council", "closed_at", "closed_by"]
    readonly_fields = ["year", "council", "closed_at", "closed_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Ward)
class WardAdmin(admin.ModelAdmin):
    list_display = ["name", "gss_code", "council"]
    search_fields = ["name", "gss_code"]


@admin.register(Councillor)
class CouncillorAdmin(admin.ModelAdmin):
    list_display = ["name", "ward", "term_start", "term_end", "term_end_reason"]
    list_filter = ["ward"]
    search_fields = ["name", "user__username"]
    autocomplete_fields = ["ward"]
    raw_id_fields = ["user"]

    def get_readonly_fields(self, request, obj=None):
        # Ending a serving term moves money and withdraws pledges: only the "End this term…"
        # action (applications.admin) does it, never an edit of the date.
        if obj is not None and obj.pk:
            return ["term_end", "term_end_reason"]
        return ["term_end_reason"]


@admin.register(ElectionPeriod)
class ElectionPeriodAdmin(admin.ModelAdmin):
    list_display = ["name", "held", "notice_date", "polling_day"]
    list_filter = ["council", "ward"]
    autocomplete_fields = ["ward"]
    list_select_related = ["ward"]

    @admin.display(description="Holds pledges and approvals in")
    def held(self, obj):
        return obj.area


@admin.register(Fund)
class FundAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind"]


class FundYearForm(forms.ModelForm):
    budget = MoneyField(
        label="Total budget (£)",
        what="the total budget",
        allow_zero=True,
        help_text="Changing it posts the difference between the budget source and the pot.",
    )

    class Meta:
        model = FundYear
        exclude: list[str] = []
        # The model's money fields, read as every money box is (fundmgr.money.read_money).
        field_classes = {
            "allocation_per_councillor": partial(MoneyField, allow_zero=True),
            "min_award": partial(MoneyField, allow_zero=True),
            "max_award": MoneyField,
            "delegated_limit": partial(MoneyField, allow_zero=True),
            "clawback_threshold": partial(MoneyField, allow_zero=True),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["budget"].initial = self.instance.total_budget if self.instance.pk else None


@admin.register(FundYear)
class FundYearAdmin(admin.ModelAdmin):
    form = FundYearForm
    list_display = ["__str__", "funded_from", "total_budget", "allocation_per_councillor"]
    list_filter = ["year", "fund"]
    actions = ["allocate"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        try:
            ledger.budget_set(fund_year=obj, total=form.cleaned_data["budget"], by=request.user)
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)

    # Posts to the ledger: for those who may change fund years (never an auditor).
    @admin.action(description="Allocate to every councillor in office", permissions=["change"])
    def allocate(self, request, queryset):
        for fund_year in queryset.select_related("fund", "year"):
            try:
                summary = ledger.allocate_year(fund_year=fund_year, by=request.user)
            except DomainError as error:
                self.message_user(request, f"{fund_year}: {error.message}", messages.ERROR)
                continue
            self.message_user(
                request,
                f"{fund_year}: allocated {pounds(summary.total)} to "
                f"{len(summary.allocated)} councillors.",
            )
            for _, why in summary.not_allocated:
                self.message_user(request, f"{fund_year}: {why}", messages.WARNING)


class ReadOnlyAdmin(admin.ModelAdmin):
    """The ledger is written only by budgets.ledger: the admin shows it, never changes it."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EntryInline(admin.TabularInline):
    model = Entry
    fields = ["account", "amount"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "kind", "reference", "memo", "created_by"]
    list_filter = ["kind"]
    search_fields = ["reference", "idempotency_key", "memo"]
    inlines = [EntryInline]
    list_select_related = ["created_by"]


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["id", "fund_year", "kind", "councillor", "reference", "balance"]
    list_filter = ["kind", "fund_year__year", "fund_year__fund"]
    search_fields = ["reference", "councillor__name"]
    list_select_related = ["fund_year__fund", "fund_year__year", "councillor"]


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "transaction", "account", "amount"]
    list_select_related = [
        "transaction",
        "account__fund_year__fund",
        "account__fund_year__year",
        "account__councillor",
    ]
    raw_id_fields = ["transaction", "account"]
