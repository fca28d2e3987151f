"""The imports of this app, found by fundmgr.imports.importers() for the administrator's page."""

from applications import organisation_imports  # noqa: F401  (registers the groups' import)
