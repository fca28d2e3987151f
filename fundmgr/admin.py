from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Q
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from fundmgr import councils
from fundmgr.models import Council, Document, Notification, StaffRole, User
from fundmgr.notifications import MAX_ATTEMPTS
from fundmgr.roles import STAFF_ROLE_NAMES
from fundmgr.two_factor import two_factor_reset

# django-otp's own admin pages show each authenticator's secret key and the recovery codes: an
# administrator resets a person's two-factor authentication with the action below instead.
admin.site.unregister(TOTPDevice)
admin.site.unregister(StaticDevice)


@admin.register(Council)
class CouncilAdmin(admin.ModelAdmin):
    """A council's own settings, edited by its administrator, who sees only their council; the
    service administrator (a superuser, on the service's own address) sets councils up."""

    list_display = ["name", "gss_code", "host", "slug"]
    fieldsets = [
        (None, {"fields": ["name", "gss_code", "org_id"]}),
        ("Where its pages are", {"fields": ["host", "slug"]}),
        ("Letterhead and help", {"fields": ["address", "email", "phone", "logo", "help_name",
                                           "help_email", "help_phone", "help_hours"]}),
        ("Published data", {"fields": ["threesixty_prefix", "department"]}),
        ("Payments", {"fields": ["bacs_service_user_number", "bacs_name", "bacs_sort_code",
                                 "bacs_account_number", "bacs_account_name", "bank_accounts"]}),
        ("Finance system", {"fields": ["gl_columns"]}),
    ]  # fmt: skip

    def get_queryset(self, request):
        found = super().get_queryset(request)
        council_id = councils.current_id()
        if council_id is not None:
            return found.filter(pk=council_id)
        return found if councils.service_wide() else found.none()

    def has_add_permission(self, request):
        return request.user.is_superuser and councils.service_wide()

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser and councils.service_wide()

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser and councils.service_wide():
            return []
        return ["gss_code", "host", "slug"]  # where a council is: the service's to change


class StaffRoleInline(admin.TabularInline):
    """The person's roles at the councils the administrator's scope shows."""

    model = StaffRole
    extra = 0
    fields = ["council", "role"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "role":
            from django import forms

            return forms.ChoiceField(choices=[(r, r) for r in STAFF_ROLE_NAMES])
        if db_field.name == "council":
            council_id = councils.current_id()
            if council_id is not None:
                kwargs["queryset"] = Council.objects.filter(pk=council_id)
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    actions = ["reset_two_factor"]
    inlines = [StaffRoleInline]

    def get_queryset(self, request):
        """People are the whole service's. A council's administrator sees its own: its staff,
        the members of groups that applied to it, and people with no part at any council yet
        (an account just made, to give a role); never the service administrators nor another
        council's staff or groups' people."""
        found = super().get_queryset(request)
        if request.user.is_superuser:
            return found
        here = councils.current_id()
        if here is None:
            return found.none()
        with councils.across_the_service():  # who holds a role anywhere, past the council's sight
            anywhere = set(StaffRole.objects.values_list("user_id", flat=True).distinct())
        own = Q(council_roles__council_id=here) | Q(organisations__applications__council_id=here)
        unplaced = ~Q(pk__in=anywhere) & Q(organisations__isnull=True)
        return found.filter(own | unplaced).exclude(is_superuser=True).distinct()

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:  # who is the service's administrator is the service's
            fields += ["is_superuser", "groups", "user_permissions"]
        return fields

    @admin.action(permissions=["change"], description="Reset two-factor authentication")
    def reset_two_factor(self, request, queryset):
        """For a person who lost their phone and recovery codes: their authenticator and codes
        are removed, and they set up a new one (a role that needs it, at their next sign-in)."""
        people = list(queryset)
        two_factor_reset(users=people)
        self.message_user(
            request,
            f"Two-factor authentication reset for {len(people)} "
            f"{'person' if len(people) == 1 else 'people'}.",
        )


class DeliveryFilter(admin.SimpleListFilter):
    """Where each message is: sent, waiting (not tried yet, or being sent), failed and to be
    tried again, or given up after MAX_ATTEMPTS failures (those need a person)."""

    title = "delivery"
    parameter_name = "delivery"

    def lookups(self, request, model_admin):
        return [
            ("sent", "Sent"),
            ("waiting", "Waiting"),
            ("failing", "Failed, to be tried again"),
            ("given-up", f"Given up after {MAX_ATTEMPTS} tries"),
        ]

    def queryset(self, request, queryset):
        unsent = queryset.filter(sent_at__isnull=True)
        return {
            "sent": queryset.filter(sent_at__isnull=False),
            "waiting": unsent.filter(last_error="", attempts__lt=MAX_ATTEMPTS),
            "failing": unsent.exclude(last_error="").filter(attempts__lt=MAX_ATTEMPTS),
            "given-up": unsent.filter(attempts__gte=MAX_ATTEMPTS),
        }.get(self.value() or "", queryset)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """The outbox, read only: an administrator sees what failed and why (`last_error`)."""

    list_display = [
        "created_at",
        "channel",
        "kind",
        "to",
        "subject",
        "sent_at",
        "attempts",
        "last_error",
    ]
    list_filter = [DeliveryFilter, "channel", "kind", "sent_at"]
    search_fields = ["to", "reference", "subject", "provider_id", "last_error"]
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    """The council's documents are records: shown, never changed."""

    list_display = ["created_at", "kind", "reference", "version", "size", "sha256"]
    list_filter = ["kind"]
    search_fields = ["reference", "key", "sha256"]
    readonly_fields = [f.name for f in Document._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
