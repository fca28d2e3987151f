"""/officer/imports/: the council administrator's imports (fundmgr/import_views.py)."""

from django.urls import path

from fundmgr import import_views as views

app_name = "imports"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.run, name="run"),
    path("<int:pk>/report.csv", views.report_csv, name="report_csv"),
    path("samples/<slug:kind>.csv", views.sample, name="sample"),
]
