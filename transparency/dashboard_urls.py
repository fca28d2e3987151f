"""The dashboards, under /dashboards/: officers, auditors and councillors, signed in."""

from django.urls import path

from transparency import dashboard_views as views

app_name = "dashboards"
urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:slug>/", views.dashboard, name="dashboard"),
    path("<slug:slug>/download/", views.download, name="download"),
]
