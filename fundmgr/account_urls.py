"""/account/: a person's own sign-in (fundmgr/account_views.py). Un-namespaced names, as Django's
password-reset views expect."""

from django.urls import path

from fundmgr import account_views as views

urlpatterns = [
    path("password-reset/", views.password_reset, name="password_reset"),
    path("password-reset/sent/", views.password_reset_done, name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("password-reset/done/", views.password_reset_complete, name="password_reset_complete"),
    path("check-your-email/", views.check_email, name="account_check_email"),
    path("confirm/<uidb64>/<token>/", views.account_confirm, name="account_confirm"),
    path("two-factor/", views.two_factor_overview, name="two_factor"),
    path("two-factor/set-up/", views.two_factor_setup, name="two_factor_setup"),
    path("two-factor/code/", views.two_factor_code, name="two_factor_code"),
    path(
        "two-factor/recovery-codes/",
        views.two_factor_recovery_codes,
        name="two_factor_recovery_codes",
    ),
]
