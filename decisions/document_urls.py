"""Document downloads, under /documents/ (see `decisions.document_views`)."""

from django.urls import path

from decisions import document_views as views

app_name = "documents"
urlpatterns = [
    path("<int:pk>/", views.stored_document, name="stored"),
    path("applications/<str:reference>/offer-letter/", views.offer_letter, name="offer_letter"),
    path(
        "applications/<str:reference>/decision-notices/<int:decision>/",
        views.decision_notice,
        name="decision_notice",
    ),
    path(
        "statements/<str:code>/<int:year>/councillors/<int:councillor>/",
        views.statement,
        name="statement",
    ),
    path("panels/<int:pk>/pack/", views.panel_pack, name="panel_pack"),
]
