"""The public pages, under /grants/: no sign-in."""

from django.urls import path, register_converter

from transparency import views


class YearSlug:
    """2025-26, or all."""

    regex = r"\d{4}-\d{2}|all"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class FileFormat(YearSlug):
    regex = r"json|csv|xlsx"


register_converter(YearSlug, "yearslug")
register_converter(FileFormat, "fileformat")

app_name = "transparency"
urlpatterns = [
    path("", views.grants, name="grants"),
    path("wards/", views.ward_index, name="wards"),
    path("wards/<str:gss_code>/", views.ward_profile, name="ward"),
    path("360giving/", views.threesixty_page, name="threesixty"),
    path(
        "360giving/grants-<yearslug:year>.<fileformat:format>",
        views.threesixty_file,
        name="threesixty_file",
    ),
    path(
        "transparency-code/grants-<yearslug:year>.csv",
        views.register_file,
        name="register_file",
    ),
]
