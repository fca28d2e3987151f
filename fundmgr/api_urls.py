"""/api/v1/: every app's resources, the OpenAPI description and its documentation page, served
with no network access (the sidecar's Swagger UI files come from our own static files).

Each app names its API modules in its AppConfig (`api_modules`, in the order they register),
and each module registers its viewsets on fundmgr.api.router as it is imported. The kernel reads
the names from the app registry, so it imports no app and needs no list of them; the modules are
imported when the URLconf loads, not at start-up, so a command that serves no request does not
pay for them. A declared module that cannot be imported is an error, never a quiet gap in the
API: a renamed module stops `manage.py check`, the server and the tests with its ImportError.

The description and its page are for signed-in callers (a program with its token, a person with
their session) unless `API_DOCS_PUBLIC` opens them: a list of every operation is a map for an
attacker as much as for a developer.
"""

from collections.abc import Iterable
from functools import wraps
from importlib import import_module

from django.apps import AppConfig, apps
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from fundmgr import access
from fundmgr.api import not_found, router


def register_app_apis(app_configs: Iterable[AppConfig]) -> None:
    """Import each app's API modules, in the apps' order (INSTALLED_APPS) and then their own.

    Nothing is skipped: ModuleNotFoundError for a module that is not there, or whatever its own
    import raises, goes to the caller."""
    for config in app_configs:
        for module in getattr(config, "api_modules", ()):
            import_module(module)


register_app_apis(apps.get_app_configs())


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
