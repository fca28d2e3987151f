from django.contrib import admin

from transparency.models import WardPopulation


@admin.register(WardPopulation)
class WardPopulationAdmin(admin.ModelAdmin):
    """Figures come from `manage.py import_ward_population`; the admin is for looking and fixing."""

    list_display = ["ward", "year", "population", "loaded_at", "loaded_by"]
    list_filter = ["year"]
    search_fields = ["ward__name", "ward__gss_code"]
    list_select_related = ["ward", "loaded_by"]
    readonly_fields = ["loaded_at", "loaded_by"]
