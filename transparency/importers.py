"""The imports of this app, found by fundmgr.imports.importers() for the administrator's page."""

from transparency import threesixty_imports  # noqa: F401  (registers the 360Giving import)
