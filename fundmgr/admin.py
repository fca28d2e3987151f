from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from fundmgr.models import Document, Notification, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    pass


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "to", "subject", "sent_at", "attempts"]
    list_filter = ["sent_at"]
    search_fields = ["to", "reference", "subject"]
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
