"""The root URLconf. Each app's pages are included by their URLconf's name, a string, so the
kernel imports no app (the layers in pyproject.toml); fundmgr.api_urls gathers their API."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path

from fundmgr import access
from fundmgr.forms import SignInForm
from fundmgr.health import healthz
from fundmgr.views import home

admin.site.site_header = "fundmgr administration"


def admin_sign_in(request, extra_context=None):
    """/admin/ is signed in to through the service's own page (an e-mail address, then the
    two-factor code), not Django's admin form, which asks for a "Username"."""
    return redirect_to_login(request.GET.get("next") or "/admin/")


admin.site.login = admin_sign_in  # type: ignore[method-assign]


@access.public
def favicon(request):
    """/favicon.ico, which browsers ask for whatever the page links to: the service's icon (a
    pound sign, not the crown: a council is not GOV.UK), from the static files."""
    return HttpResponsePermanentRedirect(static("favicon.ico"))


urlpatterns = [
    path("", home, name="home"),
    path("favicon.ico", favicon, name="favicon"),
    path("healthz", healthz, name="healthz"),
    path(
        "sign-in/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=SignInForm
        ),
        name="login",
    ),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", include("fundmgr.account_urls")),
    path("apply/", include("applications.urls")),
    path("councillor/", include("applications.councillor_urls")),
    path("officer/imports/", include("fundmgr.import_urls")),
    path("officer/", include("decisions.urls")),
    path("budgets/", include("budgets.urls")),
    path("documents/", include("decisions.document_urls")),
    path("files/", include("applications.file_urls")),
    path("finance/", include("finance.urls")),
    path("grants/", include("transparency.urls")),
    path("dashboards/", include("transparency.dashboard_urls")),
    path("api/v1/", include("fundmgr.api_urls")),
    path("admin/", admin.site.urls),
]
