"""/files/: a group's uploads, for those who may read them (applications.file_views)."""

from django.urls import path

from applications import file_views

app_name = "files"

urlpatterns = [
    path("attachments/<int:pk>/", file_views.attachment, name="attachment"),
    path("quotes/<int:pk>/", file_views.quote, name="quote"),
    path(
        "organisations/<int:pk>/<slug:kind>/",
        file_views.organisation_file,
        name="organisation_file",
    ),
]
