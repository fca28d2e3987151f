"""/api/v1/: every app's resources (registered on fundmgr.api.router by its `api.py`), the
OpenAPI description and its documentation page, served with no network access (the sidecar's
Swagger UI files come from our own static files)."""

from importlib import import_module

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

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

app_name = "api"
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("", include(router.urls)),
    re_path(r"^[\s\S]*$", not_found),  # [\s\S]: a path with a newline in it too
]
