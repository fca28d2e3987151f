"""/api/v1/: every app's resources (registered on fundmgr.api.router by its `api.py`), the
OpenAPI description and its documentation page, served with no network access (the sidecar's
Swagger UI files come from our own static files).

The description and its page are for signed-in callers (a program with its token, a person with
their session) unless `API_DOCS_PUBLIC` opens them: a list of every operation is a map for an
attacker as much as for a developer.
"""

from functools import wraps
from importlib import import_module

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from fundmgr import access
from fundmgr.api import not_found, router

# Each app's api.py registers its viewsets on the router when imported.
for module in (
    "budgets.api",
    "applications.organisation_api",
    "applications.api",
    "applications.attachment_api",
    "applications.finance_api",
    "decisions.api",
    "applications.bank_api",
    "applications.schedule_api",
    "applications.clawback_api",
    "budgets.gl_api",
    "applications.transfer_api",
    "decisions.document_api",
):
    try:
        import_module(module)
    except ModuleNotFoundError as missing:
        if missing.name != module:
            raise


class SignedInUnlessDocsPublic(access.ApiSignedIn):
    """The OpenAPI description: 401 for a caller who is not signed in, unless API_DOCS_PUBLIC."""

    def has_permission(self, request, view) -> bool:
        return settings.API_DOCS_PUBLIC or super().has_permission(request, view)


class ApiDocs(SpectacularSwaggerSplitView):
    """Swagger UI with no inline script or style, for the Content-Security-Policy: its start-up
    script is fetched from this same address with ?script=, its style is a static file."""

    template_name = "fundmgr/api_docs.html"
    permission_classes = [SignedInUnlessDocsPublic]


def signed_in_unless_docs_public(view):
    """A person who is not signed in is sent to sign in first, as on every other page."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not settings.API_DOCS_PUBLIC and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapped


app_name = "api"
urlpatterns = [
    path(
        "schema/",
        SpectacularAPIView.as_view(permission_classes=[SignedInUnlessDocsPublic]),
        name="schema",
    ),
    path(
        "docs/",
        signed_in_unless_docs_public(ApiDocs.as_view(url_name="api:schema")),
        name="docs",
    ),
    path("", include(router.urls)),
    re_path(r"^[\s\S]*$", not_found),  # [\s\S]: a path with a newline in it too
]
