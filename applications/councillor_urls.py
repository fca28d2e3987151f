"""The councillor's pages, under /councillor/."""

from django.urls import path

from applications import councillor_views as views

app_name = "councillor"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("bids/<str:reference>/", views.bid, name="bid"),
    path("bids/<str:reference>/support/", views.support_bid, name="support"),
    path("bids/<str:reference>/supported/", views.supported, name="supported"),
    path("bids/<str:reference>/decline/", views.decline_bid, name="decline"),
    path("bids/<str:reference>/interest/", views.declare_interest, name="interest"),
    path("bids/<str:reference>/withdraw/", views.withdraw_pledge, name="withdraw"),
    path("transfer/", views.transfer, name="transfer"),
    path("transfer/<uuid:key>/", views.transferred, name="transferred"),
]
