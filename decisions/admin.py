from django.contrib import admin

from applications.admin import ReadOnlyAdmin
from decisions.models import Assessment, Decision, PanelItem, PanelMeeting, PanelMembership


class MembershipInline(admin.TabularInline):
    model = PanelMembership
    extra = 0
    can_delete = False
    readonly_fields = ["user", "attended"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PanelMeeting)
class PanelMeetingAdmin(ReadOnlyAdmin):
    list_display = ["title", "fund", "date", "quorum"]
    inlines = [MembershipInline]


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ["application", "outcome", "amount_awarded", "authority", "decided_by"]
    list_filter = ["outcome", "authority"]
    search_fields = ["application__reference"]


@admin.register(Assessment, PanelItem)
class OtherDecisionRecordsAdmin(ReadOnlyAdmin):
    pass
