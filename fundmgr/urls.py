from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from budgets import views as budget_views
from fundmgr.forms import SignInForm

admin.site.site_header = "fundmgr administration"

urlpatterns = [
    path("", budget_views.home, name="home"),
    path(
        "sign-in/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=SignInForm
        ),
        name="login",
    ),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("budgets/", include("budgets.urls")),
    path("admin/", admin.site.urls),
]
